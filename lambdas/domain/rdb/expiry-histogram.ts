/**
 * Keys' expiry times, kept with a recovery point so a drill can tell how many
 * of its keys had expired by the moment it checked the restored data: the
 * only keys a restore may be missing. Pure.
 *
 * Two forms:
 * - an expiry histogram (where the file was read by the verifier but only a
 *   short summary can travel with the point: an S3 tag value, a drill input):
 *   keys per bucket of a fixed grid of offsets from a base time (the file's
 *   `ctime`), √2 apart from 1 s to about 12 years. Text form
 *   `<base, unix seconds, base 36>/<bucket>.<keys>/…` (bucket index and key
 *   count in base 36), only non-empty buckets; a run of buckets merged to fit
 *   a size limit is written `<first>_<last>.<keys>`.
 * - exact expiry times ({@link ExactExpiries}), where the file is read on the
 *   spot (`drill local`).
 *
 * The rule both answer ({@link ExpiryCounts.expiredBy}): by a time `t`, at
 * least `sure` keys had expired (their whole bucket lies before `t`) and at
 * most `maybe` (plus the bucket `t` falls into, whose keys may or may not
 * have expired: the histogram cannot tell them apart). Exact times: both equal.
 * A key expires when the server's clock passes its expiry (`now > expireAt`).
 */

/** Grid edges: bucket k (1…{@link LAST_EDGE}) holds offsets in (EDGES[k-1], EDGES[k]] ms; bucket 1 starts at 0. */
const EDGES: readonly number[] = [-1, ...Array.from({ length: 58 }, (_, i) => Math.round(1000 * 2 ** (i / 2)))];
/** Index of the last finite edge (about 12 years); bucket LAST_EDGE + 1 holds everything later. */
const LAST_EDGE = EDGES.length - 1;
/** Buckets: 0 (before the base), 1…LAST_EDGE, and one beyond. */
export const EXPIRY_BUCKETS = LAST_EDGE + 2;

/** Edges as a typed array: the hot loop below reads doubles without boxing. */
const EDGE_MS = Float64Array.from(EDGES);
const LAST_EDGE_MS = EDGE_MS[LAST_EDGE]!;

/**
 * Bucket of an expiry `offsetMs` after the base: 0 before the base (a file's
 * keys already expired when it was written), else the grid's. Called once per
 * key with an expiry by the verifier: an integer log2 (clz32 of the whole
 * seconds) lands within a step of the bucket, the integer edges decide.
 */
export function expiryBucket(offsetMs: number): number {
  if (offsetMs <= 1000) return offsetMs < 0 ? 0 : 1;
  if (offsetMs > LAST_EDGE_MS) return LAST_EDGE + 1;
  // 2^e <= seconds < 2^(e+1): the edge 1000·2^e is EDGE_MS[2e + 1].
  let k = 2 * (31 - Math.clz32(offsetMs / 1000)) + 1;
  while (offsetMs > EDGE_MS[k]!) k++;
  while (offsetMs <= EDGE_MS[k - 1]!) k--;
  return k;
}

/** Offsets from the base bucket `k` holds: more than `after`, at most `upTo` (ms). */
export function bucketOffsets(k: number): { readonly after: number; readonly upTo: number } {
  if (k <= 0) return { after: -Infinity, upTo: -1 };
  if (k > LAST_EDGE) return { after: LAST_EDGE_MS, upTo: Infinity };
  return { after: EDGE_MS[k - 1]!, upTo: EDGE_MS[k]! };
}

/** Absolute times (ms, inclusive) a key of bucket `k` of a histogram based at `baseMs` may expire at. */
export function bucketSpan(baseMs: number, k: number): { readonly from: number; readonly to: number } {
  if (k <= 0) return { from: -Infinity, to: baseMs - 1 };
  if (k > LAST_EDGE) return { from: baseMs + EDGES[LAST_EDGE]! + 1, to: Infinity };
  return { from: baseMs + EDGES[k - 1]! + 1, to: baseMs + EDGES[k]! };
}

