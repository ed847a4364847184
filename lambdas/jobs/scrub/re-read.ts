/**
 * The one re-read of every scrub, a destination's (self-managed.ts) and the
 * DR bucket's scheduled one (dr-bucket.ts): a stored copy streamed through
 * the verifier with its length and SHA-256 taken on the way, judged against
 * what was recorded when it was written. A module of its own so the scrub
 * Lambda's bundle does not take in the self-managed stores (and their native
 * LZ4 module, which the Lambda bundler cannot load).
 */
import { createHash } from 'node:crypto';
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { judgeReRead } from '../../domain/scrub/judge.js';
import type { ScrubResult } from '../../domain/scrub/record.js';
import type { Lz4BlockDecoder } from '../../adapters/storage/rdb-envelope.js';
import { verifyRdbBody } from '../dr-copies/verify-body.js';

/**
 * Re-reads one copy and judges it; a copy that cannot be read is a problem of that copy, never skipped.
 * The one re-read of every scrub: a destination's store, or the DR bucket (jobs/scrub/dr-bucket.ts).
 */
export async function reReadOne(store: Pick<BackupStore, 'read' | 'recordedCopy'>, file: string, size: number, blocks?: Lz4BlockDecoder): Promise<ScrubResult> {
  try {
    const recorded = await store.recordedCopy(file);
    const hash = createHash('sha256');
    let bytes = 0;
    const source = (await store.read(file))[Symbol.asyncIterator]();
    const next = async (): Promise<IteratorResult<Uint8Array>> => {
      const r = await source.next();
      if (!r.done) {
        hash.update(r.value);
        bytes += r.value.byteLength;
      }
      return r;
    };
    // No `return` on the iterator: a verifier that stops at the first fault does not close the stream, whose rest is
    // then read so the length and the digest are the whole stored file's.
    const { report } = await verifyRdbBody({ [Symbol.asyncIterator]: () => ({ next }) }, size, blocks ? { blocks } : {});
    while (!(await next()).done);
    if (report.verifierFailure) return { file, ok: false, problems: [`not judged: the verification itself failed (${report.error?.message ?? 'unknown'})`] };
    const sha256 = hash.digest('hex');
    const problems = judgeReRead(recorded, {
      bytes,
      sha256,
      verdict: {
        ok: report.ok,
        checksum: report.checksum,
        keys: report.keys,
        ...(report.keysByDb ? { keysByDb: report.keysByDb } : {}),
        ...(report.error ? { error: report.error } : {}),
        ...(report.unsupported ? { unsupported: true } : {}),
      },
    });
    return { file, ok: problems.length === 0, problems, bytes, sha256, keys: report.keys };
  } catch (err) {
    return { file, ok: false, problems: [`could not be re-read: ${err instanceof Error ? err.message : String(err)}`] };
  }
}
