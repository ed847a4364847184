import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyDigestSpill } from '../../../../../lambdas/domain/rdb/format/key-digests.js';
import { RdbParser } from '../../../../../lambdas/domain/rdb/format/parser.js';
import {
  balancedStart,
  findSegmentStart,
  mergeProblem,
  mergeSegment,
  takeSegment,
  newSegmentParser,
  readHeadContext,
  RESYNC_KEYS,
  type SegmentParserOptions,
  type SegmentSearch,
  segmentOf,
} from '../../../../../lambdas/domain/rdb/format/split.js';
import { createRdbVerifier, type RdbCheckpoint, type RdbReport } from '../../../../../lambdas/domain/rdb/verifier.js';
import { CORPUS_DIR } from '../../../../support/rdb-corpus.js';
import { populate } from '../../../../support/rdb-dataset.js';
import { file, le64, str } from '../../../../support/rdb-bytes.js';
import { bgsave, type RedisServer, startRedisServer } from '../../../../support/redis-server.js';

/** A spill in memory: the records appended per shard, read back in order. */
function memorySpill(): KeyDigestSpill {
  const shards = new Map<number, Uint32Array[]>();
  return {
    append(shard, records) {
      shards.set(shard, [...(shards.get(shard) ?? []), records.slice()]);
    },
    read(shard) {
      const parts = shards.get(shard) ?? [];
      const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
    dispose() {},
  };
}

interface Digests {
  /** With a spill (exact), or sampling without one. */
  readonly spill: boolean;
  readonly inMemory?: number;
}

interface SplitRun {
  readonly report: RdbReport;
  /** Where the second part started, if a start was found. */
  readonly from?: number;
  /** The merge was taken, or why not. */
  readonly taken: true | string;
  /** The first part's database at the merge. */
  readonly db?: number;
}

const MAX_VALUE = 512 << 20;

/**
 * The split verification without threads, as verifyRdbFileOnTwoThreads runs it (adapters/host/crc64-thread.ts):
 * the second part's parser finds its start and reads to the end; the first stops there and merges, or reads on.
 */
function splitVerify(bytes: Uint8Array, search: SegmentSearch, digests: Digests = { spill: true }, chunk = 4096): SplitRun {
  const inMemory = digests.inMemory ?? 1 << 21;
  const perSide = digests.spill ? Math.max(1, Math.floor(inMemory / 2)) : inMemory;
  let secondSpill: KeyDigestSpill | undefined;
  const options: SegmentParserOptions = {
    maxValueBytes: MAX_VALUE,
    requireChecksum: false,
    keyDigestsInMemory: perSide,
    ...(digests.spill ? { keyDigestSpill: () => (secondSpill = memorySpill()) } : {}),
  };
  const read = (offset: number, length: number): Uint8Array => bytes.subarray(offset, offset + length);
  const context = readHeadContext(read, bytes.length, options);
  const found = context && findSegmentStart(read, bytes.length, context, options, search);
  let segment;
  if (found) {
    for (let at = found.next; at < bytes.length; at += chunk) found.parser.push(bytes.subarray(at, at + chunk));
    segment = segmentOf(found.parser, found.from, context!);
  }
  const main = new RdbParser(MAX_VALUE, false, undefined, undefined, undefined, false, undefined, undefined, digests.spill ? memorySpill : undefined, perSide);
  if (found) main.stopAtBoundary(found.from);
  let taken: true | string = found ? 'the first part ended' : 'no start';
  let db: number | undefined;
  for (let at = 0; at < bytes.length; at += chunk) {
    main.push(bytes.subarray(at, at + chunk));
    if (main.state() !== 'paused') continue;
    const dbAtStart = main.db;
    // As adapters/host/crc64-thread.ts: a side that spilled leaves the second part's records where they are until the check.
    const lazily = typeof segment !== 'string' && main.keyDigests!.exact && (main.keyDigests!.spilled || segment!.digestsSpilled);
    taken = takeSegment(
      main,
      typeof segment === 'string' ? { reason: segment } : { type: 'done', segment: segment! },
      (s) => [...(secondSpill ? [secondSpill.read(s)] : []), found!.parser.keyDigests!.memoryRecords(s)],
      lazily,
    );
    if (taken === true) {
      db = dbAtStart;
      break;
    }
    const from = main.pausedAt;
    main.continueFromPause();
    main.push(bytes.subarray(from, at + chunk));
  }
  if (main.stopMissed) taken = 'passed';
  return { report: main.end(), taken, ...(found ? { from: found.from } : {}), ...(db !== undefined ? { db } : {}) };
}

function oneThread(bytes: Uint8Array, digests: Digests = { spill: true }): RdbReport {
  const v = createRdbVerifier({ keyDigestsInMemory: digests.inMemory ?? 1 << 21, ...(digests.spill ? { keyDigestSpill: memorySpill } : {}) });
  v.push(bytes);
  return v.end();
}

/** Splits at every offset (each tried alone): every report is the one-thread report; returns the runs. */
function everyOffset(bytes: Uint8Array, digests: Digests = { spill: true }, search: Omit<SegmentSearch, 'from'> = { tries: 1 }): SplitRun[] {
  const one = oneThread(bytes, digests);
  const oneJson = JSON.stringify(one);
  const runs: SplitRun[] = [];
  for (let from = 0; from <= bytes.length; from++) {
    const run = splitVerify(bytes, { ...search, from }, digests);
    if (JSON.stringify(run.report) !== oneJson) expect({ from, report: run.report }).toEqual({ from, report: one });
    runs.push(run);
  }
  return runs;
}

const taken = (runs: SplitRun[]): SplitRun[] => runs.filter((r) => r.taken === true);

function len(n: number): number[] {
  if (n < 64) return [n];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff];
  return [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
const aux = (key: string, value: string): number[] => [0xfa, ...str(key), ...str(value)];
const selectDb = (db: number): number[] => [0xfe, ...len(db)];
const stringKey = (key: string, value: string): number[] => [0x00, ...str(key), ...str(value)];
const expiring = (ms: bigint, key: string, value: string): number[] => [0xfc, ...le64(ms), ...stringKey(key, value)];
const setKey = (key: string, members: string[]): number[] => [0x02, ...str(key), ...len(members.length), ...members.flatMap((m) => str(m))];
/** A string of `n` bytes: a short length prefix, or the 14-bit one. */
const longString = (key: string, n: number, byte: number): number[] => [0x00, ...str(key), ...len(n), ...new Array<number>(n).fill(byte)];

const CTIME = 1_795_483_532;
/** Keys in databases 0, 3 and 5, expiries (passed and to come), a set, and AUX fields: what a split lands between. */
function manyDatabases(extra: { first?: number[]; second?: number[] } = {}): Uint8Array {
  return file('REDIS0009', [
    ...aux('redis-ver', '7.0.15'),
    ...aux('ctime', String(CTIME)),
    ...selectDb(0),
    ...stringKey('a', '1'),
    ...expiring(BigInt(CTIME) * 1000n + 60_000n, 'b', '2'),
    ...setKey('s', ['x', 'y', 'z']),
    ...(extra.first ?? []),
    ...selectDb(3),
    ...stringKey('c', '3'),
    ...expiring(BigInt(CTIME) * 1000n - 5_000n, 'd', 'gone'),
    ...stringKey('e', 'five'),
    ...selectDb(5),
    ...expiring(BigInt(CTIME) * 1000n + 3_600_000n, 'f', '6'),
    ...stringKey('g', '7'),
    ...(extra.second ?? []),
  ]);
}

describe('the split verification: two parsers, one from the start and one from a boundary, give the one-thread report', () => {
  it.each(readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.rdb')))('%s split at every offset', (name) => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, name)));
    const runs = everyOffset(bytes);
    expect(taken(runs).length).toBeGreaterThan(0);
  });

  it('keys in several databases, with expiries: splits in database 0, 3 and 5 and at a SELECTDB are taken; one between an expiry and its key is not', () => {
    const bytes = manyDatabases();
    const one = oneThread(bytes);
    expect(one).toMatchObject({ ok: true, keys: 8, expires: 3, expiredKeys: 1, databases: [0, 3, 5] });
    const runs = everyOffset(bytes);
    const dbs = new Set(taken(runs).map((r) => r.db));
    expect([...dbs].sort()).toEqual([0, 3, 5]);
    expect(taken(runs).some((r) => bytes[r.from!] === 0xfe)).toBe(true);
    expect(runs.some((r) => r.taken === 'an expiry is pending at the boundary')).toBe(true);
    // A start inside an entry that a trial still reads to the end is passed by the first part.
    expect(runs.some((r) => r.taken === 'passed')).toBe(true);
  });

  it('a key stored twice: found across the two parts, within the first and within the second, per database', () => {
    const across = manyDatabases({ first: stringKey('dup', 'one'), second: [...selectDb(0), ...stringKey('dup', 'two')] });
    const acrossRuns = everyOffset(across);
    expect(acrossRuns[0]!.report.error?.message).toMatch(/stored twice in database 0/);
    expect(taken(acrossRuns).length).toBeGreaterThan(0);
    const inSecond = manyDatabases({ second: [...stringKey('dup', '1'), ...stringKey('dup', '2')] });
    expect(taken(everyOffset(inSecond)).every((r) => r.report.error?.message.includes('stored twice in database 5'))).toBe(true);
    const inFirst = manyDatabases({ first: [...stringKey('dup', '1'), ...stringKey('dup', '2')] });
    expect(taken(everyOffset(inFirst)).every((r) => r.report.error?.message.includes('stored twice in database 0'))).toBe(true);
    // The same name in two databases is no duplicate, whichever part reads each.
    const twoDbs = manyDatabases({ first: stringKey('same', '1'), second: stringKey('same', '2') });
    expect(everyOffset(twoDbs).every((r) => r.report.ok)).toBe(true);
  });

  it('warnings in both parts (an intset out of order in each): counted by kind as one thread counts them', () => {
    // An intset of two 16-bit members, 2 then 1: what only sanitize-dump-payload yes refuses.
    const intset = (key: string) => [0x0b, ...str(key), ...str(String.fromCharCode(2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0))];
    const bytes = manyDatabases({ first: intset('i'), second: intset('j') });
    expect(oneThread(bytes)).toMatchObject({ ok: true, warningCount: 2, warningKinds: { 'sanitize-only': 2 } });
    expect(taken(everyOffset(bytes)).length).toBeGreaterThan(0);
  });

  it('a key of the first part stored again before the second part selects a database: filed under the first part database', () => {
    // The second part starts in database 3 without knowing it: its keys before a SELECTDB are the first part's database's.
    const bytes = manyDatabases({ second: [...selectDb(3), ...stringKey('x', '1'), ...stringKey('c', 'again')] });
    const runs = everyOffset(bytes);
    expect(runs[0]!.report.error?.message).toMatch(/stored twice in database 3/);
    expect(taken(runs).some((r) => r.db === 3)).toBe(true);
  });

  it('digests spilled on both sides (a few records in memory): the same duplicate found, the same report', () => {
    const keys = Array.from({ length: 60 }, (_, i) => stringKey(`k${i}`, 'v')).flat();
    const bytes = manyDatabases({ first: [...keys, ...stringKey('dup', '1')], second: [...selectDb(0), ...stringKey('dup', '2')] });
    const runs = everyOffset(bytes, { spill: true, inMemory: 8 });
    expect(runs[0]!.report.error?.message).toMatch(/stored twice in database 0/);
    expect(taken(runs).length).toBeGreaterThan(0);
  });

  it('a sampling duplicate-key check (no spill): taken only where both parts fit in one set, so the probability reported is the one thread one', () => {
    const keys = Array.from({ length: 60 }, (_, i) => stringKey(`k${i}`, 'v')).flat();
    const bytes = manyDatabases({ first: keys });
    const sampled = everyOffset(bytes, { spill: false, inMemory: 40 });
    expect(sampled[0]!.report.duplicateKeyCheck?.detectionProbability).toBeLessThan(1);
    expect(taken(sampled)).toEqual([]);
    expect(sampled.some((r) => r.taken === 'the sampled duplicate-key check')).toBe(true);
    expect(taken(everyOffset(bytes, { spill: false, inMemory: 1000 })).length).toBeGreaterThan(0);
  });

  it('a flipped byte before, at and after the start, a flipped trailer, a cut file and bytes after the trailer', () => {
    const bytes = manyDatabases();
    const starts = [...new Set(taken(everyOffset(bytes)).map((r) => r.from!))];
    for (const from of starts) {
      for (const at of [from - 3, from - 1, from, from + 1, from + 4, bytes.length - 12, bytes.length - 1]) {
        if (at < 0) continue;
        const copy = Uint8Array.from(bytes);
        copy[at] ^= 0x01;
        expect(splitVerify(copy, { from, tries: 1 }).report).toEqual(oneThread(copy));
      }
    }
    for (const damaged of [bytes.subarray(0, bytes.length - 3), bytes.subarray(0, bytes.length - 20), Uint8Array.from([...bytes, 1, 2, 3])]) {
      everyOffset(damaged);
    }
  });

  it('hash templates (RDB 15): defined before the start, the merge is not taken; defined after it, it is', () => {
    const template = [0xf2, ...len(1), ...len(2), ...str('a'), ...str('b')];
    const ref = (key: string): number[] => [32, ...str(key), ...len(1), ...str('1'), ...str('2')];
    const bytes = file('REDIS0015', [...selectDb(0), ...stringKey('p', '1'), ...stringKey('q', '2'), ...template, ...ref('h1'), ...ref('h2')]);
    const runs = everyOffset(bytes);
    expect(runs[0]!.report).toMatchObject({ ok: true, keys: 4, templateHashes: 2 });
    expect(runs.some((r) => r.taken === 'hash templates are defined before the boundary')).toBe(true);
    expect(taken(runs).every((r) => r.from! <= bytes.indexOf(0xf2))).toBe(true);
    expect(taken(runs).length).toBeGreaterThan(0);
  });

  it('a hash template defined twice, once on each side of the start: refused as one thread refuses it (the second part cannot know the first definition)', () => {
    const template = [0xf2, ...len(1), ...len(1), ...str('a')];
    const bytes = file('REDIS0015', [...selectDb(0), ...template, ...stringKey('p', '1'), ...stringKey('q', '2'), ...template, ...stringKey('r', '3')]);
    const runs = everyOffset(bytes);
    expect(runs[0]!.report.error?.message).toMatch(/hash template 1 is defined twice/);
    expect(runs.some((r) => r.taken === 'hash templates are defined before the boundary')).toBe(true);
  });

  it('function libraries after the start: the first part reads them itself, so a name a library before them had is refused as one thread refuses it', () => {
    const library = (name: string): number[] => {
      const code = Buffer.from(`#!lua name=${name}\nredis.register_function('f_${name}', function() return 1 end)`);
      return [0xf5, ...len(code.length), ...code];
    };
    const body = (second: string): number[] => [
      ...library('first'),
      ...selectDb(0),
      ...stringKey('a', '1'),
      ...stringKey('b', '2'),
      ...selectDb(3),
      ...stringKey('c', '3'),
      ...library(second),
      ...stringKey('d', '4'),
    ];
    const twice = everyOffset(file('REDIS0010', body('first')));
    expect(twice[0]!.report.error?.message).toMatch(/Library 'first' already exists/);
    expect(twice.some((r) => r.taken === 'function libraries after the boundary')).toBe(true);
    const distinct = everyOffset(file('REDIS0010', body('second')));
    expect(distinct[0]!.report).toMatchObject({ ok: true, keys: 4, functionLibraries: 2 });
    // Starts after the second library are still taken.
    expect(taken(distinct).length).toBeGreaterThan(0);
  });

  it('an EOF byte and 8 more inside a value are no start: only an end that is the file end is', () => {
    const bytes = manyDatabases({ first: [0x00, ...str('v'), ...len(40), 1, 2, 3, 0xff, ...new Array<number>(36).fill(7)] });
    const eof = bytes.indexOf(0xff, Buffer.from(bytes).indexOf('v\x28') + 4);
    expect(bytes[eof]).toBe(0xff);
    const run = splitVerify(bytes, { from: eof, tries: 1 });
    expect(run.taken).toBe('no start');
    expect(run.report).toEqual(oneThread(bytes));
  });

  it('Valkey 9 slot imports (opcode 243) on either side of the start', () => {
    const slotImport = (job: string): number[] => [0xf3, ...str(job), ...len(1), ...len(0), ...len(99)];
    const bytes = file('VALKEY080', [
      ...selectDb(0),
      ...slotImport('a'.repeat(40)),
      ...stringKey('a', '1'),
      ...slotImport('b'.repeat(40)),
      ...stringKey('b', '2'),
    ]);
    const runs = everyOffset(bytes);
    expect(runs[0]!.report).toMatchObject({ ok: true, keys: 2, slotImportJobs: 2, magic: 'VALKEY' });
    expect(taken(runs).length).toBeGreaterThan(0);
  });

  it('Redis 8.6 key metadata of ignorable classes on either side of the start: counted by class as one thread counts it', () => {
    const NAMES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    const meta = (name: string): number[] => {
      let chars = 0;
      for (const c of name) chars = chars * 64 + NAMES.indexOf(c);
      const spec = ((chars << 8) | 1) >>> 0; // version 0, ALLOW_IGNORE
      return [0xf3, 0x01, spec & 0xff, (spec >>> 8) & 0xff, (spec >>> 16) & 0xff, spec >>> 24, 0x02, 0x07, 0x00];
    };
    const bytes = file('REDIS0013', [
      ...selectDb(0),
      ...meta('BLES'),
      ...stringKey('a', 'x'.repeat(40)),
      ...meta('TAGS'),
      ...stringKey('b', 'y'.repeat(40)),
      ...meta('BLES'),
      ...stringKey('c', 'z'.repeat(40)),
    ]);
    const runs = everyOffset(bytes);
    expect(runs[0]!.report).toMatchObject({ ok: true, keys: 3, ignorableKeyMeta: { BLES: 2, TAGS: 1 } });
    expect(taken(runs).length).toBeGreaterThan(0);
  });

  it('told to stop where it stands, with bytes held back after it (a token cut at the chunk end): paused there, and read on from there again', () => {
    const bytes = manyDatabases();
    const one = oneThread(bytes);
    const key = Buffer.from(bytes).indexOf(Buffer.from([0xfe, 0x03, 0x00, 0x01, 0x63])) + 2; // database 3's first key's type byte
    const main = new RdbParser(MAX_VALUE, false, undefined, undefined, undefined, false, undefined, undefined, memorySpill);
    main.push(bytes.subarray(0, key + 1)); // the type byte read, its name cut: held back
    main.stopAtBoundary(key);
    expect(main.state()).toBe('paused');
    expect(main.pausedAt).toBe(key);
    main.continueFromPause();
    main.push(bytes.subarray(key));
    expect(main.end()).toEqual(one);
  });

  it('a start guessed inside a value (bytes that read as keys) is passed by the first part, which reads on alone', () => {
    // Zero bytes read as keys with an empty name and value (3 bytes each): a trial there succeeds, but no entry starts there.
    // More zeros than a trial reads at once (64 KiB), so that it ends inside them, with keys read and no error.
    const bytes = manyDatabases({ first: longString('zeros', 70_000, 0) });
    const inside = Buffer.from(bytes).indexOf('zeros') + 5 + 5 + 20; // the name, the 32-bit length, 20 bytes into the value
    const run = splitVerify(bytes, { from: inside, tries: 1 });
    // Moved on by RESYNC_KEYS made-up entries of three zeros each: still inside the value.
    expect(run.from).toBe(inside + 3 * RESYNC_KEYS);
    expect(run.taken).toBe('passed');
    expect(run.report).toEqual(oneThread(bytes));
  });

  it('no start found (a value of random bytes where the search looks): no second part', () => {
    const noise = Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251);
    const bytes = manyDatabases({ first: [0x00, ...str('noise'), ...len(noise.length), ...noise] });
    const run = splitVerify(bytes, { from: bytes.length / 2, tries: 64 });
    expect(run.taken).toBe('no start');
    expect(run.report).toEqual(oneThread(bytes));
  });

  it("the start stays where the entries after the trial's first keys do not hold as far (a failure just beyond the first trial)", () => {
    // Keys of 4 KiB: a trial of 32 keys from k0 reads three 64 KiB pieces (to 192 KiB), one from k8 reads on to
    // 224 KiB, into the bad type byte after k47 (at about 197 KiB).
    const big = (i: number): number[] => longString(`k${i}`, 4096, 0x61);
    const bytes = manyDatabases({ first: [...Array.from({ length: 48 }, (_, i) => big(i)).flat(), 0x2a, ...big(48), ...big(49)] });
    const at = Buffer.from(bytes).indexOf('k0') - 2;
    const read = (offset: number, length: number): Uint8Array => bytes.subarray(offset, offset + length);
    const options: SegmentParserOptions = { maxValueBytes: MAX_VALUE, requireChecksum: false };
    const found = findSegmentStart(read, bytes.length, readHeadContext(read, bytes.length, options)!, options, { from: at, tries: 1 });
    expect(found?.from).toBe(at);
    expect(oneThread(bytes).error?.message).toMatch(/unknown value type or opcode 42/);
  });

  it('a file of DEBUG POPULATE (each LZF value ends in bytes that read as an entry): the start found is one the first part stops at, wherever the search begins', async () => {
    const server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    let saved: Uint8Array;
    try {
      const client = server.client();
      // 300 keys: each split reads the whole file, and its middle (below) is still some 140 entries from either end.
      await client.call('DEBUG', 'POPULATE', '300', 'key', '64');
      saved = new Uint8Array(readFileSync(await bgsave(server, client)));
    } finally {
      await server.stop();
    }
    // `… 01 00 00` ends a value, `00` begins the next entry: `00 01 00 00` three bytes early reads as a key "\0".
    const tail = Buffer.from(saved).indexOf(Buffer.from([0x01, 0x00, 0x00, 0x00]));
    expect(Buffer.from(saved.subarray(tail + 5, tail + 9)).toString()).toBe('key:');
    const one = oneThread(saved);
    expect(one).toMatchObject({ ok: true, keys: 300 });
    const missed: number[] = [];
    // Every byte of about fifteen entries in the middle of the file (a start within RESYNC_KEYS keys of the end stays).
    const middle = Math.floor(saved.length / 2);
    for (let from = middle; from < middle + 512; from++) {
      const run = splitVerify(saved, { from, tries: 4096 });
      expect(run.report).toEqual(one);
      if (run.taken !== true) missed.push(from);
    }
    expect(missed).toEqual([]);
  });

  describe('a file saved by redis-server (databases 0, 1 and 5, expiries, a function library, big values)', () => {
    let server: RedisServer;
    let saved: Uint8Array;
    beforeAll(async () => {
      server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
      const client = server.client();
      await populate(client);
      saved = new Uint8Array(readFileSync(await bgsave(server, client)));
    });
    afterAll(async () => server?.stop());

    it('split from every byte of databases 1 and 5 and every 997th before: the same report, merges taken in databases 0, 1 and 5', () => {
      const one = oneThread(saved);
      expect(one).toMatchObject({ ok: true, databases: [0, 1, 5], functionLibraries: 1 });
      const runs: SplitRun[] = [];
      const tail = Buffer.from(saved).indexOf('db1:a') - 16;
      const starts = [...Array.from({ length: Math.ceil(tail / 997) }, (_, i) => i * 997), ...Array.from({ length: saved.length - tail }, (_, i) => tail + i)];
      const oneJson = JSON.stringify(one);
      for (const from of starts) {
        const run = splitVerify(saved, { from, tries: 4096, trialKeys: 4 });
        if (JSON.stringify(run.report) !== oneJson) expect({ from, report: run.report }).toEqual({ from, report: one });
        runs.push(run);
      }
      expect([...new Set(taken(runs).map((r) => r.db))].sort()).toEqual([0, 1, 5]);
    });
  });
});

