/**
 * The restore drill's verify step, the pure half: what a restored cluster
 * must hold compared with what was found in it, one named check at a time.
 * The Redis I/O that produces the "found" side lives in adapters/redis/drill-scan.ts;
 * nothing here talks to Redis, reads the clock or the environment.
 */
import type { CheckResult, DrillChecks, DrillVerifyReport, ExpectedData } from './drill.js';
import { histogramCounts, NO_EXPIRIES, unknownExpiries, type ExpiryCounts } from '../rdb/expiry-histogram.js';

/** The key the snapshot probe writes just before a snapshot; its value is recorded as `expected.canary`. */
export { CANARY_KEY } from '../plans/probe.js';
import { CANARY_KEY } from '../plans/probe.js';

/** Type names as the RDB verifier counts them (and `TYPE` answers for the built-in types). */
export const KEY_TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream', 'array', 'module'] as const;

const BUILT_IN = new Set<string>(KEY_TYPES.filter((t) => t !== 'module'));

/**
 * The histogram bucket of a `TYPE` reply: built-in types by name, any module
 * type (`ReJSON-RL`, …) as `module` (the RDB verifier's name for them), and
 * `undefined` for `none` (the key is gone).
 */
export function typeBucket(reply: string): string | undefined {
  if (reply === 'none') return undefined;
  return BUILT_IN.has(reply) ? reply : 'module';
}

/** One database of `INFO keyspace`. */
export interface KeyspaceEntry {
  readonly db: number;
  readonly keys: number;
  /** Keys with an expiry set. */
  readonly expires: number;
}

/** Parses `INFO keyspace` (`db0:keys=12,expires=3,avg_ttl=0` lines); databases in ascending order. */
export function parseKeyspace(info: string): KeyspaceEntry[] {
  const entries: KeyspaceEntry[] = [];
  for (const line of info.split(/\r?\n/)) {
    const m = /^db(\d+):keys=(\d+),expires=(\d+)/.exec(line.trim());
    if (m) entries.push({ db: Number(m[1]), keys: Number(m[2]), expires: Number(m[3]) });
  }
  return entries.sort((a, b) => a.db - b.db);
}

/** The tolerance in whole keys: `pct` percent of `keys`, rounded down. */
export function toleranceKeys(keys: number, pct: number): number {
  // The epsilon keeps 1000 × 0.3 % at 3, not 2.9999999999999996 → 2.
  return Math.floor((keys * pct) / 100 + 1e-9);
}

function skipped(name: CheckResult['name'], expected: string, found = '-'): CheckResult {
  return { name, ok: true, skipped: true, expected, found };
}

/** Printable, cut to `max` characters: values are evidence, not payloads to log whole. */
export function quote(value: string, max = 40): string {
  const text = JSON.stringify(value);
  return text.length <= max ? text : `${text.slice(0, max - 2)}…"`;
}

/**
 * `canary`: the restored `redis-dr:canary` holds exactly the value recorded
 * before the snapshot, which proves the cluster holds that snapshot's data
 * (not an older or a newer one). Skipped when no canary was recorded.
 */
export function checkCanary(expected: string | undefined, found: string | null): CheckResult {
  if (expected === undefined) return skipped('canary', 'no canary recorded');
  const want = quote(expected);
  if (found === null) return { name: 'canary', ok: false, expected: want, found: `${CANARY_KEY} missing` };
  return { name: 'canary', ok: found === expected, expected: want, found: quote(found) };
}

/**
 * When the restored data was checked, by the restored server's clock (ms
 * since the epoch; `INFO server`, so a skewed Lambda or laptop clock cannot move it):
 * `from` when the full scan began, `to` when the keys were counted after it.
 * The scan touches every key, and a primary deletes a key it touches past its
 * expiry: keys expired before `from` are surely gone; keys expiring within
 * the window may still be counted.
 */
export interface CheckWindow {
  readonly from: number;
  readonly to: number;
}

