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
      if (isServerUrl(location)) return { url: location, spec };
      if (spec?.credentials)
        throw new UsageError(`${option} ${location} is a file: it takes no credentials (${spec.credentials.source}); give them for a server side only`);
      const password = randomBytes(24).toString('base64url');
      const s = await startServing({ location, bind: '127.0.0.1', port: 0, password });
      served.push(s);
      return { url: `redis://127.0.0.1:${s.port}`, spec: { ...spec, credentials: { password, source: `the point served for ${location}` } } };
    };
    const a = await side(options.a, options.specA, '--a');
    const b = await side(options.b, options.specB, '--b');
    return await runCompare({ ...options, a: a.url, b: b.url, specA: a.spec, specB: b.spec });
  } finally {
    await Promise.all(served.map((s) => s.close()));
  }
}