/** A parser of `bytes` from byte 0 told to stop at `y`, pushed in chunks: its checkpoint if it paused there. */
function oneThreadCheckpoint(bytes: Uint8Array, y: number, chunk = 4096): RdbCheckpoint | undefined {
  const p = new RdbParser(MAX_VALUE, false);
  p.stopAtBoundary(y);
  for (let at = 0; at < bytes.length && p.state() === 'reading'; at += chunk) p.push(bytes.subarray(at, at + chunk));
  return p.state() === 'paused' && p.pausedAt === y ? p.checkpoint() : undefined;
}

/** The report of a verification resumed from `cp` to the file's end. */
function resumed(bytes: Uint8Array, cp: RdbCheckpoint): RdbReport {
  const v = createRdbVerifier({ resumeFrom: cp });
  v.push(bytes.subarray(cp.offset));
  return v.end();
}

/** Whether a search from `x` alone (one try) finds a start there: asked once an offset of the same bytes, whatever the pause after it. */
const searched = new WeakMap<Uint8Array, Map<number, boolean>>();
function startFound(bytes: Uint8Array, x: number): boolean {
  let byOffset = searched.get(bytes);
  if (byOffset === undefined) searched.set(bytes, (byOffset = new Map()));
  let found = byOffset.get(x);
  if (found === undefined) {
    const options: SegmentParserOptions = { maxValueBytes: MAX_VALUE, requireChecksum: false };
    const read = (offset: number, length: number): Uint8Array => bytes.subarray(offset, offset + length);
    const context = readHeadContext(read, bytes.length, options)!;
    found = findSegmentStart(read, bytes.length, context, options, { from: x, tries: 1 }) !== undefined;
    byOffset.set(x, found);
  }
  return found;
}

