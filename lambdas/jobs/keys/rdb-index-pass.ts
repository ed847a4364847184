/**
 * The indexing pass of a recovery point (jobs/serve/open-point.ts) and of a
 * verified backup's key index (jobs/self-managed/backup.ts): the verifier's
 * parser telling where each key's value lies.
 */
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import type { RdbAt } from '../../adapters/storage/rdb-at.js';
import { RdbKeyReader } from '../../domain/rdb/keys.js';
import { rdbVerdict, type RdbReport } from '../../domain/rdb/verifier.js';
import type { KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { UsageError } from '../kernel/usage-error.js';

/**
 * One pass over an RDB file (one shard of a point) that judges it with the
 * verifier and adds its keys to `builder`, offsets from `base` on: what
 * `serve` opens a point with and `backup` writes a key index beside a
 * verified copy with. A file the verifier does not pass, or one in Valkey's
 * compressed envelope (no offsets to read at), is a usage error naming it.
 */
export async function indexRdbPass(
  at: Pick<RdbAt, 'location' | 'stream'>,
  builder: KeyIndexBuilder,
  base: number,
): Promise<{ version: number; valkey: boolean; report: RdbReport; bytes: number; trailer: string }> {
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
  let bytes = 0;
  // The last 8 bytes (the CRC-64 trailer): what an index written from this pass is tied to.
  let tail = Buffer.alloc(0);
  for await (const chunk of at.stream()) {
    if (bytes === 0 && chunk.length >= 4 && Buffer.from(chunk.buffer, chunk.byteOffset, 4).toString('latin1') === 'VKCS')
      throw new UsageError(
        `${at.location} is in Valkey's compressed envelope (rdbcompression lz4), which cannot be read at offsets: decompress it first (redis-dr migrate --from-rdb reads it as a stream)`,
      );
    bytes += chunk.length;
    tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 8))]).subarray(-8);
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
  return { version, valkey, report, bytes, trailer: tail.toString('hex') };
}