/** The recovery point recorded no expiry times and no count of keys with an expiry (a probe's count). */
const NOT_RECORDED: ExpiryCounts = {
  source: 'no expiry times recorded: a key expired since the count counts as missing',
  expiredBy: () => ({ sure: 0, maybe: 0 }),
};

/**
 * What the expected data says about its keys' expiry: its histograms when
 * recorded; none when no key has an expiry; only the number of keys with an
 * expiry (every one may have expired) for summaries written before
 * histograms were recorded; nothing (strict count) otherwise.
 */
export function expiryCountsOf(expected: ExpectedData): ExpiryCounts {
  if (expected.expiries && expected.expiries.length > 0) {
    const counts = histogramCounts(expected.expiries);
    if (counts) return counts;
  }
  if (expected.expires === 0) return NO_EXPIRIES;
  if (expected.expires !== undefined) {
    const unknown = unknownExpiries(expected.expires);
    if (!expected.expiriesLeftOut) return unknown;
    // Recorded, but too many shards' histograms for the drill's state: said so, not "none recorded".
    return {
      ...unknown,
      source: `expiry times left out of the drill's state (too many shards): any of the ${expected.expires} keys with an expiry may have expired`,
    };
  }
  return NOT_RECORDED;
}

/** How many of the recorded keys had expired by the check: the only keys that may be missing. */
export interface ExpiredByCheck {
  /** Surely gone when the scan began (its keys' whole expiry range before it): the count cannot include them. */
  readonly gone: number;
  /** May have expired by the count (their expiry range starts before it): the count may lack them. */
  readonly atMost: number;
  readonly source: string;
  /** Of `atMost - gone`: keys whose expiry falls in the check's own window (still counted until the server deletes them). */
  readonly inWindow: number;
  /** Of `atMost - gone`: keys in the histogram bucket the check falls in (the histogram cannot tell whether they had expired). */
  readonly inBucket: number;
  /** Why keys in `inBucket` may or may not have expired (see {@link ExpiryCounts.uncertain}). */
  readonly uncertain?: string;
}

/** {@link ExpiredByCheck} for `expiry` over `window`. */
export function expiredByCheck(expiry: ExpiryCounts, window: CheckWindow): ExpiredByCheck {
  const atFrom = expiry.expiredBy(window.from);
  const atTo = expiry.expiredBy(window.to);
  return {
    gone: atFrom.sure,
    atMost: atTo.maybe,
    source: expiry.source,
    inWindow: atTo.sure - atFrom.sure,
    inBucket: atTo.maybe - atTo.sure,
    ...(expiry.uncertain ? { uncertain: expiry.uncertain } : {}),
  };
}

/** Bounds of an acceptable restored key count. */
export interface KeyCountBounds {
  readonly min: number;
  readonly max: number;
  readonly tolerance: number;
}

/**
 * The key-count rule. `tolerance` = `keyCountTolerancePct` % of the recorded
 * count, in whole keys (rounded down). The restore may lack only the keys
 * that expired by the check: lower bound recorded − `expired.atMost` −
 * tolerance; it holds none of those surely gone: upper bound recorded −
 * `expired.gone` + tolerance. With exact expiry times and no key expiring
 * during the check, tolerance 0 means exactly one count. Never below 0.
 */
export function keyCountBounds(keys: number, expired: Pick<ExpiredByCheck, 'gone' | 'atMost'>, pct: number): KeyCountBounds {
  const tolerance = toleranceKeys(keys, pct);
  return {
    min: Math.max(0, keys - expired.atMost - tolerance),
    max: Math.max(0, keys - expired.gone + tolerance),
    tolerance,
  };
}

/** `12..15 expired by the check at <time> (<source>; why the range)`. */
function expiredText(e: ExpiredByCheck, window: CheckWindow): string {
  const n = e.gone === e.atMost ? `${e.atMost}` : `${e.gone}..${e.atMost}`;
  const why = [
    ...(e.inWindow > 0 ? [`${e.inWindow} expiring during the check may still be counted`] : []),
    ...(e.inBucket > 0 && e.uncertain ? [`${e.inBucket} ${e.uncertain}`] : []),
  ];
  return `${n} expired by the check at ${new Date(window.to).toISOString()} (${[e.source, ...why].join('; ')})`;
}

