import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SplitSearch, verifyRdbFileOnTwoThreads } from '../../../../lambdas/adapters/host/crc64-thread.js';
import { tempKeyDigestSpill } from '../../../../lambdas/adapters/host/key-digest-spill.js';
import { WORKER_WARMUP_MS } from '../../../../lambdas/adapters/host/rdb-split-worker.js';
import { keyDigestOf, newKeyDigest } from '../../../../lambdas/domain/rdb/format/key-digests.js';
import { balancedStart, RESYNC_KEYS } from '../../../../lambdas/domain/rdb/format/split.js';
import { createRdbVerifier, type RdbReport, type RdbVerifierOptions, verifyRdbStream } from '../../../../lambdas/domain/rdb/verifier.js';
import { CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { file, le64, str } from '../../../support/rdb-bytes.js';
import { populate } from '../../../support/rdb-dataset.js';
import { stringsRdb } from '../../../support/rdb-strings.js';
import { bgsave, type RedisServer, startRedisServer } from '../../../support/redis-server.js';

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield Uint8Array.from(bytes);
}

function len(n: number): number[] {
  if (n < 64) return [n];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff];
  return [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
const stringKey = (key: string, value: string): number[] => [0x00, ...str(key), ...str(value)];
const keys = (prefix: string, n: number): number[] => Array.from({ length: n }, (_, i) => stringKey(`${prefix}${i}`, 'value')).flat();

interface Run {
  readonly two: RdbReport;
  readonly one: RdbReport;
  readonly taken: true | string;
  readonly from?: number;
}

describe('verifyRdbFileOnTwoThreads: the file parsed in two parts at once, one per thread, gives the one-thread report', () => {
  let dir: string;
  let server: RedisServer;
  let saved: Uint8Array;
  /** About 6 MB of string keys in database 0. */
  const big = new Uint8Array(stringsRdb(11_000, 5));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdb-split-'));
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const client = server.client();
    await populate(client);
    saved = new Uint8Array(readFileSync(await bgsave(server, client)));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.stop();
  });

  /** Both reports of `bytes` (written to a file), with a spill on both sides unless `spill` is false. */
  async function both(bytes: Uint8Array, search: Omit<SplitSearch, 'observe'>, options: RdbVerifierOptions = {}, spill = true): Promise<Run> {
    const path = join(dir, 'file.rdb');
    writeFileSync(path, bytes);
    const withSpill = spill ? { ...options, keyDigestSpill: () => tempKeyDigestSpill() } : options;
    let taken: true | string = 'never told';
    let from: number | undefined;
    const two = await verifyRdbFileOnTwoThreads(path, bytes.length, withSpill, {
      ...search,
      awaitStart: true, // this thread would be done with these small files before the worker has loaded

      observe: (t, f) => {
        taken = t;
        from = f;
      },
    });
    return { two, one: await oneThread(bytes, options, spill), taken, ...(from !== undefined ? { from } : {}) };
  }

  /** The one-thread reports so far, by the bytes and how they were verified: the same bytes split at another start are verified once. */
  const oneThreadReports = new WeakMap<Uint8Array, Map<string, RdbReport>>();
  async function oneThread(bytes: Uint8Array, options: RdbVerifierOptions, spill: boolean): Promise<RdbReport> {
    let byOptions = oneThreadReports.get(bytes);
    if (byOptions === undefined) oneThreadReports.set(bytes, (byOptions = new Map()));
    const key = JSON.stringify({ options, spill });
    let report = byOptions.get(key);
    if (report === undefined) {
      report = await verifyRdbStream(once(bytes), spill ? { ...options, keyDigestSpill: () => tempKeyDigestSpill() } : options);
      byOptions.set(key, report);
    }
    return report;
  }

  it('a 6 MB file split in its middle: the second part taken, the report equal, with and without a spill', async () => {
    const run = await both(big, { from: big.length / 2 });
    expect(run.one).toMatchObject({ ok: true, keys: 11_000, checksum: 'ok' });
    expect(run.taken).toBe(true);
    expect(run.from).toBeGreaterThanOrEqual(big.length / 2);
    expect(run.two).toEqual(run.one);
    const sampling = await both(big, { from: big.length / 2 }, {}, false);
    expect(sampling.taken).toBe(true);
    expect(sampling.two).toEqual(sampling.one);
  });

  it("balanced: the worker starts where both threads end together by this thread's progress when it is ready, not at the given start", async () => {
    const parsedKiB = Math.floor(big.length / 4 / 1024);
    const run = await both(big, { from: Math.floor(big.length / 10), balance: { parsedKiB, elapsedMs: 100 } });
    const balanced = balancedStart(big.length, parsedKiB * 1024, 100, WORKER_WARMUP_MS, Math.floor(big.length / 10));
    expect(balanced / big.length).toBeGreaterThan(0.6);
    expect(run.taken).toBe(true);
    expect(run.from).toBeGreaterThanOrEqual(balanced);
    // The first entry from there, then RESYNC_KEYS keys of about 550 bytes on (findSegmentStart).
    expect(run.from).toBeLessThan(balanced + 4096 + RESYNC_KEYS * 1024);
    expect(run.two).toEqual(run.one);
  });

  it('a file saved by redis-server split in databases 0, 1 and 5: every report equal, merges taken at several starts', async () => {
    const tail = Buffer.from(saved).indexOf('db1:a');
    const takenAt = new Set<number>();
    for (const from of [Math.floor(saved.length / 3), Math.floor(saved.length / 2), ...Array.from({ length: 11 }, (_, k) => tail - 16 + 8 * k)]) {
      const run = await both(saved, { from, trialKeys: 2 });
      expect(run.two).toEqual(run.one);
      if (run.taken === true) takenAt.add(run.from!);
    }
    const whole = createRdbVerifier();
    whole.push(saved);
    expect(whole.end().databases).toEqual([0, 1, 5]);
    expect(takenAt.size).toBeGreaterThan(2);
  });

  it('every fixture of test/fixtures/rdb, split a third of the way in', async () => {
    for (const name of readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.rdb'))) {
      const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, name)));
      const run = await both(bytes, { from: Math.floor(bytes.length / 3), trialKeys: 1 });
      expect({ name, report: run.two }).toEqual({ name, report: run.one });
    }
  });

  it('a flipped byte before, at and after the start, a flipped trailer, a file cut short and bytes after the trailer', async () => {
    const { from } = await both(big, { from: big.length / 2 });
    const flipped = (at: number): Uint8Array => {
      const copy = Uint8Array.from(big);
      copy[at] ^= 0x01;
      return copy;
    };
    for (const at of [1_000_000, from! - 1, from!, from! + 1, from! + 200_000, big.length - 1]) {
      const run = await both(flipped(at), { from: big.length / 2 });
      expect(run.one.ok).toBe(false);
      expect(run.two).toEqual(run.one);
    }
    // A key's type byte well after the start made no type: the second part fails there; this thread reads it again.
    const failing = Uint8Array.from(big);
    failing[Buffer.from(big).indexOf('key:9000') - 2] = 0x2a;
    const run = await both(failing, { from: big.length / 2 });
    expect(run.taken).toMatch(/the segment from byte \d+ failed at byte/);
    expect(run.two).toEqual(run.one);
    // Three bytes after the trailer, copied in place (a spread of the 6 MB into an array and back cost about 1 CPU-s).
    const longer = new Uint8Array(big.length + 3);
    longer.set(big);
    longer.set([1, 2, 3], big.length);
    for (const bytes of [big.subarray(0, big.length - 3), longer]) {
      const damaged = await both(bytes, { from: big.length / 2 });
      expect(damaged.two).toEqual(damaged.one);
    }
  });

  it('a key stored twice, once in each part, both spilling their digests to files: found', async () => {
    // The second copy among the second part's first keys: in its spill (each side holds 32 records in memory).
    const bytes = file('REDIS0009', [
      0xfe,
      0x00,
      ...keys('a', 400),
      ...stringKey('twice', '1'),
      ...keys('b', 10),
      ...stringKey('twice', '2'),
      ...keys('c', 400),
    ]);
    // The temporary folder of this test alone (TMPDIR, read by os.tmpdir() in both threads): both spills must be gone after.
    const temp = mkdtempSync(join(dir, 'tmp-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = temp;
    try {
      // From b0, the start moves on by RESYNC_KEYS keys (findSegmentStart) to b8: the second copy is the second part's third key.
      const from = Buffer.from(bytes).indexOf('b0') - 2;
      const run = await both(bytes, { from, tries: 1, trialKeys: 8 }, { keyDigestsInMemory: 64 });
      expect(run.taken).toBe(true);
      expect(run.from).toBe(Buffer.from(bytes).indexOf('b8') - 2);
      expect(run.one.error?.message).toMatch(/a key is stored twice in database 0/);
      expect(run.two).toEqual(run.one);
      expect(readdirSync(temp).filter((f) => f.startsWith('redis-dr-'))).toEqual([]); // (tsx, which loads the worker here, keeps its cache there)
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it.each([
    ['the worker checks (shard 171 of the upper half)', 'twice-1', 171],
    ['this thread checks (shard 84 of the lower half)', 'twice', 84],
  ])('a key stored twice in database 3, once in each part, digests in memory: found where %s', async (_, name, shard) => {
    const d = newKeyDigest();
    keyDigestOf(Buffer.from(name), d);
    expect(d[2]! >>> 24).toBe(shard); // the digest's top byte picks the shard
    // Database 3 from the first part on: the worker's keys before any SELECTDB of its own are relabelled to it.
    const bytes = file('REDIS0009', [0xfe, 0x03, ...keys('a', 400), ...stringKey(name, '1'), ...keys('b', 400), ...stringKey(name, '2'), ...keys('c', 10)]);
    const from = Buffer.from(bytes).indexOf('b5') - 2;
    const run = await both(bytes, { from, tries: 1, trialKeys: 8 }, {}, false);
    expect(run.taken).toBe(true);
    expect(run.one.error?.message).toMatch(/a key is stored twice in database 3/);
    expect(run.two).toEqual(run.one);
    // Without the copy in the first part, no key is twice: both halves checked, none found.
    const once = file('REDIS0009', [0xfe, 0x03, ...keys('a', 400), ...keys('b', 400), ...stringKey(name, '2'), ...keys('c', 10)]);
    const clean = await both(once, { from: Buffer.from(once).indexOf('b5') - 2, tries: 1, trialKeys: 8 }, {}, false);
    expect(clean.taken).toBe(true);
    expect(clean.two).toEqual(clean.one);
    expect(clean.two.ok).toBe(true);
  });

  it("a start at a chunk's last byte, refused (an expiry before it): this thread reads on from there", async () => {
    // A 1 MiB - 32 value puts the expiring key's type byte at 1 MiB - 1: the parsing thread's first chunk ends after it.
    // Fewer than RESYNC_KEYS keys from there to the end: the start found is not moved on (findSegmentStart).
    const fill = 0x100000 - 32;
    const bytes = file('REDIS0009', [
      0xfe,
      0x00,
      0x00,
      ...str('fill'),
      ...len(fill),
      ...new Array<number>(fill).fill(7),
      0xfc,
      ...le64(4_102_444_800_000n),
      ...stringKey('expiring', 'x'),
      ...keys('after', RESYNC_KEYS - 2),
    ]);
    const at = 0x100000 - 1;
    expect(bytes[at - 9]).toBe(0xfc);
    const run = await both(bytes, { from: at, tries: 1 });
    expect(run.from).toBe(at);
    expect(run.taken).toBe('an expiry is pending at the boundary');
    expect(run.two).toEqual(run.one);
    expect(run.one).toMatchObject({ ok: true, keys: RESYNC_KEYS, expires: 1 });
  });

  it('a file that fails before the start: the verdict of its first failure', async () => {
    const bytes = Uint8Array.from(big);
    bytes[Buffer.from(big).indexOf('key:100') - 2] = 0x2a;
    const run = await both(bytes, { from: big.length / 2 });
    expect(run.one.error?.message).toMatch(/unknown value type or opcode 42/);
    expect(run.two).toEqual(run.one);
  });

  it('a start guessed inside a value (zero bytes read as keys) is passed by this thread, which reads on alone', async () => {
    const bytes = file('REDIS0009', [
      0xfe,
      0x00,
      ...keys('a', 50),
      0x00,
      ...str('zeros'),
      ...len(200_000),
      ...new Array<number>(200_000).fill(0),
      ...keys('b', 50),
    ]);
    const inside = Buffer.from(bytes).indexOf('zeros') + 5 + 5 + 1_000;
    const run = await both(bytes, { from: inside, tries: 1 });
    // Moved on by RESYNC_KEYS made-up entries of three zeros each: still inside the value.
    expect(run.from).toBe(inside + 3 * RESYNC_KEYS);
    expect(run.taken).toBe('this thread passed the start without a boundary there');
    expect(run.two).toEqual(run.one);
  });

  it('no start found (random bytes where the search looks): this thread reads the file alone', async () => {
    const noise = Array.from({ length: 100_000 }, (_, i) => (i * 7919 + 13) % 251);
    const bytes = file('REDIS0009', [0xfe, 0x00, ...keys('a', 20), 0x00, ...str('noise'), ...len(noise.length), ...noise, ...keys('b', 20)]);
    const run = await both(bytes, { from: Buffer.from(bytes).indexOf('noise') + 100, tries: 4096 });
    expect(run.taken).toMatch(/no top-level boundary found from byte/);
    expect(run.two).toEqual(run.one);
  });
});
