/**
 * A recovery point opened for reading key by key (`serve`, `history`): one
 * pass over the file through the verifier's parser both judges it (a file
 * the verifier does not pass is refused, before anything is served) and
 * builds its key index (name → where the value lies); afterwards a key's
 * value is one read at its offset (a positional read, or one ranged GET on
 * S3). Memory: the index (names and five numbers a key), never the values.
 */
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import { openRdbAt, RdbOpenError, type RdbAt } from '../../adapters/storage/rdb-at.js';
import { DEFAULT_MAX_KEY_BYTES, RdbKeyReader } from '../../domain/rdb/keys.js';
import { dumpPayload } from '../../domain/rdb/format/dump-payload.js';
import { rdbVerdict, type RdbReport } from '../../domain/rdb/verifier.js';
import { type IndexedKey, type KeyIndex, KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { UsageError } from '../kernel/usage-error.js';

/** A point ready to answer. */
export interface OpenedPoint {
  readonly location: string;
  readonly index: KeyIndex;
  /** The verifier's report of each shard's pass (the pass that built the index), in shard order. */
  readonly reports: readonly RdbReport[];
  /** The file's magic says Valkey (VALKEY80 and on). */
  readonly valkey: boolean;
  /** The key's DUMP payload: its value's bytes as stored, with the file's RDB version and a CRC-64. */
  payload(key: IndexedKey): Promise<Buffer>;
  close(): void;
}

/** How many bytes a served value may take: Redis's proto-max-bulk-len, what a client or RESTORE takes at most. */
export const SERVE_MAX_VALUE_BYTES = DEFAULT_MAX_KEY_BYTES;

/**
 * Opens, verifies and indexes the RDB file at `location` (a path or
 * `s3://bucket/key`), or the shards of one recovery point (an export of a
 * cluster: one file a shard, served as one keyspace). Each shard is judged
 * by the verifier on its own; the index keeps one offset a key, over the
 * shards laid end to end (shard i's bytes after shard i−1's), so a key's
 * (shard, offset) is one number.
 */
export async function openPoint(location: string | readonly string[], s3Endpoint?: string): Promise<OpenedPoint> {
  const locations = typeof location === 'string' ? [location] : location;
  if (locations.length === 0) throw new UsageError('a recovery point needs at least one .rdb file: give a path or s3://<bucket>/<key>');
  const shards: RdbAt[] = [];
  try {
    for (const l of locations) shards.push(await openRdbAt(l, s3Endpoint));
    return await indexPoint(shards);
  } catch (err) {
    for (const at of shards) at.close();
    if (err instanceof RdbOpenError) throw new UsageError(err.message);
    throw err;
  }
}

/** One shard's pass: judged by the verifier, its keys added at `base` onwards; its RDB version and magic. */
async function indexShard(at: RdbAt, builder: KeyIndexBuilder, base: number): Promise<{ version: number; valkey: boolean; report: RdbReport }> {
  if (at.size >= 4 && (await at.read(0, 4)).toString('latin1') === 'VKCS')
    throw new UsageError(
      `${at.location} is in Valkey's compressed envelope (rdbcompression lz4), which cannot be read at offsets: decompress it first (redis-dr migrate --from-rdb reads it as a stream)`,
    );
  const spill = tempKeyDigestSpill();
  const reader = new RdbKeyReader({
    // The index keeps where each value lies; no value is held (values over 512 MiB are refused when read, not here).
    maxKeyBytes: Number.MAX_SAFE_INTEGER,
    wantName: () => false,
    want: (db, name, _bytes, where) => {
      builder.add({ db, name, type: where.type, valueAt: base + where.valueAt, valueEnd: base + where.valueEnd, expireAtMs: where.expireAtMs });
      return false;
    },
    keyDigestSpill: () => spill,
  });
  for await (const chunk of at.stream()) {
    reader.push(chunk);
    if (reader.error) break;
  }
  const { version, valkey } = reader.fileVersion;
  const report = reader.end();
  const verdict = rdbVerdict(report);
  if (verdict !== 'ok') {
    const where = report.error ? ` at byte ${report.error.offset}: ${report.error.message}` : '';
    throw new UsageError(
      `${at.location} is ${verdict === 'corrupt' ? 'corrupt' : 'in a format this verifier cannot judge'} (the verifier's verdict${where}): serve refuses it; redis-dr verify-rdb ${at.location} shows the report`,
    );
  }
  return { version, valkey, report };
}

async function indexPoint(shards: readonly RdbAt[]): Promise<OpenedPoint> {
  const builder = new KeyIndexBuilder();
  const bases: number[] = [];
  const versions: number[] = [];
  let valkey = false;
  const reports: RdbReport[] = [];
  let base = 0;
  for (const at of shards) {
    bases.push(base);
    const shard = await indexShard(at, builder, base);
    versions.push(shard.version);
    valkey ||= shard.valkey;
    reports.push(shard.report);
    base += at.size;
  }
  const index = builder.finish(Math.max(...versions));
  if (shards.length > 1) {
    const twice = index.firstDuplicate();
    if (twice)
      throw new UsageError(
        `${shards.map((s) => s.location).join(', ')} are not the shards of one cluster: key ${JSON.stringify(twice.toString('latin1').slice(0, 64))} is in two of them; serve one file, or the shards of one export`,
      );
  }
  /** The shard holding global offset `at` (the last whose base is at or before it). */
  const shardOf = (at: number): number => {
    let i = bases.length - 1;
    while (i > 0 && bases[i]! > at) i--;
    return i;
  };
  return {
    location: shards.length === 1 ? shards[0]!.location : `${shards[0]!.location} (+${shards.length - 1} shards)`,
    index,
    reports,
    valkey,
    async payload(key) {
      const bytes = key.valueEnd - key.valueAt;
      if (bytes > SERVE_MAX_VALUE_BYTES)
        throw new Error(
          `the value of ${JSON.stringify(key.name.toString('latin1').slice(0, 64))} takes ${bytes} bytes, more than the ${SERVE_MAX_VALUE_BYTES} a reply may hold (proto-max-bulk-len): restore the point to read it`,
        );
      const i = shardOf(key.valueAt);
      const value = await shards[i]!.read(key.valueAt - bases[i]!, bytes);
      const p = dumpPayload(key.type, value, versions[i]!);
      return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    },
    close: () => {
      for (const at of shards) at.close();
    },
  };
}
