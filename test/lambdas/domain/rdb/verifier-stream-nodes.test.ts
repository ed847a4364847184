/**
 * Review 20, finding 1: a stream node's listpack is read as a stream node,
 * not only as a listpack. A real redis-server 7.0 writes streams of every
 * shape (same fields and not, deleted entries, several nodes, long and
 * integer values, a consumer group); one element of a node changed in place
 * (the CRC-64 made right again), as the review's fuzzed files were, must be
 * refused naming the key, the node or entry and the byte, and each verdict is
 * held against redis-check-rdb's (Redis's deep validation,
 * streamValidateListpackIntegrity): refused by both, or — where redis-dr's
 * readers need more than Redis checks (the master entry's count and deleted
 * against the entries' flags, the stream's length against its nodes) —
 * loaded by Redis and refused here, on purpose.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { belowNode, checkStreamNode, lastLive } from '../../../../lambdas/domain/rdb/format/stream-node.js';
import { decodeDumpPayload, streamNodeEntries } from '../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { createRdbVerifier, type RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';
import { mulberry32 } from '../../../support/prng.js';
import { streamBelowNode } from '../../../support/stream-below-node.js';
import { file, str, streamNodeKeyAt } from '../../../support/rdb-bytes.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

let dir: string;

/** The verifier's report, whole and byte by byte (the parser resumes anywhere: both must agree). */
function verify(bytes: Uint8Array): RdbReport {
  const whole = createRdbVerifier();
  whole.push(bytes);
  const report = whole.end();
  const bytewise = createRdbVerifier();
  for (let at = 0; at < bytes.length; at++) bytewise.push(bytes.subarray(at, at + 1));
  expect(bytewise.end()).toEqual(report);
  return report;
}