/** `exactly 4689` or `4683..4689`. */
function rangeText(b: KeyCountBounds): string {
  return b.min === b.max ? `exactly ${b.min}` : `${b.min}..${b.max}`;
}

/**
 * `key-count`: DBSIZE over every database and primary (counted after the full
 * scan, at `window.to`) within {@link keyCountBounds}. Skipped when no count
 * was recorded. The expected text says the recorded count, how many keys
 * expired by the check and why, and the accepted count.
 */
export function checkKeyCount(
  expected: ExpectedData,
  found: number,
  pct: number,
  window: CheckWindow,
  expiry: ExpiryCounts = expiryCountsOf(expected),
  scan?: Pick<ScanSummary, 'keys' | 'volatile'>,
): CheckResult {
  if (expected.keys === undefined) {
    // Nothing recorded says the point was empty: an empty restore proves nothing and is no pass.
    if (found === 0) {
      return {
        name: 'key-count',
        ok: false,
        expected: 'some keys (no key count was recorded for this point: enable the probe, plans[].probe, so drills know what to expect)',
        found: '0 keys',
      };
    }
    return skipped('key-count', 'no key count recorded', `${found} keys`);
  }
  const expired = expiredByCheck(expiry, window);
  const b = keyCountBounds(expected.keys, expired, pct);
  // A restore can neither gain nor lose expiries: every key recorded without one must be there. Without
  // this, the allowance for keys that may have expired could cover missing keys that never had a TTL.
  const persistent = expected.expires !== undefined ? expected.keys - expected.expires : undefined;
  const persistentFound = scan !== undefined ? scan.keys - scan.volatile : undefined;
  const persistentShort = persistent !== undefined && persistentFound !== undefined && persistentFound < persistent - b.tolerance;
  return {
    name: 'key-count',
    ok: found >= b.min && found <= b.max && !persistentShort,
    expected: `${expected.keys} recorded, ${expiredText(expired, window)}: ${rangeText(b)} (tolerance ${pct} % = ${b.tolerance})`,
    found: persistentShort
      ? `${found} keys; ${persistentFound} without a TTL, recorded ${persistent}: keys that never had a TTL are missing (at most ${b.tolerance} fewer allowed)`
      : `${found} keys`,
  };
}

/** What a full scan of the restored cluster found. */
export interface ScanSummary {
  /** Keys counted (TYPE answered a type and PTTL did not say the key was gone). */
  readonly keys: number;
  readonly byType: Readonly<Record<string, number>>;
  /** Keys with an expiry (PTTL ≥ 0). */
  readonly volatile: number;
  /** Keys that vanished between SCAN and TYPE/PTTL (expired during the scan): not counted. */
  readonly vanished: number;
  /** Keys with a type whose PTTL answer was neither -1, -2 nor ≥ 0. */
  readonly ttlProblems: number;
}

/** `string=3 hash=1`, types in the RDB verifier's order, then any others sorted; zero counts left out. */
export function formatHistogram(byType: Readonly<Record<string, number>>): string {
  const order: readonly string[] = KEY_TYPES;
  const names = [
    ...KEY_TYPES,
    ...Object.keys(byType)
      .filter((t) => !order.includes(t))
      .sort(),
  ];
  const parts = names.filter((t) => (byType[t] ?? 0) > 0).map((t) => `${t}=${byType[t]}`);
  return parts.length > 0 ? parts.join(' ') : '(empty)';
}

/**
 * `type-histogram`: keys per type from the full scan against the RDB
 * verifier's histogram. The rule:
 * - no type may have more keys than recorded, beyond `tolerance` in total
 *   (SCAN may return a key twice while the dictionary is resized);
 * - types may be short by at most the keys expired by the check
 *   ({@link expiredByCheck}) + `tolerance` in total: nothing else can go missing;
 * - when `expires` is known, at most `expires` − those surely gone +
 *   `tolerance` keys have a TTL;
 * - no key with a nonsensical PTTL.
 * `tolerance` is `keyCountTolerancePct` % of the recorded key count. Skipped without a recorded histogram.
 */
