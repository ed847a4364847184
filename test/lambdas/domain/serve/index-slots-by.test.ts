import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SLOT_COUNT } from '../../../../lambdas/domain/keys/hash-slot.js';
import { FOOTER, readDirectory, readFooter } from '../../../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex } from '../../../../lambdas/domain/serve/index-write.js';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { PagedKeyIndex } from '../../../../lambdas/domain/serve/paged-index.js';
import { ShardedKeyIndex } from '../../../../lambdas/domain/serve/sharded-index.js';

const COPY = { bytes: 1_000_000, trailer: '0123456789abcdef' };

/** An index file of `names` (db 0). */
function indexFile(names: string[]): Buffer {
  const b = new KeyIndexBuilder();
  for (const [i, name] of names.entries()) b.add({ db: 0, name: Buffer.from(name), type: 0, valueAt: i * 10, valueEnd: i * 10 + 5, expireAtMs: null });
  return encodeKeyIndex(b.finish(10), COPY, false);
}

/** `file` with its header changed by `edit` (directory and footer rewritten, as an older writer would have written them). */
function withHeader(file: Buffer, edit: (h: Record<string, unknown>) => void): Buffer {
  const footer = readFooter(file, file.length);
  if ('problem' in footer) throw new Error(footer.problem);
  const directory = file.subarray(footer.at, file.length - FOOTER);
  const jsonLen = directory.readUInt32LE(0);
  const h = JSON.parse(directory.toString('utf8', 4, 4 + jsonLen)) as Record<string, unknown>;
  edit(h);
  const json = Buffer.from(JSON.stringify(h), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const newDirectory = Buffer.concat([len, json, directory.subarray(4 + jsonLen)]);
  const tail = Buffer.from(file.subarray(file.length - FOOTER));
  createHash('sha256').update(newDirectory).digest().copy(tail, 8);
  return Buffer.concat([file.subarray(0, footer.at), newDirectory, tail]);
}

function paged(file: Buffer): PagedKeyIndex {
  const footer = readFooter(file, file.length);
  if ('problem' in footer) throw new Error(footer.problem);
  const d = readDirectory(file.subarray(footer.at, file.length - FOOTER), footer.sha256, footer.at, COPY, footer.layout);
  if ('problem' in d) throw new Error(d.problem);
  const readNow = (o: number, l: number) => Buffer.from(file.subarray(o, o + l));
  return new PagedKeyIndex(d, COPY, { readNow, read: async (o, l) => readNow(o, l) }, 'test.keys');
}

/** A slot map holding only `slot`. */
/** shard0 then `second`, as one keyspace. */
function sharded(second: Buffer): ShardedKeyIndex {
  return new ShardedKeyIndex([
    { index: paged(shard0), base: 0 },
    { index: paged(second), base: COPY.bytes },
  ]);
}

function only(slot: number): string {
  const map = new Uint8Array(SLOT_COUNT / 8);
  map[slot >> 3] = 1 << (slot & 7);
  return Buffer.from(map).toString('base64');
}

const shard0 = indexFile(['a', 'b']);

describe("an index's slot map and the rule it was computed by", () => {
  // foo{}{bar}: Redis' slot 8363; the cluster-key-slot package, which wrote the maps of older indexes, said 4015.
  const shard1 = indexFile(['foo{}{bar}']);

  it('a current index says its rule and its map holds the key where Redis places it: found across shards', () => {
    const index = sharded(shard1);
    expect(index.find(0, Buffer.from('foo{}{bar}'))).toBe(2);
  });

  it("an older index (no rule in its header, its map by the package's slots) is not trusted: every shard is looked in, the key found", () => {
    const old = withHeader(shard1, (h) => {
      delete h.slotsBy;
      h.slots = only(4015);
    });
    expect(
      paged(old)
        .slotMap()
        .every((b) => b === 0xff),
    ).toBe(true);
    const index = sharded(old);
    expect(index.find(0, Buffer.from('foo{}{bar}'))).toBe(2);
  });

  it('the same wrong map under the current rule is trusted, and the key is not found (the rule is what the reader goes by)', () => {
    const wrong = withHeader(shard1, (h) => {
      h.slots = only(4015);
    });
    const index = sharded(wrong);
    expect(index.find(0, Buffer.from('foo{}{bar}'))).toBe(-1);
  });
});