/** Keys expired by a time: at least `sure`, at most `maybe`. */
export interface ExpiredCount {
  readonly sure: number;
  readonly maybe: number;
}

/** What a recovery point says about its keys' expiry times. */
export interface ExpiryCounts {
  /** Keys whose expiry is before `atMs` (server clock, ms). */
  expiredBy(atMs: number): ExpiredCount;
  /** Where the times come from, for reports: `file expiries`, `expiry histogram`, … */
  readonly source: string;
  /** Why `maybe` may exceed `sure`, when the source does not say it already (`in the histogram bucket …`). */
  readonly uncertain?: string;
}

/** One bucket of a decoded histogram: `keys` keys expiring within [from, to] (ms). */
export interface ExpiryBucket {
  readonly from: number;
  readonly to: number;
  readonly keys: number;
}

/** Counts from buckets (of one or several histograms: shards of one recovery point). */
export function bucketCounts(buckets: readonly ExpiryBucket[], source = 'expiry histogram'): ExpiryCounts {
  return {
    source,
    uncertain: 'in the histogram bucket the check falls in may or may not have expired',
    expiredBy(atMs) {
      let sure = 0;
      let maybe = 0;
      for (const b of buckets) {
        if (b.to < atMs) sure += b.keys;
        else if (b.from < atMs) maybe += b.keys; // straddles atMs: some may have expired
      }
      return { sure, maybe: sure + maybe };
    },
  };
}

/** Nothing expires: a point with no key with an expiry. */
export const NO_EXPIRIES: ExpiryCounts = { source: 'no key has an expiry', expiredBy: () => ({ sure: 0, maybe: 0 }) };

/**
 * Only the number of keys with an expiry is known (a summary written before
 * histograms were recorded): any of them may have expired, none surely has.
 */
export function unknownExpiries(expires: number): ExpiryCounts {
  return { source: `no expiry times recorded: any of the ${expires} keys with an expiry may have expired`, expiredBy: () => ({ sure: 0, maybe: expires }) };
}

/** Every expiry time, exactly (a file read on the spot). Add times, then ask; memory: 8 bytes per key with an expiry. */
export class ExactExpiries implements ExpiryCounts {
  readonly source = 'file expiries';
  private times = new Float64Array(1024);
  private length = 0;
  private sorted = true;

  add(expireAtMs: number): void {
    if (this.length === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    if (this.length > 0 && expireAtMs < this.times[this.length - 1]!) this.sorted = false;
    this.times[this.length++] = expireAtMs;
  }

  get size(): number {
    return this.length;
  }

  expiredBy(atMs: number): ExpiredCount {
    if (!this.sorted) {
      this.times = this.times.subarray(0, this.length).sort();
      this.sorted = true;
    }
    // First index whose time is not before atMs = the count of times before it.
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < atMs) lo = mid + 1;
      else hi = mid;
    }
    return { sure: lo, maybe: lo };
  }
}

/** Keys per bucket, as the verifier (or the probe) counts them. */
export interface ExpiryHistogram {
  /** Whole seconds (ms): the file's `ctime`, or the probe's time. */
  readonly baseMs: number;
  /** Keys per bucket, {@link EXPIRY_BUCKETS} entries. */
  readonly counts: readonly number[];
}

const b36 = (n: number) => n.toString(36);

interface Run {
  readonly first: number;
  readonly last: number;
  readonly keys: number;
}

/**
 * The text form (see the module comment), at most `maxChars` characters:
 * when the buckets do not fit, neighbouring buckets are merged, the pair with
 * the fewest keys first (a merged bucket spans both: still conservative, only
 * less precise). `undefined` when not even one bucket fits.
 */