export function checkHistogram(
  expected: ExpectedData,
  found: ScanSummary,
  pct: number,
  window: CheckWindow,
  expiry: ExpiryCounts = expiryCountsOf(expected),
): CheckResult {
  const foundText = `${formatHistogram(found.byType)} (${found.keys} keys, ${found.volatile} with TTL, ${found.vanished} expired during the scan, ${found.ttlProblems} TTL problems)`;
  if (!expected.byType) return skipped('type-histogram', 'no type histogram recorded', foundText);
  const recorded = Object.values(expected.byType).reduce((a, n) => a + n, 0);
  const tolerance = toleranceKeys(expected.keys ?? recorded, pct);
  const expired = expiredByCheck(expiry, window);
  let short = 0;
  let excess = 0;
  for (const type of new Set([...Object.keys(expected.byType), ...Object.keys(found.byType)])) {
    const diff = (found.byType[type] ?? 0) - (expected.byType[type] ?? 0);
    if (diff < 0) short -= diff;
    else excess += diff;
  }
  const volatileMax = expected.expires !== undefined ? Math.max(0, expected.expires - expired.gone) + tolerance : undefined;
  const problems: string[] = [];
  if (excess > tolerance) problems.push(`${excess} more than recorded`);
  if (short > expired.atMost + tolerance) problems.push(`${short} fewer than recorded`);
  if (volatileMax !== undefined && found.volatile > volatileMax) problems.push(`${found.volatile} keys with TTL (at most ${volatileMax})`);
  if (found.ttlProblems > 0) problems.push(`${found.ttlProblems} keys with a nonsensical TTL`);
  return {
    name: 'type-histogram',
    ok: problems.length === 0,
    expected:
      `${formatHistogram(expected.byType)} (at most ${tolerance} more, ` +
      `at most ${expired.atMost + tolerance} fewer: ${expiredText(expired, window)} + tolerance ${pct} % = ${tolerance})`,
    found: problems.length > 0 ? `${foundText}: ${problems.join('; ')}` : foundText,
  };
}

/** `expect-keys`: every configured key exists (in database 0). `exists[i]` answers for `keys[i]`. */
export function checkExpectKeys(keys: readonly string[], exists: readonly boolean[]): CheckResult {
  if (keys.length === 0) return skipped('expect-keys', 'no keys configured');
  const missing = keys.filter((_, i) => !exists[i]);
  return {
    name: 'expect-keys',
    ok: missing.length === 0,
    expected: `${keys.length} keys exist: ${keys.join(', ')}`,
    found: missing.length === 0 ? `all ${keys.length} exist` : `missing: ${missing.join(', ')}`,
  };
}

/** What reading one expected value found. */
export type ValueLookup =
  | { readonly kind: 'missing' }
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'wrong-type'; readonly type: string };

/** `expect-values`: each configured key is a string with exactly the configured value. */
export function checkExpectValues(expected: Readonly<Record<string, string>>, found: Readonly<Record<string, ValueLookup>>): CheckResult {
  const keys = Object.keys(expected);
  if (keys.length === 0) return skipped('expect-values', 'no values configured');
  const wrong: string[] = [];
  for (const key of keys) {
    const got = found[key] ?? { kind: 'missing' };
    if (got.kind === 'missing') wrong.push(`${key}: missing`);
    else if (got.kind === 'wrong-type') wrong.push(`${key}: is a ${got.type}, not a string`);
    else if (got.value !== expected[key]) wrong.push(`${key}: ${quote(got.value)}`);
  }
  return {
    name: 'expect-values',
    ok: wrong.length === 0,
    expected: keys.map((k) => `${k}=${quote(expected[k]!)}`).join(', '),
    found: wrong.length === 0 ? `all ${keys.length} equal` : wrong.join(', '),
  };
}

