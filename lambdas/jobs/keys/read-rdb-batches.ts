/**
 * The reader of `migrate --from-rdb` and of its `--verify` (RedisShake's
 * RDB reader beside read-server.ts's server reader; writer.ts is the one
 * writer): a file's keys, read through the parser (rdb/keys.ts), as batches
 * bounded by key count and by payload bytes, as the writer takes them. A
 * key that would take a batch past its bytes starts the next one, so a key
 * of `batchBytes` or more goes alone. With the block CRCs of an earlier
 * read, every block is checked before the parser sees it (a file changed
 * since throws FileChangedError at that block).
 *
 * The caller breaks out of the batches to stop (the file is closed); a
 * batch it breaks on is its own. Memory: the parser's, and one batch.
 */
import type { BlockDigests } from '../../domain/rdb/block-digests.js';
import type { RdbKey, RdbKeyReader } from '../../domain/rdb/keys.js';

/** One file to read from: where it is (for messages) and how to read it (called once per pass). */
export interface RdbFileSource {
  readonly location: string;
  readonly open: () => AsyncIterable<Uint8Array>;
}

/** Options of {@link readRdbBatches}. */
export interface RdbBatchOptions {
  /** Keys per batch at most. */
  readonly batchSize: number;
  /** Payload bytes from which a batch is handed over. */
  readonly batchBytes: number;
  /** The bytes' block CRCs from an earlier read: each block checked before it is parsed. @default none */
  readonly digests?: BlockDigests;
  /** Called for every key as it is read (before it is batched). */
  readonly onKey?: (key: RdbKey) => void;
}

/** A batch of keys; `last` on the file's final, partial batch (the file read to its end or to the parser's error). */
export interface RdbKeyBatch {
  readonly keys: RdbKey[];
  readonly last: boolean;
}

/** The keys `reader` takes from `file`, in batches; the reader's `end()` after them says what the read found. */
export async function* readRdbBatches(file: RdbFileSource, reader: RdbKeyReader, options: RdbBatchOptions): AsyncGenerator<RdbKeyBatch> {
  let batch: RdbKey[] = [];
  let bytes = 0;
  for await (const chunk of options.digests ? options.digests.check(file.open()) : file.open()) {
    for (const key of reader.push(chunk)) {
      options.onKey?.(key);
      if (batch.length > 0 && bytes + key.payloadBytes > options.batchBytes) {
        yield { keys: batch, last: false };
        batch = [];
        bytes = 0;
      }
      batch.push(key);
      bytes += key.payloadBytes;
      if (batch.length >= options.batchSize || bytes >= options.batchBytes) {
        yield { keys: batch, last: false };
        batch = [];
        bytes = 0;
      }
    }
    if (reader.error) break;
  }
  if (batch.length > 0) yield { keys: batch, last: true };
}