export function formatExpiryHistogram(h: ExpiryHistogram, maxChars = Infinity): string | undefined {
  if (h.baseMs % 1000 !== 0) throw new RangeError(`an expiry histogram's base must be whole seconds, got ${h.baseMs} ms`);
  return formatRuns(
    b36(h.baseMs / 1000),
    h.counts.flatMap((keys, k) => (keys > 0 ? [{ first: k, last: k, keys }] : [])),
    maxChars,
  );
}

/** A histogram's text form merged (as {@link formatExpiryHistogram} does) to at most `maxChars`; `undefined` when it is not one or cannot fit. */
export function fitExpiryHistogram(text: string, maxChars: number): string | undefined {
  if (text.length <= maxChars) return parseRuns(text) ? text : undefined;
  const parsed = parseRuns(text);
  return parsed && formatRuns(parsed.head, parsed.runs, maxChars);
}

function formatRuns(head: string, input: readonly Run[], maxChars: number): string | undefined {
  const runs = [...input];
  const text = () => [head, ...runs.map((r) => `${r.first === r.last ? b36(r.first) : `${b36(r.first)}_${b36(r.last)}`}.${b36(r.keys)}`)].join('/');
  let out = text();
  while (out.length > maxChars && runs.length > 1) {
    let best = 0;
    for (let i = 1; i < runs.length - 1; i++) if (runs[i]!.keys + runs[i + 1]!.keys < runs[best]!.keys + runs[best + 1]!.keys) best = i;
    const [a, b] = [runs[best]!, runs[best + 1]!];
    runs.splice(best, 2, { first: a.first, last: b.last, keys: a.keys + b.keys });
    out = text();
  }
  return out.length <= maxChars ? out : undefined;
}

function parseRuns(text: string): { head: string; baseMs: number; runs: Run[] } | undefined {
  const [head, ...parts] = text.split('/');
  if (!head || !/^[0-9a-z]+$/.test(head)) return undefined;
  const runs: Run[] = [];
  let prev = -1;
  for (const part of parts) {
    const m = /^([0-9a-z]+)(?:_([0-9a-z]+))?\.([0-9a-z]+)$/.exec(part);
    if (!m) return undefined;
    const first = Number.parseInt(m[1]!, 36);
    const last = m[2] !== undefined ? Number.parseInt(m[2], 36) : first;
    if (first <= prev || last < first || last >= EXPIRY_BUCKETS) return undefined;
    prev = last;
    runs.push({ first, last, keys: Number.parseInt(m[3]!, 36) });
  }
  return { head, baseMs: Number.parseInt(head, 36) * 1000, runs };
}

/** Decodes the text form into absolute buckets; `undefined` when it is not one. */
export function parseExpiryHistogram(text: string): ExpiryBucket[] | undefined {
  const parsed = parseRuns(text);
  return parsed?.runs.map((r) => ({ from: bucketSpan(parsed.baseMs, r.first).from, to: bucketSpan(parsed.baseMs, r.last).to, keys: r.keys }));
}

/** Keys a histogram counts. */
export function histogramKeys(text: string): number | undefined {
  return parseExpiryHistogram(text)?.reduce((a, b) => a + b.keys, 0);
}

/** The counts of one recovery point from its shards' histograms (text form); `undefined` when one does not parse. */
export function histogramCounts(texts: readonly string[]): ExpiryCounts | undefined {
  const buckets: ExpiryBucket[] = [];
  for (const t of texts) {
    const parsed = parseExpiryHistogram(t);
    if (!parsed) return undefined;
    buckets.push(...parsed);
  }
  return bucketCounts(buckets);
}

/** Histogram builder (the probe's; the verifier counts inline for speed). */
export function histogramOf(baseMs: number, expiries: Iterable<number>): ExpiryHistogram {
  const base = Math.floor(baseMs / 1000) * 1000;
  const counts = new Array<number>(EXPIRY_BUCKETS).fill(0);
  for (const e of expiries) counts[expiryBucket(e - base)]! += 1;
  return { baseMs: base, counts };
}