/**
 * How many of `size` samples to draw from each of the databases (or
 * primaries) holding `counts` keys: proportional to the counts, by the
 * largest remainder, so the total is exactly `size` when there are keys.
 */
export function sampleAllocation(counts: readonly number[], size: number): number[] {
  const total = counts.reduce((a, n) => a + n, 0);
  if (total === 0 || size === 0) return counts.map(() => 0);
  const exact = counts.map((n) => (n * size) / total);
  const alloc = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let left = size - alloc.reduce((a, n) => a + n, 0), k = 0; left > 0; left--, k++) alloc[order[k % order.length]!.i]! += 1;
  return alloc;
}

/** One random key read back: its TYPE reply and PTTL; `type: 'none'` when RANDOMKEY found nothing or the key vanished. */
export interface SampledKey {
  readonly type: string;
  readonly pttl: number;
}

/**
 * `sample`: `sampleSize` random keys have a known type (one the RDB
 * histogram has, when there is one) and a TTL of -1 or ≥ 0 (0: expires within
 * the millisecond). A key may expire between RANDOMKEY and TYPE/PTTL; up to
 * 1 % of the samples (at least one) may vanish that way. Skipped for size 0
 * or an empty cluster.
 */
export function checkSample(samples: readonly SampledKey[], size: number, expectedByType?: Readonly<Record<string, number>>): CheckResult {
  if (size === 0) return skipped('sample', 'no samples configured');
  if (samples.length === 0) return skipped('sample', `${size} random keys`, 'no keys to sample');
  const racesAllowed = Math.max(1, Math.floor(size / 100));
  let vanished = 0;
  const badTtl: number[] = [];
  const unknown = new Set<string>();
  for (const s of samples) {
    const bucket = typeBucket(s.type);
    if (bucket === undefined || s.pttl === -2) {
      vanished++;
      continue;
    }
    if (expectedByType && !((expectedByType[bucket] ?? 0) > 0)) unknown.add(s.type);
    if (!(s.pttl === -1 || s.pttl >= 0)) badTtl.push(s.pttl);
  }
  const problems: string[] = [];
  if (vanished > racesAllowed) problems.push(`${vanished} vanished (at most ${racesAllowed} tolerated)`);
  if (unknown.size > 0) problems.push(`types not in the recorded histogram: ${[...unknown].sort().join(', ')}`);
  if (badTtl.length > 0) problems.push(`${badTtl.length} with a nonsensical PTTL (${badTtl.slice(0, 3).join(', ')})`);
  return {
    name: 'sample',
    ok: problems.length === 0,
    expected: `${size} random keys with a known type and a TTL of -1 or >= 0`,
    found: problems.length > 0 ? `${samples.length} sampled: ${problems.join('; ')}` : `${samples.length} sampled, ${vanished} expired meanwhile`,
  };
}

/** The configured checks as the handler feeds them: found values per check. */
export interface DrillFindings {
  readonly canary: string | null;
  readonly dbsize: number;
  readonly scan: ScanSummary;
  readonly exists: readonly boolean[];
  readonly values: Readonly<Record<string, ValueLookup>>;
  readonly samples: readonly SampledKey[];
  /** When the scan began and the keys were counted (server clock). */
  readonly window: CheckWindow;
}

/** Every check, in report order, and the verdict: ok when no check failed (skipped ones count as passed). */
export function drillReport(expected: ExpectedData, checks: DrillChecks, found: DrillFindings, seconds: number): DrillVerifyReport {
  const results: CheckResult[] = [
    checkCanary(expected.canary, found.canary),
    checkKeyCount(expected, found.dbsize, checks.keyCountTolerancePct, found.window, expiryCountsOf(expected), found.scan),
    checkHistogram(expected, found.scan, checks.keyCountTolerancePct, found.window),
    checkExpectKeys(checks.expectKeys, found.exists),
    checkExpectValues(checks.expectValues, found.values),
    checkSample(found.samples, checks.sampleSize, expected.byType),
  ];
  return { ok: results.every((c) => c.ok), keys: found.dbsize, byType: found.scan.byType, checks: results, seconds };
}
