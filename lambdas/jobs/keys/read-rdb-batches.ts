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
 * batch it breaks on is its own. Memory: the parser's, and one batch: a
 * batch's keys are let go when the next batch is asked for.
 */
import { collectGarbage } from '../../adapters/host/collect-garbage.js';
import type { BlockDigests } from '../../domain/rdb/block-digests.js';
import { releasePayload, type RdbKey, type RdbKeyReader } from '../../domain/rdb/keys.js';

/** One file to read from: where it is (for messages) and how to read it (called once per pass). */
export interface RdbFileSource {
  readonly location: string;
  /** Its bytes as stored, where known (for progress: a compressed envelope's RDB bytes run past them). */
  readonly size?: number;
  /** Its bytes as stored read so far by the last open (for progress, against {@link size}). */
  readonly storedRead?: () => number;
  /** The file's bytes, each chunk a fresh buffer never written again (a reader may keep it). */
  readonly open: () => AsyncIterable<Uint8Array>;
  /** A plain local file's bytes, each chunk valid only until the next is asked (reused buffers: a reader that copies what it keeps). */
  readonly openTransient?: () => AsyncIterable<Uint8Array>;
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
  /** @internal Payload bytes of a batch after which the next read starts with a full collection (tests make it small). @default {@link COLLECT_AFTER_BYTES} */
  readonly collectAfterBytes?: number;
}

/** A batch of keys; `last` on the file's final, partial batch (the file read to its end or to the parser's error). */
export interface RdbKeyBatch {
  readonly keys: RdbKey[];
  readonly last: boolean;
}

/**
 * The keys `reader` takes from `file`, in batches; the reader's `end()` after them says what the read found.
 *
 * A batch is the caller's until it asks for the next one: then the batch's
 * keys are let go (its array emptied, a big key's bytes released) before
 * another byte is read, and,
 * after a batch of {@link COLLECT_AFTER_BYTES} or more, collected. Else the
 * previous key (a 60 MiB stream's payload) stays reachable from the
 * suspended loops' variables until the next key is complete, and the
 * process holds two big values where one is the design (issue 54 item 10).
 */
export async function* readRdbBatches(file: RdbFileSource, reader: RdbKeyReader, options: RdbBatchOptions): AsyncGenerator<RdbKeyBatch> {
  const batches = new Batcher(options);
  for await (const chunk of options.digests ? options.digests.check(file.open()) : file.open()) {
    // The keys go into batches in a generator of the chunk's: no variable of this frame holds a key past its batch.
    for (const keys of batches.take(reader.push(chunk))) {
      yield { keys, last: false };
      batches.release(keys);
    }
    if (reader.error) break;
  }
  const rest = batches.rest();
  if (rest.length > 0) yield { keys: rest, last: true };
}

/** The payload bytes of a batch after which the next read starts with a full collection (adapters/host/collect-garbage.ts). */
export const COLLECT_AFTER_BYTES = 32 * 1024 * 1024;

/** Keys into batches bounded by count and payload bytes. */
class Batcher {
  private batch: RdbKey[] = [];
  private bytes = 0;

  constructor(private readonly options: RdbBatchOptions) {}

  /** The batches `keys` complete, as they complete (a key that would take a batch past its bytes starts the next one). */
  *take(keys: Iterable<RdbKey>): Generator<RdbKey[]> {
    const { batchSize, batchBytes, onKey } = this.options;
    for (const key of keys) {
      onKey?.(key);
      if (this.batch.length > 0 && this.bytes + key.payloadBytes > batchBytes) yield this.rest();
      this.batch.push(key);
      this.bytes += key.payloadBytes;
      if (this.batch.length >= batchSize || this.bytes >= batchBytes) yield this.rest();
    }
  }

  /** The open batch, handed over (a new one begins). */
  rest(): RdbKey[] {
    const out = this.batch;
    this.batch = [];
    this.bytes = 0;
    return out;
  }

  /**
   * A batch the caller is done with: its keys let go, and a big one's bytes
   * collected before the next are read. Their bytes are let go first
   * (releasePayload): the key objects themselves are still reachable here
   * (this loop's variable, and `take`'s, suspended), and a collection made
   * while a 60 MiB key is held frees nothing of it.
   */
  release(keys: RdbKey[]): void {
    let bytes = 0;
    for (const k of keys) {
      bytes += k.payloadBytes;
      releasePayload(k);
    }
    keys.length = 0;
    if (bytes >= (this.options.collectAfterBytes ?? COLLECT_AFTER_BYTES)) collectGarbage();
  }
}