/**
 * The split with its second part paused: the second parser starts at `x` and pauses at the boundary `y` (told to
 * stop there), or at the next boundary once `pauseAfter` bytes of it were pushed (a deadline's pause), in chunks of
 * 7 bytes; the first parser stops at `x` and merges. Returns the merged checkpoint, or why there is none.
 */
function pausedSplit(bytes: Uint8Array, x: number, end: { readonly y: number } | { readonly pauseAfter: number }): RdbCheckpoint | string {
  const options: SegmentParserOptions = { maxValueBytes: MAX_VALUE, requireChecksum: false };
  const read = (offset: number, length: number): Uint8Array => bytes.subarray(offset, offset + length);
  const context = readHeadContext(read, bytes.length, options)!;
  if (!startFound(bytes, x)) return 'no start';
  const second = newSegmentParser(x, context, options);
  if ('y' in end) second.stopAtBoundary(end.y);
  for (let at = x; at < bytes.length && second.state() === 'reading'; at += 7) {
    second.push(bytes.subarray(at, at + 7));
    if ('pauseAfter' in end && at + 7 - x >= end.pauseAfter) second.pause();
  }
  const segment = segmentOf(second, x, context);
  if (typeof segment === 'string') return segment;
  if (segment.paused === undefined) return 'the second part was not paused';
  const main = new RdbParser(MAX_VALUE, false);
  main.stopAtBoundary(x);
  for (let at = 0; at < bytes.length && main.state() === 'reading'; at += 4096) main.push(bytes.subarray(at, at + 4096));
  const problem = mergeProblem(main, segment);
  if (problem !== null) return problem;
  mergeSegment(main, segment, () => []);
  expect(main.state()).toBe('paused');
  return main.checkpoint()!;
}

