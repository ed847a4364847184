import { describe, expect, it } from 'vitest';
import { BlockDigests, FileChangedError } from '../../../../lambdas/domain/rdb/block-digests.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { readRdbBatches, type RdbFileSource, type RdbKeyBatch } from '../../../../lambdas/jobs/keys/read-rdb-batches.js';
import { file, str } from '../../../support/rdb-bytes.js';

/** A real RDB file (RDB 10, CRC-64 trailer) of string keys k0… with values of the given lengths. */
function rdb(valueLengths: number[]): Uint8Array {
  const body = [0xfe, 0x00];
  for (const [i, n] of valueLengths.entries()) body.push(0x00, ...str(`k${i}`), ...str('v'.repeat(n)));
  return file('REDIS0010', body);
}

/** The file served in chunks of `chunk` bytes (a fresh read per open). */
function source(bytes: Uint8Array, chunk = 7): RdbFileSource {
  return {
    location: 'test.rdb',
    open: async function* () {
      for (let at = 0; at < bytes.length; at += chunk) yield bytes.slice(at, at + chunk);
    },
  };
}

async function collect(batches: AsyncGenerator<RdbKeyBatch>): Promise<{ names: string[]; last: boolean }[]> {
  const out: { names: string[]; last: boolean }[] = [];
  for await (const b of batches) out.push({ names: b.keys.map((k) => k.name.toString()), last: b.last });
  return out;
}

describe('readRdbBatches (the RDB reader of migrate --from-rdb and its --verify)', () => {
  it('hands the keys over in batches of batchSize, the partial one last, every key once and in file order', async () => {
    const bytes = rdb([1, 1, 1, 1, 1]);
    const seen: string[] = [];
    const batches = await collect(
      readRdbBatches(source(bytes), new RdbKeyReader({}), { batchSize: 2, batchBytes: 1 << 20, onKey: (k) => seen.push(k.name.toString()) }),
    );
    expect(batches).toEqual([
      { names: ['k0', 'k1'], last: false },
      { names: ['k2', 'k3'], last: false },
      { names: ['k4'], last: true },
    ]);
    expect(seen).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
  });

  it('bounds a batch by payload bytes: a key that would pass them starts the next batch, a key over them goes alone', async () => {
    // Payloads: 1 type byte + value (a 1-byte length and the bytes) + 10 footer bytes: 32, 32, 72 and 32 bytes.
    const bytes = rdb([20, 20, 60, 20]);
    const batches = await collect(readRdbBatches(source(bytes, 1), new RdbKeyReader({}), { batchSize: 100, batchBytes: 70 }));
    expect(batches).toEqual([
      { names: ['k0', 'k1'], last: false },
      { names: ['k2'], last: false },
      { names: ['k3'], last: true },
    ]);
  });

  it('stops where the caller breaks: no further key is read', async () => {
    const seen: string[] = [];
    const reader = new RdbKeyReader({});
    for await (const b of readRdbBatches(source(rdb([1, 1, 1, 1, 1]), 64), reader, {
      batchSize: 1,
      batchBytes: 1 << 20,
      onKey: (k) => seen.push(k.name.toString()),
    })) {
      expect(b.keys).toHaveLength(1);
      break;
    }
    expect(seen).toEqual(['k0']);
  });

  it('with the block CRCs of an earlier read, a file changed since throws FileChangedError before the changed block is parsed', async () => {
    const bytes = rdb([40, 40, 40, 40]);
    const digests = new BlockDigests(32);
    digests.update(bytes);
    digests.finish();
    const changed = bytes.slice();
    changed[changed.length - 20]! ^= 1;
    const seen: string[] = [];
    const read = collect(
      readRdbBatches(source(changed), new RdbKeyReader({}), { batchSize: 1, batchBytes: 1 << 20, digests, onKey: (k) => seen.push(k.name.toString()) }),
    );
    await expect(read).rejects.toBeInstanceOf(FileChangedError);
    expect(seen).not.toContain('k3');
    expect(await collect(readRdbBatches(source(bytes), new RdbKeyReader({}), { batchSize: 10, batchBytes: 1 << 20, digests }))).toEqual([
      { names: ['k0', 'k1', 'k2', 'k3'], last: true },
    ]);
  });

  it('ends at the parser error with the keys read before it, and the reader says why', async () => {
    const bytes = rdb([1, 1, 1]);
    const broken = bytes.slice();
    broken[broken.length - 9 - 2] = 0x2f; // the last key's value length: 47 bytes, past the end of the file
    const reader = new RdbKeyReader({});
    const batches = await collect(readRdbBatches(source(broken), reader, { batchSize: 10, batchBytes: 1 << 20 }));
    expect(batches.flatMap((b) => b.names)).toEqual(['k0', 'k1']);
    expect(reader.end().ok).toBe(false);
  });
});
