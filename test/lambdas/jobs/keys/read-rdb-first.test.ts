/**
 * migrate --from-rdb's first read judging a hash listpack with a field twice
 * for a target that needs its plain form (an RDB 9 target: Redis 6.2 reads
 * no listpack). Redis loads such a listpack as it is; its plain form with an
 * element over 64 bytes it refuses ("Duplicate hash fields detected": 7.0
 * loading convert-rdb's output of the same hash shows it,
 * convert-rdb-listpack-walk.test.ts), so the run is refused before any write,
 * as convert-rdb refuses it, not part-way at its RESTORE. No Redis 6.2
 * server is available here: the target is its INFO line, and the judgement
 * is the first read's (nothing is written before it ends).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockDigests } from '../../../../lambdas/domain/rdb/block-digests.js';
import { targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { firstRead, newKeyTally } from '../../../../lambdas/jobs/keys/read-rdb-first.js';
import { resolveRdbSources } from '../../../../lambdas/jobs/keys/sources.js';
import { listpack, str } from '../../../support/listpack-entries.js';
import { type FramedKey, frameFile } from '../../../support/rdb-newer.js';

const dir = mkdtempSync(join(tmpdir(), 'redis-dr-first-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An RDB string: a 6-, 14- or 32-bit length and the bytes. */
function rdbString(b: Uint8Array): Uint8Array {
  const n = b.length;
  const head = n < 64 ? [n] : n < 16384 ? [0x40 | (n >> 8), n & 0xff] : [0x80, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return Uint8Array.from([...head, ...b]);
}

/** A REDIS0010 file: a string `before` bytes long (0: none), the hash `h` of `entries` in one listpack, a string after it. */
function fileWith(entries: string[], before = 0): string {
  const keys: FramedKey[] = [];
  if (before > 0) keys.push({ db: 0, name: 'filler', type: 0, object: rdbString(new Uint8Array(before).fill(0x61)), expireAtMs: null });
  keys.push({ db: 0, name: 'h', type: 16, object: rdbString(listpack(entries.map(str))), expireAtMs: null });
  keys.push({ db: 0, name: 'after', type: 0, object: rdbString(Buffer.from('x')), expireAtMs: null });
  const path = join(dir, `f${Math.random().toString(36).slice(2)}.rdb`);
  writeFileSync(path, frameFile('REDIS0010', keys));
  return path;
}

/** The first read of `path` for the target whose INFO says `redis_version`: the refusal it leads to, or undefined. */
async function refusal(path: string, version: string): Promise<string | undefined> {
  const { files } = await resolveRdbSources({ fromRdb: [path] });
  const read = await firstRead({
    index: 0,
    source: files[0]!,
    digests: new BlockDigests(),
    tally: newKeyTally(),
    ownership: undefined,
    across: undefined,
    cluster: false,
    matches: undefined,
    targetServer: targetRdbSupport(`redis_version:${version}\r\n`),
    lossy: new Set(),
  });
  if ('changed' in read) throw read.changed;
  expect(read.report.ok).toBe(true);
  return read.reencoding?.refusal(path, () => true);
}

describe('migrate --from-rdb: a hash listpack with a field twice, for a target that needs its plain form', () => {
  const long = 'v'.repeat(65);

  it('an element over 64 bytes, for Redis 6.2: refused in the first read, before any write, naming the key and why', async () => {
    for (const entries of [
      ['f', long, 'f', '2'],
      ['f', '2', 'f', long],
      [long, '1', long, '2'],
    ]) {
      const why = await refusal(fileWith(entries), '6.2.14');
      expect(why).toMatch(
        /is refused, nothing was written: 1 key cannot be expressed for the target \(REDIS RDB 9\): h: a field twice in its listpack and an element of 65 bytes \(more than 64\).*"Duplicate hash fields detected"/,
      );
    }
  });

  it("the same hash across the first read's 1 MiB chunks (its bytes kept while it is read): refused alike", async () => {
    // The filler ends 40 bytes before the chunk's end: the hash's listpack (over 70 bytes) straddles it.
    const path = fileWith(['f', long, 'f', '2'], 1024 * 1024 - 40 - 60);
    expect(await refusal(path, '6.2.14')).toMatch(/h: a field twice in its listpack and an element of 65 bytes/);
  });

  it('negative: no element over 64 bytes (6.2 keeps it small, the field twice, as a server loading the file does), or a target reading listpacks (7.0: it goes as it is): not refused', async () => {
    expect(await refusal(fileWith(['f', '1', 'f', '2']), '6.2.14')).toBeUndefined();
    expect(await refusal(fileWith(['f', long, 'g', '2']), '6.2.14')).toBeUndefined();
    expect(await refusal(fileWith(['f', long, 'f', '2']), '7.0.15')).toBeUndefined();
  });
});