/** Every split start `x` and pause `y` of `bytes`: each merged checkpoint is the one-thread checkpoint at `y`, and resumes to its report. */
function everyPausedSplit(bytes: Uint8Array): { merged: number; pendingExpiry: number; templates: number } {
  // The one-thread side of each boundary, read once (not once a split start): its checkpoint, and the report resumed from it.
  const boundaries: { y: number; one: RdbCheckpoint; json: string; report: RdbReport }[] = [];
  for (let y = 0; y <= bytes.length; y++) {
    const one = oneThreadCheckpoint(bytes, y);
    if (one !== undefined) boundaries.push({ y, one, json: JSON.stringify(one), report: resumed(bytes, one) });
  }
  let merged = 0;
  let pendingExpiry = 0;
  let templates = 0;
  for (let x = 1; x < bytes.length; x++) {
    for (const { y, one, json, report } of boundaries.filter((b) => b.y > x)) {
      const cp = pausedSplit(bytes, x, { y });
      if (typeof cp === 'string') continue;
      if (JSON.stringify(cp) !== json) expect({ x, y, cp }).toEqual({ x, y, cp: one });
      expect(resumed(bytes, cp)).toEqual(report);
      merged++;
      if (cp.pendingExpireMs !== undefined) pendingExpiry++;
      if (cp.hashTemplates !== undefined) templates++;
    }
  }
  return { merged, pendingExpiry, templates };
}

