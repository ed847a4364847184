/** What `compare` prints: its `--json` shape and the lines people read (migrate's --verify prints them too). */
import { redactUrl } from '../lambdas/jobs/keys/clients.js';
import { type DiffReason, displayKey, jsonKey } from '../lambdas/domain/rdb/fingerprint.js';
import { describeDatabases } from '../lambdas/domain/keys/databases.js';
import type { CompareResult, CompareRuns, ExpectedKind } from '../lambdas/jobs/keys/compare.js';

/** The `--json` shape of compare (also `verify` in migrate's JSON). */
export function compareJson(result: CompareResult | CompareRuns, a: string, b: string, match: string | undefined) {
  const whole = compareJsonOf(result, a, b, match);
  if (!('databases' in result)) return whole;
  const databases = result.databases.map((d) => ({ ...compareJsonOf(d.result, a, b, match), dbA: d.from, dbB: d.to }));
  // The summed lists are the databases' joined in order and cut to the same length: each entry says its databases.
  const tagged = <T>(list: (d: (typeof databases)[number]) => readonly T[], length: number) =>
    databases.flatMap((d) => list(d).map((x) => ({ ...x, dbA: d.dbA, dbB: d.dbB }))).slice(0, length);
  return {
    ...whole,
    diffs: tagged((d) => d.diffs, whole.diffs.length),
    expectedDiffs: tagged((d) => d.expectedDiffs, whole.expectedDiffs.length),
    databases,
    leftOut: result.leftOut,
    notCompared: result.notCompared ?? [],
  };
}

/** The `--json` shape of one database's compare (or of their sum). */
function compareJsonOf(result: CompareResult, a: string, b: string, match: string | undefined) {
  return {
    a: redactUrl(a),
    b: redactUrl(b),
    keyspaceA: result.a,
    keyspaceB: result.b,
    match: match ?? null,
    equal: result.equal,
    keysA: result.keysA,
    keysB: result.keysB,
    /** Unexplained differences only: these make `equal` false. */
    differences: result.differences,
    diffs: result.diffs.map((d) => ({ ...jsonKey(d.key), reason: d.reason })),
    truncated: result.differences > result.diffs.length,
    expected: result.expected,
    expectedDiffs: result.expectedDiffs.map((d) => ({ ...jsonKey(d.key), reason: d.reason, expected: d.expected })),
    seconds: round(result.seconds),
    keysPerSecond: result.seconds > 0 ? Math.round((result.keysA + result.keysB) / result.seconds) : null,
    interrupted: result.interrupted,
    notProven: result.notProven ?? null,
  };
}

const REASON_TEXT: Record<DiffReason, string> = {
  'missing-in-a': 'only in B',
  'missing-in-b': 'only in A',
  type: 'different type',
  value: 'different value',
  ttl: 'different TTL',
};

const EXPECTED_TEXT: Record<ExpectedKind, string> = {
  'kept-on-target': 'kept on the target (it had the key: --on-conflict skip left it alone)',
  'only-on-target': 'only on the target (migrate deletes nothing there)',
  expired: 'expired during the scan',
};

/**
 * What a compare over its databases prints: one database as {@link formatCompare}; several, each under its heading; the
 * pattern `--match` named, if any (the verdict holds for its keys alone); then the databases left out.
 */
export function formatCompareRuns(run: CompareRuns, match?: string): string {
  const lines: string[] = [];
  if (run.databases.length === 1 && run.databases[0]!.from === run.databases[0]!.to) lines.push(formatCompare(run.databases[0]!.result));
  else for (const d of run.databases) lines.push(`database ${d.from} (A) ↔ ${d.to} (B): ${formatCompare(d.result)}`);
  if (run.databases.length > 1)
    lines.push(
      `all ${run.databases.length} databases: ${run.equal ? 'EQUAL' : run.interrupted ? 'INTERRUPTED' : run.notProven && run.differences === 0 ? 'NOT PROVEN' : 'DIFFERENT'}`,
    );
  // Said under the verdict (the whole run's, over several databases), not only in --json: an EQUAL of the matching keys says nothing of the others.
  if (match !== undefined) lines.push(`compared only the keys matching ${JSON.stringify(match)} (--match): the others were not read`);
  if (run.leftOut.length > 0) {
    lines.push(
      `NOT COMPARED: ${describeDatabases(run.leftOut)}: not proven equal. ` +
        'Leave the /<db> out of both URLs to compare every database holding keys, each with the database of its number',
    );
  }
  for (const n of run.notCompared ?? []) lines.push(`not compared: ${n}`);
  return lines.join('\n');
}

/** Lines people read. */
export function formatCompare(result: CompareResult): string {
  const lines: string[] = [];
  for (const [side, k] of [
    ['A', result.a],
    ['B', result.b],
  ] as const) {
    if (k.cluster) lines.push(`  ${side} is a ${k.label}`);
  }
  lines.push(...result.diffs.map((d) => `  ${REASON_TEXT[d.reason]}: ${displayKey(d.key)}`));
  if (result.differences > result.diffs.length) lines.push(`  … and ${result.differences - result.diffs.length} more`);
  const expectedTotal = Object.values(result.expected).reduce((x, y) => x + y, 0);
  if (expectedTotal > 0) {
    const kinds = (Object.keys(EXPECTED_TEXT) as ExpectedKind[]).filter((k) => result.expected[k] > 0);
    lines.push(`  expected differences (not counted as differences): ${kinds.map((k) => `${result.expected[k]} ${EXPECTED_TEXT[k]}`).join('; ')}`);
  }
  const rate = result.seconds > 0 ? Math.round((result.keysA + result.keysB) / result.seconds) : 0;
  const keys = (n: number) => `${n} key${n === 1 ? '' : 's'}`;
  const head = result.interrupted
    ? `INTERRUPTED after ${keys(result.keysA)} of A, ${result.keysB} of B: not proven equal`
    : result.equal
      ? `EQUAL: ${keys(result.keysA)} of A match${result.keysA === 1 ? 'es' : ''} B (${keys(result.keysB)} in B${expectedTotal > 0 ? `, ${expectedTotal} expected difference${expectedTotal === 1 ? '' : 's'}` : ''})`
      : result.notProven && result.differences === 0
        ? `NOT PROVEN: ${result.notProven} (${keys(result.keysA)} in A, ${result.keysB} in B)`
        : `DIFFERENT: ${result.differences} key(s) differ (${keys(result.keysA)} in A, ${result.keysB} in B)`;
  return [`${head}, ${round(result.seconds)} s, ${rate} keys/s`, ...lines].join('\n');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
