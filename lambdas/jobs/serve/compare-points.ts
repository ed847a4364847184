/**
 * `compare` with an RDB file on either side (issue 55 item 3): a backup
 * against a live server, or two files. A side that is no `redis://` or
 * `rediss://` URL is a recovery point (a local `.rdb` or `s3://bucket/key`)
 * served read-only on a free loopback port for the run, as `redis-dr serve`
 * serves it (verified and indexed first: a corrupt or missing file is
 * refused before anything is compared), with a password made for the run;
 * then compare reads it as it reads a server, with the same per-key
 * fingerprints across encodings and versions. Expiry is judged now, as on a
 * server that loaded the file now: a key whose expiry has passed is gone.
 */
import { keyMetaClassesText } from '../../domain/rdb/write/losses.js';
import { randomBytes } from 'node:crypto';
import { runCompare, type CompareOptions, type CompareRuns } from '../keys/compare.js';
import { UsageError } from '../kernel/usage-error.js';
import { startServing, type Serving } from './serve.js';

/** Whether a compare side names a server (else it names a recovery point: a file or an S3 object). */
export function isServerUrl(side: string): boolean {
  return /^rediss?:\/\//i.test(side);
}

/** {@link runCompare}, each side that names a file served for the run. */
export async function comparePoints(options: CompareOptions): Promise<CompareRuns> {
  const served: Serving[] = [];
  try {
    const side = async (location: string, spec: CompareOptions['specA'], option: '--a' | '--b') => {
      if (isServerUrl(location)) return { url: location, spec, served: undefined };
      if (spec?.credentials)
        throw new UsageError(`${option} ${location} is a file: it takes no credentials (${spec.credentials.source}); give them for a server side only`);
      const password = randomBytes(24).toString('base64url');
      const s = await startServing({ location, bind: '127.0.0.1', port: 0, password });
      served.push(s);
      return {
        url: `redis://127.0.0.1:${s.port}`,
        spec: { ...spec, credentials: { password, source: `the point served for ${location}` } },
        served: s,
      };
    };
    const a = await side(options.a, options.specA, '--a');
    const b = await side(options.b, options.specB, '--b');
    const compared = await runCompare({ ...options, a: a.url, b: b.url, specA: a.spec, specB: b.spec });
    // A file side is named as given, not as the loopback server that served it for the run.
    const named = (k: CompareRuns['a'], location: string, served: Serving | undefined) =>
      served ? { ...k, label: `${location} (served read-only for the run)` } : k;
    const run = { ...compared, a: named(compared.a, options.a, a.served), b: named(compared.b, options.b, b.served) };
    // What a file holds besides its keys is compared by neither side's reads: said, never left under an EQUAL.
    const notCompared = [
      notComparedOf('A', options.a, a.served, b.served),
      notComparedOf('B', options.b, b.served, a.served),
      expiredOf('A', options.a, a.served),
      expiredOf('B', options.b, b.served),
    ].filter((n) => n !== undefined);
    return notCompared.length > 0 ? { ...run, notCompared } : run;
  } finally {
    await Promise.all(served.map((s) => s.close()));
  }
}

/**
 * The keys of a file side whose TTL had passed when it was served (`served`; undefined for a server side): hidden, as
 * a server loading the file drops them, so compared with nothing; a key only on the other side may be one of them
 * (the other side's copy with a later TTL, or none). Undefined when there are none.
 */
export function expiredOf(side: 'A' | 'B', location: string, served: Pick<Serving, 'databases'> | undefined): string | undefined {
  const n = served?.databases.reduce((sum, d) => sum + d.expired, 0) ?? 0;
  if (n === 0) return undefined;
  return `${side} (${location}) holds ${n} key${n === 1 ? '' : 's'} whose TTL had passed when it was served (of all its keys, whatever --match selects; more since, if the compare ran long): a server loading it drops them, and so did this compare: a key only in ${side === 'A' ? 'B' : 'A'} may be one of them`;
}

/**
 * What compare did not compare of a file side (`served`; undefined for a server side): its function libraries,
 * module AUX data and Redis 8.6 key metadata (compare reads keys; a served file answers no FUNCTION LIST), named; or, for a shard opened
 * unread from a key index that does not keep them (one written before indexes did), that whether it holds any is not known. Undefined when it
 * holds none.
 */
export function notComparedOf(
  side: 'A' | 'B',
  location: string,
  served: Pick<Serving, 'besidesKeys'> | undefined,
  /** The other side, when it is a file too: what it holds of the same is known, and said (it said "may lack them" of a file read whole). */
  other?: Pick<Serving, 'besidesKeys'>,
): string | undefined {
  if (!served) return undefined;
  const held = served.besidesKeys;
  if (!held)
    return `${side} (${location}): whether it holds function libraries, module AUX data or key metadata is not known (a shard was opened from a key index written before indexes kept it, not read whole): compare compares keys only`;
  const what = [
    held.functionLibraries > 0 ? libraries(held.functionLibraries) : '',
    held.moduleAux.length > 0 ? `module AUX data of ${held.moduleAux.join(', ')}` : '',
    keyMetaText(held.keyMeta),
  ].filter(Boolean);
  if (what.length === 0) return undefined;
  const head = `${side} (${location}) holds ${what.join(' and ')}, which compare does not compare (it compares keys)`;
  const theirs = other?.besidesKeys;
  if (!theirs) return `${head}: the other side may lack them`;
  // Both files read whole: what the other holds of the same is known (a file converted with --lossy function holds none).
  const otherSide = side === 'A' ? 'B' : 'A';
  const counts = [
    held.functionLibraries > 0 ? libraries(theirs.functionLibraries) : '',
    held.moduleAux.length > 0 ? (theirs.moduleAux.length > 0 ? `module AUX data of ${theirs.moduleAux.join(', ')}` : 'no module AUX data') : '',
    keyMetaText(held.keyMeta) ? keyMetaText(theirs.keyMeta) || 'no key metadata' : '',
  ].filter(Boolean);
  return `${head}: ${otherSide} holds ${counts.join(' and ')}`;
}

/** `N function libraries` (`1 function library`). */
const libraries = (n: number): string => `${n} function librar${n === 1 ? 'y' : 'ies'}`;

/** `Redis 8.6 key metadata of classes ATTR (1 key), BLES (2 keys)` (its keys' values are compared, not the metadata they carry), or ''. */
function keyMetaText(keyMeta: Readonly<Record<string, number>> | undefined): string {
  const [n, text] = keyMetaClassesText(keyMeta);
  if (n === 0) return '';
  return `Redis 8.6 key metadata of class${n === 1 ? '' : 'es'} ${text} (the keys' values are compared, not their metadata)`;
}