describe('the split verification paused before a deadline: the merged checkpoint is the one a single parser writes there', () => {
  it.each(readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.rdb')))('%s: split at every offset, paused at every boundary after it', (name) => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, name)));
    expect(everyPausedSplit(bytes).merged).toBeGreaterThan(0);
  });

  it('keys in several databases with expiries: pauses between an expiry and its key carry it, a SELECTDB after the start is resumed in', () => {
    const bytes = manyDatabases();
    const found = everyPausedSplit(bytes);
    expect(found.merged).toBeGreaterThan(0);
    expect(found.pendingExpiry).toBeGreaterThan(0);
    // The resumed run of a merged checkpoint gives the verdict and counts of one pass.
    const cp = pausedSplit(bytes, Buffer.from(bytes).indexOf(Uint8Array.from(selectDb(3))), { y: bytes.length - 9 - stringKey('g', '7').length });
    expect(typeof cp).toBe('object');
    expect(resumed(bytes, cp as RdbCheckpoint)).toMatchObject({ ok: true, keys: 8, expires: 3, expiredKeys: 1, databases: [0, 3, 5] });
  });

  it('hash templates defined in the paused second part are carried to the checkpoint, and the keys after the pause find them', () => {
    const template = [0xf2, ...len(1), ...len(2), ...str('a'), ...str('b')];
    const ref = (key: string): number[] => [32, ...str(key), ...len(1), ...str('1'), ...str('2')];
    const bytes = file('REDIS0015', [...selectDb(0), ...stringKey('p', '1'), ...stringKey('q', '2'), ...template, ...ref('h1'), ...ref('h2')]);
    const found = everyPausedSplit(bytes);
    expect(found.templates).toBeGreaterThan(0);
    const afterTemplate = bytes.indexOf(0xf2) + template.length;
    const cp = pausedSplit(bytes, bytes.indexOf(0xf2) - stringKey('q', '2').length, { y: afterTemplate });
    expect(cp).toMatchObject({ offset: afterTemplate, hashTemplates: [[1, 2]] });
    expect(resumed(bytes, cp as RdbCheckpoint)).toMatchObject({ ok: true, keys: 4, templateHashes: 2 });
  });

  it("a deadline's pause (the next boundary) after any number of the second part's bytes, and damage before, in and after the second part", () => {
    const bytes = manyDatabases({ first: Array.from({ length: 20 }, (_, i) => stringKey(`k${i}`, 'v'.repeat(i))).flat() });
    const x = Buffer.from(bytes).indexOf(Uint8Array.from(selectDb(3)));
    let paused = 0;
    for (let after = 1; after < bytes.length - x; after++) {
      const cp = pausedSplit(bytes, x, { pauseAfter: after });
      if (typeof cp === 'string') continue;
      expect(cp).toEqual(oneThreadCheckpoint(bytes, cp.offset));
      paused++;
    }
    expect(paused).toBeGreaterThan(5);
    for (const at of [x - 2, x + 3, bytes.length - 12]) {
      const copy = Uint8Array.from(bytes);
      copy[at] ^= 0x01;
      const one = createRdbVerifier();
      one.push(copy);
      const verdict = one.end();
      for (let after = 1; after < copy.length - x; after += 3) {
        const cp = pausedSplit(copy, x, { pauseAfter: after });
        if (typeof cp === 'string') continue;
        expect(cp).toEqual(oneThreadCheckpoint(copy, cp.offset));
        const report = resumed(copy, cp);
        expect({ ok: report.ok, error: report.error }).toEqual({ ok: verdict.ok, error: verdict.error });
      }
    }
  });
});

