/**
 * Runs a bundled split worker (adapters/host/rdb-split-stream.ts starts it
 * as the DR verify job does) over the second half of `bytes`, fed in
 * `pieceBytes` pieces, and returns its outcome: the bundle tests (the Lambda
 * asset, the installed CLI) check that the worker they ship starts and hands
 * a part back.
 */
import { SplitStreamWorker, type SplitStreamOutcome } from '../../lambdas/adapters/host/rdb-split-stream.js';

export async function bundledWorkerPart(
  file: string,
  bytes: Uint8Array,
  options: { readonly requireChecksum: boolean; readonly pieceBytes: number },
): Promise<SplitStreamOutcome> {
  const from = Math.floor(bytes.length / 2);
  const worker = SplitStreamWorker.start({
    size: bytes.length,
    search: { from },
    maxValueBytes: 1 << 20,
    requireChecksum: options.requireChecksum,
    keyDigestsInMemory: 1 << 16,
    context: { version: 9, valkey: false, fileTimeMs: -1 },
    file,
  });
  try {
    for (let at = from; at < bytes.length; at += options.pieceBytes) await worker.feed(bytes.subarray(at, at + options.pieceBytes));
    worker.end();
    return await worker.outcome;
  } finally {
    await worker.close();
  }
}