/** redis-check-rdb's verdict (Redis's loader with deep validation): true when it reads the file whole. */
function redisDeepLoads(bytes: Uint8Array): boolean {
  const path = join(dir, `check-${Math.random().toString(36).slice(2)}.rdb`);
  writeFileSync(path, bytes);
  try {
    execFileSync('redis-check-rdb', [path], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A describe's end: its server stopped, its folder removed. */
async function stopAndClean(server: RedisServer | undefined): Promise<void> {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The file with its CRC-64 trailer recomputed. */
function withCrc(bytes: Buffer): Buffer {
  new Crc64().update(bytes, 0, bytes.length - 8).writeLittleEndian(bytes, bytes.length - 8);
  return bytes;
}

/** Where the listpack of the node keyed `ms-seq` starts (after its RDB string length), and its length. */
function nodeAt(rdb: Buffer, ms: number, seq: number): { at: number; length: number } {
  const len = streamNodeKeyAt(rdb, ms, seq) + 16;
  // A 6-bit or 14-bit RDB length (the file is written without LZF: rdbcompression no).
  if (rdb[len]! < 0x40) return { at: len + 1, length: rdb[len]! };
  expect(rdb[len]! >> 6).toBe(1);
  return { at: len + 2, length: ((rdb[len]! & 0x3f) << 8) | rdb[len + 1]! };
}

/** The offset of element `index` of the listpack at `at` (sizes as listpack.c encodes them). */
function elementAt(rdb: Buffer, at: number, index: number): number {
  let p = at + 6;
  for (let i = 0; i < index; i++) {
    const enc = rdb[p]!;
    let size: number;
    if (enc < 0x80) size = 1;
    else if (enc < 0xc0) size = 1 + (enc & 0x3f);
    else if (enc < 0xe0) size = 2;
    else if (enc < 0xf0) size = 2 + (((enc & 0x0f) << 8) | rdb[p + 1]!);
    else if (enc === 0xf0) size = 5 + rdb.readUInt32LE(p + 1);
    else size = [3, 4, 5, 9][enc - 0xf1]!;
    p += size + (size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : 4);
  }
  return p;
}

describe('verifier: a stream node is walked as a stream node (deep validation, and the counts every reader relies on)', () => {
  let server: RedisServer;
  let real: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdb-stream-nodes-'));
    server = await startRedisServer({ args: ['--stream-node-max-entries', '3', '--rdbcompression', 'no'] });
    const c = server.client();
    // same: every entry with the master's fields (nodes 1-1 with three entries, 1-4 with one), a group that read two.
    for (const [id, v] of [
      ['1-1', 'a'],
      ['1-2', 'b'],
      ['1-3', 'c'],
      ['1-4', 'd'],
    ] as const)
      await c.xadd('same', id, 'f', v);
    await c.xgroup('CREATE', 'same', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c', 'COUNT', 2, 'STREAMS', 'same', '>');
    // mixed: a second entry with other fields than the master's.
    await c.xadd('mixed', '2-1', 'a', 'x');
    await c.xadd('mixed', '2-2', 'b', 'y', 'c', 'z');
    // deleted: the middle entry deleted (count 2, deleted 1).
    for (const [id, v] of [
      ['3-1', 'a'],
      ['3-2', 'b'],
      ['3-3', 'c'],
    ] as const)
      await c.xadd('deleted', id, 'f', v);
    await c.xdel('deleted', '3-2');
    // long: values of 200 and 5,000 bytes (12-bit lengths, multi-byte back lengths), integer values, other fields.
    await c.xadd('long', '4-1', 'f', 'v'.repeat(200));
    await c.xadd('long', '4-2', 'f', 'w'.repeat(5000));
    await c.xadd('long', '4-3', 'f', '12345', 'g', '-7');
    real = Buffer.from(readFileSync(await bgsave(server, c)));
  }, 30_000);

  afterAll(() => stopAndClean(server));

  it("a real server's streams of every shape pass, and Redis's deep validation reads them (negative)", () => {
    expect(verify(real)).toMatchObject({ ok: true, keys: 4, byType: { stream: 4 } });
    expect(redisDeepLoads(real)).toBe(true);
  });

  /** The real file with element `index` of node `ms-seq` set to the byte `value` (a one-byte element stays one byte). */
  function changed(ms: number, seq: number, index: number, value: number): Buffer {
    const out = Buffer.from(real);
    const { at } = nodeAt(out, ms, seq);
    const p = elementAt(out, at, index);
    expect(out[p]! < 0x80 || out[p] === 0x80).toBe(true);
    expect(value < 0x80 || value === 0x80).toBe(true);
    out[p] = value;
    return withCrc(out);
  }

  // Node 1-1 of `same`: 3, 0, 1, "f", 0 | 2, 0, 0, "a", 4 | 2, 0, 1, "b", 4 | 2, 0, 2, "c", 4.
  // Node 2-1 of `mixed`: 2, 0, 1, "a", 0 | 2, 0, 0, "x", 4 | 0, 0, 1, 2, "b", "y", "c", "z", 8.
  // Node 3-1 of `deleted`: 2, 1, 1, "f", 0 | 2, 0, 0, "a", 4 | 3, 0, 1, "b", 4 | 2, 0, 2, "c", 4.
  it.each<[string, () => Buffer, RegExp, boolean]>([
    ['the master count one too many (review f32, f36)', () => changed(1, 1, 0, 4), /stream node 1-1 says 4 entries and 0 deleted, holds 3 and 0/, false],
    ['the master entry without its 0', () => changed(1, 1, 4, 1), /stream node 1-1: its master entry does not end with 0/, false],
    ["the master entry's field count a string", () => changed(1, 1, 2, 0x80), /stream node 1-1: its master entry's field count is not an integer/, false],
    ["an entry's element count wrong (review f50)", () => changed(1, 1, 9, 5), /stream entry 1-1 has a wrong element count/, false],
    ["an entry's flags a string", () => changed(1, 1, 5, 0x80), /stream node 1-1, entry 1: its flags are not an integer/, false],
    ["an entry's id delta a string", () => changed(1, 1, 6, 0x80), /stream node 1-1, entry 1: its id is not two integers/, false],
    ["an entry's own field count one short", () => changed(2, 1, 13, 1), /stream entry 2-2 has a wrong element count/, false],
    ["an entry's own field count past the node's end", () => changed(2, 1, 13, 9), /stream entry 2-2: the listpack ends inside it/, false],
    // Redis checks count + deleted against the entries; XLEN, XRANGE and XINFO need each.
    ['the master count one short', () => changed(3, 1, 0, 1), /stream node 3-1 says 1 entries and 1 deleted, holds 2 and 1/, false],
    ['an entry flagged deleted that the master counts live', () => changed(1, 1, 10, 3), /stream node 1-1 says 3 entries and 0 deleted, holds 2 and 1/, true],
  ])('%s: refused, naming the key and the byte', (_, make, message, redisLoads) => {
    const bytes = make();
    const r = verify(bytes);
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/^key \d value \(stream, RDB type 19\): /);
    expect(r.error?.message).toMatch(message);
    expect(r.error?.offset).toBeGreaterThan(0);
    expect(redisDeepLoads(bytes)).toBe(redisLoads);
  });

  it('count and deleted swapped, their sum kept (review f47, f10): Redis loads it (its check is the sum); refused here', () => {
    const out = Buffer.from(real);
    const { at } = nodeAt(out, 3, 1);
    out[elementAt(out, at, 0)] = 1; // count 2 → 1
    out[elementAt(out, at, 1)] = 2; // deleted 1 → 2
    const bytes = withCrc(out);
    expect(verify(bytes).error?.message).toMatch(/stream node 3-1 says 1 entries and 2 deleted, holds 2 and 1/);
    expect(redisDeepLoads(bytes)).toBe(true);
  });

  it('1,500 one-bit flips of the file (CRC-64 made right): whatever the verifier passes, the DUMP decoder reads (review 20: 175 of 1,255 did not)', () => {
    const random = mulberry32(20);
    let passed = 0;
    for (let i = 0; i < 1500; i++) {
      const bytes = Buffer.from(real);
      bytes[9 + Math.floor(random() * (bytes.length - 18))]! ^= 1 << Math.floor(random() * 8);
      const v = createRdbVerifier();
      v.push(withCrc(bytes));
      if (!v.end().ok) continue;
      passed++;
      for (const key of new RdbKeyReader({}).push(bytes)) expect(() => decodeDumpPayload(key.payload)).not.toThrow();
    }
    expect(passed).toBeGreaterThan(300); // flips inside values and names pass, and are read
  });

  it("the stream's length above its nodes' live entries (review f51): Redis loads it (XLEN then says 9); refused here", () => {
    const out = Buffer.from(real);
    const { at, length } = nodeAt(out, 1, 4); // the last node of `same`: its length follows
    expect(out[at + length]).toBe(4);
    out[at + length] = 9;
    const bytes = withCrc(out);
    const r = verify(bytes);
    expect(r.error?.message).toMatch(/the stream says it holds 9 entries, its nodes hold 4: Redis loads it, but XLEN then contradicts XRANGE/);
    expect(redisDeepLoads(bytes)).toBe(true);
  });
});

describe('checkStreamNode: integers as Redis reads them', () => {
  /** A listpack of strings (up to 63 bytes) and integers (7-bit, 13-bit). */
  const listpack = (items: readonly (string | number)[]): Uint8Array => {
    const body = items.flatMap((x) => {
      const entry = typeof x === 'string' ? [0x80 | x.length, ...Buffer.from(x)] : x >= 0 && x < 128 ? [x] : [0xc0 | ((x >> 8) & 0x1f), x & 0xff];
      return [...entry, entry.length];
    });
    const total = 7 + body.length;
    return Uint8Array.from([total & 0xff, total >> 8, 0, 0, items.length, 0, ...body, 0xff]);
  };
  const id = Buffer.from('00000000000000050000000000000000', 'hex');
  /** A one-stream file (RDB 10, type 19) with node 5-0 holding `lp`, length 1, last id 5-0. */
  const streamFile = (lp: Uint8Array): Uint8Array => file('REDIS0010', [0xfe, 0, 0x13, ...str('s'), 1, 16, ...id, lp.length, ...lp, 1, 5, 0, 5, 0, 0, 0, 1, 0]);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdb-stream-ints-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decimal strings where integers belong are read as Redis reads them (string2ll): the node passes and decodes', () => {
    const lp = listpack(['1', '0', '1', 'f', '0', '2', '0', '0', 'v', '4']);
    expect(checkStreamNode(lp, id)).toBe(1);
    const entries: [string, Buffer[]][] = [];
    streamNodeEntries(id, lp, entries);
    expect(entries).toEqual([['5-0', [Buffer.from('f'), Buffer.from('v')]]]);
    const bytes = streamFile(lp);
    expect(verify(bytes)).toMatchObject({ ok: true, keys: 1 });
    expect(redisDeepLoads(bytes)).toBe(true);
  });

  it('a string string2ll refuses ("01") where an integer belongs: refused, as Redis refuses it', () => {
    const lp = listpack(['01', 0, 1, 'f', 0, 2, 0, 0, 'v', 4]);
    expect(() => checkStreamNode(lp, id)).toThrow(/stream node 5-0: its master entry's count is not an integer/);
    const bytes = streamFile(lp);
    expect(verify(bytes).error?.message).toMatch(/its master entry's count is not an integer/);
    expect(redisDeepLoads(bytes)).toBe(false);
  });

  it('a negative field count: refused (no server writes one; Redis reads it as none)', () => {
    expect(() => checkStreamNode(listpack([1, 0, -1, 0, 2, 0, 0, 2]), id)).toThrow(/stream node 5-0: its master entry has -1 fields/);
    expect(() => checkStreamNode(listpack([1, 0, 0, 0, 0, 0, 0, -1, 2]), id)).toThrow(/stream entry 5-0 has -1 fields/);
  });

  it("a live entry below its node's ID: named outside the stream's first node (Redis's reads by ID can miss it), not in the first", () => {
    // Node 5-0: 5-0 (deleted), then 4-0 live (a Redis before 7.2 writes this in a first node: XSETID below its deleted entries).
    const lp = listpack([1, 1, 1, 'f', 0, 3, 0, 0, 'v', 4, 2, -1, 0, 'w', 4]);
    expect(checkStreamNode(lp, id)).toBe(1);
    expect(lastLive).toEqual({ ms: 4, seq: 0, some: true });
    expect(belowNode.entry).toBe('');
    // Outside the first node a pre-7.2 server writes it too (then answers by ID out of order itself): named, for a warning.
    expect(checkStreamNode(lp, id, false)).toBe(1);
    expect(belowNode.entry).toMatch(/^stream node 5-0, entry 2 \(4-0\): below its node's ID/);
    // The next node walked starts clean.
    checkStreamNode(lp, id);
    expect(belowNode.entry).toBe('');
  });

  it('IDs past 2^53 compared exactly (2^53 and 2^53 + 1 are one double): rising ones pass, the same one twice is refused', () => {
    const big = Buffer.alloc(16);
    big.writeBigUInt64BE(2n ** 53n - 1n, 0);
    const node = (second: string): Uint8Array => listpack([3, 0, 1, 'f', 0, 2, 0, 0, 'v', 4, 2, '1', 0, 'v', 4, 2, second, 0, 'v', 4]);
    expect(checkStreamNode(node('2'), big)).toBe(3);
    expect(lastLive).toEqual({ ms: 2n ** 53n + 1n, seq: 0, some: true });
    expect(() => checkStreamNode(node('1'), big)).toThrow(/entry 3 \(9007199254740992-0\): not above the live entry before it \(9007199254740992-0\)/);
  });

  it('an element after the last entry: refused as a count the master entry does not say', () => {
    expect(checkStreamNode(listpack([1, 0, 1, 'f', 0, 2, 0, 0, 'v', 4]), id)).toBe(1);
    expect(() => checkStreamNode(listpack([1, 0, 1, 'f', 0, 2, 0, 0, 'v', 4, 7]), id)).toThrow(/stream node 5-0, entry 2: the listpack ends inside it/);
  });
});

/**
 * Review 21, finding 1: the entries' IDs (master ID + deltas). Four files no
 * server writes, each one byte of a real 7.0 file changed (the CRC-64 made
 * right), passed before although Redis then answers XRANGE unlike every
 * reader here; each is refused, naming the entry, though redis-check-rdb
 * loads it (stricter than deep validation, on purpose). Real 7.0 streams of
 * every shape pass, among them the states only a Redis before 7.2 reaches
 * (XSETID below a deleted entry: deleted entries out of order or above the
 * last ID, live ones below a first node's ID), which every reader, Redis's
 * included, reads alike.
 */
describe('verifier: stream entry IDs in the order Redis reads them by', () => {
  let server: RedisServer;
  let c: ReturnType<RedisServer['client']>;
  let two: Buffer;
  let shapes: Buffer;
  let disordered: Buffer;
  let repeated: Buffer;
  let inOrder: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdb-stream-ids-'));
    server = await startRedisServer({ args: ['--rdbcompression', 'no', '--enable-debug-command', 'yes'] });
    c = server.client();
    const nodeEntries = (n: number, bytes = 4096) =>
      c.config('SET', 'stream-node-max-entries', String(n)).then(() => c.config('SET', 'stream-node-max-bytes', String(bytes)));
    const add = async (key: string, ids: readonly string[], value = 'v'): Promise<void> => {
      const batch = c.pipeline();
      for (const id of ids) batch.xadd(key, id, 'f', value);
      await batch.exec();
    };
    const range = (from: number, to: number, seq = 0): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}-${seq}`);
    // The review's stream: nodes 10-0 (10-0 20-0) and 30-0 (30-0 40-0), last ID 40-0.
    await nodeEntries(2);
    await add('o', ['10-0', '20-0', '30-0', '40-0']);
    two = Buffer.from(readFileSync(await bgsave(server, c)));
    await c.del('o');

    // Every shape a real server writes (four entries a node unless said).
    await nodeEntries(4);
    await add('scattered', range(1, 40));
    await c.xdel('scattered', ...range(1, 40).filter((_, i) => i % 3 === 1));
    await add('whole-nodes', range(1, 20));
    await c.xdel('whole-nodes', ...range(5, 8), ...range(13, 16)); // nodes 5-0 and 13-0 gone
    await add('maxlen', range(1, 50));
    await c.xtrim('maxlen', 'MAXLEN', '~', 10);
    await add('maxlen-limit', range(1, 50));
    await c.xtrim('maxlen-limit', 'MAXLEN', '~', 10, 'LIMIT', 8);
    await add('maxlen-exact', range(1, 50));
    await c.xtrim('maxlen-exact', 'MAXLEN', 10); // node 37-0's first entries flagged deleted
    await add('minid', range(1, 20));
    await c.xtrim('minid', 'MINID', '7-0'); // node 5-0 keeps 7-0 and 8-0, 5-0 and 6-0 flagged deleted
    // A node left with no live entry, its first entry flagged: XTRIM MINID stops at a node whose deleted last entry is above it.
    await add('zero-live', range(1, 12));
    await c.xdel('zero-live', '8-0');
    await c.xtrim('zero-live', 'MINID', '8-0');
    await add('first-deleted', range(1, 8));
    await c.xdel('first-deleted', '1-0', '5-0'); // both nodes' first entries flagged, their others live
    await add('groups', range(1, 10));
    await c.xgroup('CREATE', 'groups', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 4, 'STREAMS', 'groups', '>');
    await c.xreadgroup('GROUP', 'g', 'c2', 'COUNT', 3, 'STREAMS', 'groups', '>');
    await c.xack('groups', 'g', '2-0');
    await c.xclaim('groups', 'g', 'c2', 0, '3-0');
    // IDs across 2^53 and up to 2^64-1, values over 127 bytes (so JavaScript walks those nodes too).
    await add('big-ids', ['9007199254740991-5', '9007199254740992-0', '9007199254740993-1', '18446744073709551615-0'], 'x'.repeat(200));
    await add('big-ids', ['18446744073709551615-18446744073709551614', '18446744073709551615-18446744073709551615']);
    // One node of 14,000 entries: 70,005 listpack elements (its header count "unknown"), over the WebAssembly walk's 64 KB.
    await nodeEntries(0, 0);
    await add('one-node', range(1, 14000, 1));
    await c.xdel('one-node', ...range(1, 14000, 1).filter((_, i) => i % 7 === 3));
    // A Redis before 7.2 (XSETID below a deleted entry): a deleted entry above the last ID, then out of order in its node.
    await nodeEntries(100);
    await add('xsetid-deleted-top', ['1-0', '2-0', '3-0']);
    await c.xdel('xsetid-deleted-top', '3-0');
    await c.xsetid('xsetid-deleted-top', '2-5');
    await add('xsetid-after', ['1-0', '2-0', '3-0']);
    await c.xdel('xsetid-after', '3-0');
    await c.xsetid('xsetid-after', '2-5');
    await add('xsetid-after', ['2-6']); // its node: 1-0 2-0 3-0 (deleted) 2-6
    // …and a node of deleted entries only above the last ID (length 0), then a live entry below that (first) node's ID.
    await nodeEntries(3);
    await add('xsetid-empty', range(1, 5));
    await c.xdel('xsetid-empty', '5-0');
    await c.xtrim('xsetid-empty', 'MINID', '5-0'); // node 4-0: 4-0, 5-0 both deleted
    await c.xsetid('xsetid-empty', '1-0');
    await add('xsetid-below', range(1, 5));
    await c.xdel('xsetid-below', '5-0');
    await c.xtrim('xsetid-below', 'MINID', '5-0');
    await c.xsetid('xsetid-below', '1-0');
    await add('xsetid-below', ['1-5']); // node 4-0: 4-0, 5-0 (deleted), 1-5
    expect(await c.xrange('xsetid-below', '1-5', '1-5')).toHaveLength(1); // Redis reads it by ID: the seek starts at the first node
    // The shapes are what they say: nodes (radix-tree keys) and live entries.
    const shape = async (key: string): Promise<[unknown, unknown]> => {
      const info = (await c.xinfo('STREAM', key)) as unknown[];
      return [info[info.indexOf('radix-tree-keys') + 1], info[info.indexOf('length') + 1]];
    };
    expect(await shape('zero-live')).toEqual([2, 4]); // node 5-0 of deleted entries only, node 9-0
    expect(await shape('whole-nodes')).toEqual([3, 12]);
    expect(await shape('one-node')).toEqual([1, 12000]);
    expect(await shape('xsetid-empty')).toEqual([1, 0]);
    await c.debug('RELOAD'); // what a server writes after loading its own file
    shapes = Buffer.from(readFileSync(await bgsave(server, c)));

    // Review 22 (support/stream-below-node.ts): a node made before a node of deleted entries only, then XSETID 1-5 (7.0 holds
    // it against the last live entry in file order, 1-5, not the highest, 1-6) and XADD 1-6 again; and, the negative case, a
    // below-node entry above every live one before it.
    await c.flushall();
    expect(await streamBelowNode(c, 'xsetid-repeat', 'repeat')).toEqual(['1-6', '1-5', '1-6']);
    repeated = Buffer.from(readFileSync(await bgsave(server, c)));
    await c.flushall();
    expect(await streamBelowNode(c, 'xsetid-in-order', 'in-order')).toEqual(['1-6', '1-7']);
    inOrder = Buffer.from(readFileSync(await bgsave(server, c)));
    await nodeEntries(3);

    // xsetid-below's state, then the node is full and the next XADD makes a node 1-6 before it: Redis's own XRANGE then goes 1-6, 1-5.
    await c.flushall();
    await add('xsetid-disordered', range(1, 5));
    await c.xdel('xsetid-disordered', '5-0');
    await c.xtrim('xsetid-disordered', 'MINID', '5-0');
    await c.xsetid('xsetid-disordered', '1-0');
    await add('xsetid-disordered', ['1-5', '1-6']);
    disordered = Buffer.from(readFileSync(await bgsave(server, c)));
  }, 60_000);

  afterAll(() => stopAndClean(server));

  it("a real server's streams of every shape pass (Redis's deep validation reads them too)", () => {
    expect(verify(two)).toMatchObject({ ok: true, keys: 1 });
    expect(verify(shapes)).toMatchObject({ ok: true, keys: 15, byType: { stream: 15 } });
    expect(redisDeepLoads(shapes)).toBe(true);
  });

  /** The review's file with byte `at` of node `ms`-0 (element `index` of its listpack, or its key's last millisecond byte) set. */
  function changedTwo(ms: number, index: number | 'key', value: number): Buffer {
    const out = Buffer.from(two);
    if (index === 'key') out[streamNodeKeyAt(out, ms, 0) + 7] = value;
    else out[elementAt(out, nodeAt(out, ms, 0).at, index)] = value;
    return withCrc(out);
  }

  // Node 10-0: 2, 0, 1, "f", 0 | 2, 0, 0, "v", 4 | 2, 10, 0, "v", 4; node 30-0 the same.
  it.each<[string, () => Buffer, RegExp]>([
    [
      "a node whose entries lie below the node before it's last (key 30-0 → 15-0: 15-0, 25-0)",
      () => changedTwo(30, 'key', 15),
      /stream node ID 15-0 is not above entry 20-0 of node 10-0 before it/,
    ],
    ['the same ID in two nodes (key 30-0 → 20-0)', () => changedTwo(30, 'key', 20), /stream node ID 20-0 is not above entry 20-0 of node 10-0 before it/],
    [
      'the same ID twice in a node (its second delta 10 → 0)',
      () => changedTwo(10, 11, 0),
      /stream node 10-0, entry 2 \(10-0\): not above the live entry before it \(10-0\)/,
    ],
    ["an entry above the stream's last ID (40-0 → 157-0)", () => changedTwo(30, 11, 127), /stream entry 157-0 of node 30-0 is above the stream's last ID 40-0/],
    [
      "a node's first entry not at its ID (30-0 → 35-0)",
      () => changedTwo(30, 6, 5),
      /stream node 30-0, entry 1 \(35-0\): a node's first entry is at the node's ID/,
    ],
  ])('%s: refused, naming the entry; redis-check-rdb loads it', (_, make, message) => {
    const bytes = make();
    const r = verify(bytes);
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/^key 1 value \(stream, RDB type 19\): /);
    expect(r.error?.message).toMatch(message);
    expect(redisDeepLoads(bytes)).toBe(true);
  });

  it('a pre-7.2 stream Redis itself reads out of order (XRANGE 1-6, 1-5; XRANGE 1-5 1-5 empty): OK, with a warning naming the entry', async () => {
    const r = verify(disordered);
    // The copy holds what the server held: not corrupt, but the stream is (Redis's reads by ID can miss the entry).
    expect(r.ok).toBe(true);
    expect(r.warnings?.map((w) => w.message).join('\n')).toMatch(
      /stream node 4-0, entry 3 \(1-5\): below its node's ID.*; it repeats or precedes live entry 1-6 of node 1-6, so XRANGE - \+ lists IDs out of order or one twice: Redis loads it, with deep sanitization too$/,
    );
    expect(r.warningKinds).toEqual({ 'server-held': 1 });
    expect(redisDeepLoads(disordered)).toBe(true);
    expect((await c.xrange('xsetid-disordered', '-', '+')).map(([id]) => id)).toEqual(['1-6', '1-5']);
    expect(await c.xrange('xsetid-disordered', '1-5', '1-5')).toEqual([]);
  });

  it('review 22: a pre-7.2 stream with an ID twice (XRANGE 1-6, 1-5, 1-6): OK, the warning says the IDs repeat or run out of order', () => {
    const r = verify(repeated);
    expect(r).toMatchObject({ ok: true, warningCount: 1, warningKinds: { 'server-held': 1 } });
    expect(r.warnings?.[0]?.message).toBe(
      "key 1 value (stream, RDB type 19): stream node 4-0, entry 3 (1-5): below its node's ID; Redis's reads by ID can miss it (XREVRANGE ending at it where a node before it lies at or below it, XRANGE ending at it where a live entry before it lies above it) (a Redis before 7.2 writes this after an XSETID below deleted entries); it repeats or precedes live entry 1-6 of node 1-6, so XRANGE - + lists IDs out of order or one twice: Redis loads it, with deep sanitization too",
    );
    expect(redisDeepLoads(repeated)).toBe(true);
  });

  it('negative: a below-node entry above every live entry before it (XRANGE 1-6, 1-7) is named without a claim of repeats', () => {
    const r = verify(inOrder);
    expect(r).toMatchObject({ ok: true, warningCount: 1, warningKinds: { 'server-held': 1 } });
    const message = r.warnings?.[0]?.message ?? '';
    expect(message).toMatch(/stream node 4-0, entry 3 \(1-7\): below its node's ID.*: Redis loads it, with deep sanitization too$/);
    expect(message).not.toMatch(/repeat|out of order|twice|precedes/);
    expect(redisDeepLoads(inOrder)).toBe(true);
  });

  it('what the server holds in those states: XRANGE - + as the warnings say, and which reads by ID miss a below-node entry', async () => {
    await c.flushall();
    expect(await streamBelowNode(c, 'r', 'repeat')).toEqual(['1-6', '1-5', '1-6']);
    // The stored first ID is not the first entry's (convert-rdb's firstIdNotFirstEntrys: a real state, not only a crafted one).
    const info = (await c.xinfo('STREAM', 'r')) as unknown[];
    expect([info[info.indexOf('recorded-first-entry-id') + 1], (info[info.indexOf('first-entry') + 1] as unknown[])[0]]).toEqual(['1-5', '1-6']);
    expect(await streamBelowNode(c, 'o', 'in-order')).toEqual(['1-6', '1-7']);
    // Review 23: the warning's words, read by the server. A below-node entry: XREVRANGE ending at it misses it where a node
    // before it lies at or below it (o: node 1-6), else starts from the last node and finds it (r: no node at or below 1-5);
    // XRANGE ending at it misses it where a live entry before it lies above it (r: 1-6), else finds it (o), as XREAD does.
    const ids = (entries: [string, string[]][]) => entries.map(([id]) => id);
    expect(await c.xrevrange('o', '1-7', '1-7')).toEqual([]);
    expect(ids(await c.xrevrange('o', '3-0', '1-7'))).toEqual([]);
    expect(ids(await c.xrange('o', '1-7', '1-7'))).toEqual(['1-7']);
    expect(ids(await c.xrange('o', '1-7', '+'))).toEqual(['1-7']);
    const read = (await c.xread('STREAMS', 'o', '1-6')) as [string, [string, string[]][]][];
    expect(ids(read[0]![1])).toEqual(['1-7']);
    expect(ids(await c.xrevrange('o', '+', '-'))).toEqual(['1-7', '1-6']);
    expect(ids(await c.xrevrange('r', '1-5', '1-5'))).toEqual(['1-5']);
    expect(await c.xrange('r', '1-5', '1-5')).toEqual([]);
    expect(await c.xrange('r', '-', '1-5')).toEqual([]);
  });

  it("review 23: a node whose ID is not above an entry before it: XRANGE and XREVRANGE of that entry's ID, and XREAD from just below it, miss it in a real 7.0", async () => {
    const bytes = changedTwo(30, 'key', 15);
    expect(verify(bytes).error?.message).toMatch(
      /stream node ID 15-0 is not above entry 20-0 of node 10-0 before it: Redis's XRANGE and XREVRANGE of that entry's ID, and XREAD from just below it, then miss that entry$/,
    );
    const file = join(dir, 'node-below-entry.rdb');
    writeFileSync(file, bytes);
    const loaded = await startRedisServer({ loadRdb: file });
    try {
      const l = loaded.client();
      const ids = (entries: [string, string[]][]) => entries.map(([id]) => id);
      // The entry is there (XRANGE - + walks every node), and the reads by its ID miss it.
      expect(ids(await l.xrange('o', '-', '+'))).toEqual(['10-0', '20-0', '15-0', '25-0']);
      expect(await l.xrange('o', '20-0', '20-0')).toEqual([]);
      expect(await l.xrevrange('o', '20-0', '20-0')).toEqual([]);
      const read = (await l.xread('STREAMS', 'o', '19-0')) as [string, [string, string[]][]][];
      expect(ids(read[0]![1])).toEqual(['25-0']);
    } finally {
      await loaded.stop();
    }
    // An entry not above the live one before it in its node (the same ID twice): XRANGE - + lists the ID twice.
    const twice = changedTwo(10, 11, 0);
    expect(verify(twice).error?.message).toMatch(
      /entry 2 \(10-0\): not above the live entry before it \(10-0\); Redis's XRANGE - \+ then lists an ID twice or out of order$/,
    );
    const twiceFile = join(dir, 'entry-twice.rdb');
    writeFileSync(twiceFile, twice);
    const again = await startRedisServer({ loadRdb: twiceFile });
    try {
      expect((await again.client().xrange('o', '-', '+')).map(([id]) => id)).toEqual(['10-0', '10-0', '30-0', '40-0']);
    } finally {
      await again.stop();
    }
  });
});
