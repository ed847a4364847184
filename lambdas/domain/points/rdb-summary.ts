/**
 * The verifier's verdict as S3 object tags (`redis-dr:verified`,
 * `redis-dr:rdb`), written by the verify-rdb Lambda and read back by the DR
 * drill (per-type key histogram) and the CLI. One tag value holds the whole
 * summary because S3 allows only 10 tags per object. Pure.
 */
import { fitExpiryHistogram, parseExpiryHistogram } from '../rdb/expiry-histogram.js';
import { rdbVerdict, type RdbReport, type RdbVerdict } from '../rdb/verifier.js';
import { TAGS } from '../plans/types.js';

/** Verdict tag values (`unsupported`: a format the verifier cannot judge, never a verified copy). */
export type Verdict = RdbVerdict;

/** What the summary tag holds. */
export interface RdbSummary {
  readonly version: number;
  readonly keys: number;
  readonly expires: number;
  readonly byType: Readonly<Record<string, number>>;
  /**
   * When the keys with an expiry expire (an expiry histogram's text form,
   * domain/rdb/expiry-histogram.ts), merged as needed to fit the tag. Absent when no key has
   * an expiry, and in summaries written before histograms were recorded.
   */
  readonly expiryHistogram?: string;
  /**
   * The databases the file holds keys in, when not db 0 alone (`dbs=0+3`):
   * a cluster-mode restore refuses such a file. Absent for db 0 alone, and in
   * summaries written before databases were recorded.
   */
  readonly databases?: readonly number[];
  /**
   * Function libraries the file holds (`fn=2`): the verifier checks their
   * Lua's syntax, not what their top level does when run (a library that
   * fails there is refused by the server that loads it; `drill local`
   * judges it). Absent when none, and in summaries
   * written before they were recorded.
   */
  readonly functionLibraries?: number;
  /** Where and why the file is corrupt. */
  readonly error?: { readonly offset: number; readonly message: string };
  /** Where and why the file's format could not be judged (not corrupt, not verified). */
  readonly unsupported?: { readonly offset: number; readonly message: string };
}

const MAX_TAG_VALUE = 256;
/** Type names in a fixed order, so tag values are stable. */
const TYPE_ORDER = ['string', 'list', 'set', 'zset', 'hash', 'stream', 'module'];

/** S3 tag values allow letters, digits, spaces and `+ - = . _ : / @`. */
function tagSafe(text: string): string {
  return text
    .replace(/[^\p{L}\p{N} +\-=._:/@]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * `v=11 keys=1200 expires=30 string=1000 hash=200 ttl=t5x0k0/1.3/8.r` for an
 * intact file (`ttl=`: the expiry histogram, its buckets merged until the
 * whole value fits S3's 256 characters);
 * `v=11 keys=1200 expires=30 error@81234=<reason>` for a corrupt one (the
 * reason cut to fit S3's 256-character tag value);
 * `v=14 keys=0 expires=0 unsupported@9=<reason>` for a format the verifier
 * cannot judge.
 */
export function formatRdbSummary(report: RdbReport): string {
  const head = `v=${report.version} keys=${report.keys} expires=${report.expires}`;
  if (!report.ok) {
    const reason = report.error ? tagSafe(report.error.message) : 'checksum mismatch';
    const offset = report.error?.offset ?? 0;
    return `${head} ${report.unsupported ? 'unsupported' : 'error'}@${offset}=${reason}`.slice(0, MAX_TAG_VALUE);
  }
  // Databases other than db 0 alone come first, so the tag never loses them to the cut below.
  const dbs = report.databases.length > 1 || (report.databases.length === 1 && report.databases[0] !== 0) ? [`dbs=${report.databases.join('+')}`] : [];
  // A valid file that loads on conditions says so in the tag (the databases above name a server's `databases` need).
  if (report.functionLibraries > 0) dbs.push(`fn=${report.functionLibraries}`);
  const names = [
    ...TYPE_ORDER,
    ...Object.keys(report.byType)
      .filter((t) => !TYPE_ORDER.includes(t))
      .sort(),
  ];
  const types = names.filter((t) => (report.byType[t] ?? 0) > 0).map((t) => `${tagSafe(t)}=${report.byType[t]}`);
  const text = [head, ...dbs, ...types].join(' ');
  const ttl = report.expiryHistogram && fitExpiryHistogram(report.expiryHistogram, MAX_TAG_VALUE - text.length - ' ttl='.length);
  return ttl ? `${text} ttl=${ttl}` : text.slice(0, MAX_TAG_VALUE);
}

/** Inverse of {@link formatRdbSummary}; `undefined` when the value is not one. */
export function parseRdbSummary(value: string | undefined): RdbSummary | undefined {
  if (!value) return undefined;
  const m = /^v=(\d+) keys=(\d+) expires=(\d+)(?: (.*))?$/.exec(value);
  if (!m) return undefined;
  const base = { version: Number(m[1]), keys: Number(m[2]), expires: Number(m[3]) };
  const rest = m[4] ?? '';
  const err = /^(error|unsupported)@(\d+)=(.*)$/.exec(rest);
  if (err) return { ...base, byType: {}, [err[1] === 'error' ? 'error' : 'unsupported']: { offset: Number(err[2]), message: err[3]! } };
  const byType: Record<string, number> = {};
  let expiryHistogram: string | undefined;
  let databases: number[] | undefined;
  let functionLibraries: number | undefined;
  for (const part of rest.split(' ').filter(Boolean)) {
    const fn = /^fn=(\d+)$/.exec(part);
    if (fn) {
      functionLibraries = Number(fn[1]);
      continue;
    }
    if (part.startsWith('dbs=')) {
      if (!/^\d+(?:\+\d+)*$/.test(part.slice(4))) return undefined;
      databases = part.slice(4).split('+').map(Number);
      continue;
    }
    if (part.startsWith('ttl=')) {
      expiryHistogram = part.slice(4);
      if (!parseExpiryHistogram(expiryHistogram)) return undefined;
      continue;
    }
    const kv = /^([^=]+)=(\d+)$/.exec(part);
    if (!kv) return undefined;
    byType[kv[1]!] = Number(kv[2]);
  }
  return {
    ...base,
    byType,
    ...(expiryHistogram !== undefined ? { expiryHistogram } : {}),
    ...(databases ? { databases } : {}),
    ...(functionLibraries !== undefined ? { functionLibraries } : {}),
  };
}

/** The tags a verification writes. */
export function verdictTags(report: RdbReport): Record<string, string> {
  return { [TAGS.verified]: rdbVerdict(report), [TAGS.rdb]: formatRdbSummary(report) };
}