describe('balancedStart: the second thread starts where both threads end together', () => {
  const MB = 1 << 20;
  it('the first thread 40 MB in after 100 ms (0.4 MB/ms) on a 480 MB file, the second 60 ms from parsing: both end at once', () => {
    const x = balancedStart(480 * MB, 40 * MB, 100, 60, 0.53 * 480 * MB);
    // The first reaches x at (x - 40 MB) / v; the second ends at 60 ms + (480 MB - x) / v: the same time.
    const v = (40 * MB) / 100;
    expect(Math.abs((x - 40 * MB) / v - (60 + (480 * MB - x) / v))).toBeLessThan(0.01);
    expect(x / (480 * MB)).toBeCloseTo(0.567, 3);
  });
  it('the later the second thread is ready, the less it is given', () => {
    const at = (parsedMB: number) => balancedStart(480 * MB, parsedMB * MB, parsedMB * 2.5, 60, 0);
    expect(at(10)).toBeLessThan(at(40));
    expect(at(40)).toBeLessThan(at(200));
  });
  it('nothing parsed yet, or no time gone: the fallback; never before what was parsed, never past the end', () => {
    expect(balancedStart(1000, 0, 50, 60, 530)).toBe(530);
    expect(balancedStart(1000, 100, 0, 60, 530)).toBe(530);
    expect(balancedStart(1000, 990, 10, 60, 530)).toBe(1000);
    expect(balancedStart(1000, 900, 1000, 0, 530)).toBe(950);
  });
});

describe('the duplicate-key check settled by the caller (half of it on another thread)', () => {
  const bytes = file('REDIS0009', [0xfe, 0x00, 0x00, ...str('a'), ...str('1'), 0x00, ...str('b'), ...str('2')]);
  const parsed = (): RdbParser => {
    const p = new RdbParser(1 << 20, false);
    p.push(bytes);
    return p;
  };

  it('takes the outcome it is given instead of checking its digests: none, or the key twice', () => {
    const none = parsed();
    none.settleDuplicatesWith({ twice: undefined });
    expect(none.end()).toMatchObject({ ok: true, keys: 2 });
    const twice = parsed();
    twice.settleDuplicatesWith({ twice: { db: 0 } });
    expect(twice.end().error?.message).toMatch(/a key is stored twice in database 0/);
  });

  it('reports a check that could not be completed as a verifier failure, never as a file with no key twice', () => {
    const p = parsed();
    p.settleDuplicatesWith('the split worker stopped before its half of the duplicate-key check (exit 1)');
    const report = p.end();
    expect(report.ok).toBe(false);
    expect(report.error?.message).toBe('verifier failure: the split worker stopped before its half of the duplicate-key check (exit 1)');
  });
});
