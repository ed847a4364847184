import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis, { type Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { restoreRdbKeys, type RestoreRdbOptions } from '../../../../lambdas/jobs/keys/read-rdb.js';
import { populate } from '../../../support/rdb-dataset.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { runInProcess } from '../../../cli/support/in-process.js';

/**
 * `migrate --from-rdb` as the program in the worker: these cases prove its verdicts, messages and exit codes, which it
 * gives as the binary does; test/cli/commands/migrate/migrate-rdb*.test.ts run it as the child a user starts. (A child
 * here cost about 0.3 CPU-s of node and module loading each, 12 of them.)
 */
async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runInProcess(args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** The file in chunks of 4 KiB (keys span chunks). */
function chunks(data: Uint8Array, size = 4096): () => AsyncIterable<Uint8Array> {
  return async function* () {
    for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
  };
}

/** The same file with another RDB version in its header and the CRC-64 trailer made right again. */
function withVersion(data: Buffer, version: number): Buffer {
  const out = Buffer.from(data);
  out.write(String(version).padStart(4, '0'), 5, 'latin1');
  const crc = new Crc64().update(out, 0, out.length - 8).value;
  out.writeBigUInt64LE(crc, out.length - 8);
  return out;
}

describe('restoreRdbKeys: keys of an RDB file into a real redis-server', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;
  let file: Buffer;
  let dir: string;
  let path: string;
  const run = (data: Uint8Array, options: RestoreRdbOptions = {}, open = chunks(data)) => restoreRdbKeys(open, keyspaceOf(dst), options);

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer({ args: ['--enable-debug-command', 'yes'] }), startRedisServer()]);
    src = source.client();
    dst = target.client();
    await populate(src);
    await src.set('str:abs', 'x', 'PXAT', String(Date.now() + 7_200_321));
    file = readFileSync(await bgsave(source, src));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-from-rdb-'));
    path = join(dir, 'dump.rdb');
    writeFileSync(path, file);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await dst.flushall();
    await dst.select(0);
    await src.select(0);
  });

  it('restores database 0 into an empty server: compare finds it equal, every PEXPIRETIME exact', async () => {
    const r = await run(file, { batchSize: 3 });
    const keys = await src.dbsize();
    expect(r).toMatchObject({ scanned: keys, copied: keys, skipped: 0, expired: 0, failed: 0, error: undefined, interrupted: false });
    expect(r.notSelected).toBe(r.file!.keys - keys);
    expect((await compareClients(src, dst, { ttlToleranceMs: 0 })).equal).toBe(true);
    for (const key of await src.keys('*')) expect(await dst.pexpiretime(key), key).toBe(await src.pexpiretime(key));
    expect(await dst.pexpiretime('str:abs')).toBe(await src.pexpiretime('str:abs'));
  });

  it('batches are bounded by payload bytes: a key over the budget goes alone, the others fill batches up to it', async () => {
    const reader = new RdbKeyReader({ want: (db) => db === 0 });
    const sizes = reader.push(file).map((k) => k.payload.length);
    expect(reader.end().ok).toBe(true);
    const biggest = Math.max(...sizes);
    const budget = Math.floor(biggest / 2); // below the biggest key, above many others
    expect(sizes.filter((n) => n < budget).length).toBeGreaterThan(10);
    // The rule, applied to the file's keys in order: a key that would take the batch past the budget starts the next.
    const expected: number[][] = [];
    const open: number[] = [];
    let bytes = 0;
    for (const n of sizes) {
      if (open.length > 0 && bytes + n > budget) expected.push(open.splice(0));
      if (open.length === 0) bytes = 0;
      open.push(n);
      bytes += n;
      if (open.length >= 1000 || bytes >= budget) {
        expected.push(open.splice(0));
        bytes = 0;
      }
    }
    if (open.length > 0) expected.push(open);
    const perBatch = async (batchBytes?: number): Promise<number[]> => {
      await dst.flushall();
      const copied: number[] = [];
      let before = 0;
      const r = await run(file, {
        ...(batchBytes === undefined ? {} : { batchBytes }),
        onBatch: (c) => {
          copied.push(c.copied - before);
          before = c.copied;
        },
      });
      expect(r).toMatchObject({ copied: sizes.length, failed: 0, error: undefined });
      return copied;
    };
    const bounded = await perBatch(budget);
    expect(bounded).toEqual(expected.map((b) => b.length));
    // The biggest key went alone, and no batch of several keys went past the budget.
    expect(expected.find((b) => b.includes(biggest))).toEqual([biggest]);
    for (const b of expected) if (b.length > 1) expect(b.reduce((a, n) => a + n, 0)).toBeLessThanOrEqual(budget);
    // Negative: by the default budget (8 MiB), the same keys go in one batch of the count's 1000.
    expect(await perBatch()).toEqual([sizes.length]);
    expect((await compareClients(src, dst, { ttlToleranceMs: 0 })).equal).toBe(true);
  });

  it("--db picks one database of the file, written into the connection's database", async () => {
    const dst5 = new IORedis({ host: '127.0.0.1', port: target.port, db: 5 });
    const src5 = new IORedis({ host: '127.0.0.1', port: source.port, db: 5 });
    try {
      const r = await restoreRdbKeys(chunks(file), keyspaceOf(dst5), { db: 5 });
      expect(r).toMatchObject({ scanned: 2, copied: 2, error: undefined });
      const same = await compareClients(src5, dst5, { ttlToleranceMs: 0 });
      expect(same).toMatchObject({ equal: true, keysA: 2, keysB: 2 });
      expect(await dst.dbsize()).toBe(0);
    } finally {
      dst5.disconnect();
      src5.disconnect();
    }
    expect((await run(file, { db: 3 })).error).toBe('the file holds no database 3 (it holds 0, 1, 5): choose one with --db');
  });

  it('skip keeps what the target wrote since; replace overwrites it; fail stops before writing the batch', async () => {
    await dst.set('str:short', 'written after the incident');
    const skipped = await run(file, { rememberSkipped: true });
    expect(skipped).toMatchObject({ skipped: 1, failed: 0, error: undefined });
    expect(skipped.skippedKeys).toEqual(new Set(['0:str:short']));
    expect(await dst.get('str:short')).toBe('written after the incident');

    await dst.flushall();
    await dst.set('str:short', 'newer');
    const replaced = await run(file, { onConflict: 'replace' });
    expect(replaced).toMatchObject({ skipped: 0, copied: replaced.scanned });
    expect(await dst.get('str:short')).toBe('hello');

    await dst.flushall();
    await dst.set('str:short', 'newer');
    const failed = await run(file, { onConflict: 'fail', batchSize: 1000 });
    expect(failed.conflict?.toString()).toBe('str:short');
    expect(failed.error).toContain('already exists on the target (--on-conflict fail)');
    expect(await dst.dbsize()).toBe(1);
  });

  it('--match restores only matching key names (SCAN glob)', async () => {
    const r = await run(file, { match: '*set:[^s]*' });
    expect((await dst.keys('*')).sort()).toEqual(['set:big', 'set:int', 'zset:big']);
    expect(r.copied).toBe(3);
  });

  it('keys already expired at restore time are skipped and counted', async () => {
    const later = Date.now() + 1_000_000; // list:small expires in 900 s, str:abs in 2 h
    const r = await run(file, { now: () => later });
    expect(r.expired).toBe(1);
    expect(await dst.exists('list:small')).toBe(0);
    expect(await dst.exists('str:abs')).toBe(1);
  });

  it('--dry-run writes nothing and counts what it would do', async () => {
    await dst.set('str:short', 'newer');
    const r = await run(file, { dryRun: true });
    expect(r).toMatchObject({ skipped: 1, copied: r.scanned - 1 });
    expect(await dst.dbsize()).toBe(1);
  });

  it('a truncated or bit-flipped file is refused before any key is written', async () => {
    const truncated = await run(file.subarray(0, Math.floor(file.length / 2)));
    expect(truncated.error).toMatch(/^the file is refused, nothing was written: unexpected end of input while reading .* \(at byte \d+\)$/);
    const flipped = Buffer.from(file);
    flipped[Math.floor(flipped.length / 3)]! ^= 0x01;
    const bad = await run(flipped);
    expect(bad.error).toMatch(/^the file is refused, nothing was written: /);
    expect(bad.copied).toBe(0);
    expect(await dst.dbsize()).toBe(0);
    // The source line counts no keys of a file not read whole (review 45: `(RDB 16, 0 keys in db 0)`); negative: a whole one's are.
    for (const [name, bytes] of [
      ['flipped.rdb', flipped],
      ['v16.rdb', withVersion(file, 16)],
    ] as const) {
      writeFileSync(join(dir, name), bytes);
      const out = await cli('migrate', '--from-rdb', join(dir, name), '--to', target.url);
      expect(out.status).toBe(1);
      expect(out.stdout.split('\n')[0]).toMatch(/^source: file .* \(RDB 1[06](, written .*)?, refused: its keys not counted\)$/);
    }
    writeFileSync(join(dir, 'whole.rdb'), file);
    const whole = await cli('migrate', '--from-rdb', join(dir, 'whole.rdb'), '--to', target.url, '--dry-run');
    expect(whole.stdout.split('\n')[0]).toMatch(/^source: file .*whole\.rdb \(RDB 10, written .*, \d+ keys in /);
  });

  it('a file cut short after its verification: the second read stops at the block that differs, every key written was read from verified bytes', async () => {
    // Cut inside the block after the one the 3rd key ends in (a whole batch of 2 before it), wherever the
    // server put its keys: a fixed fraction of the file could fall inside a big first key.
    const third = new RdbKeyReader().push(file)[2]!;
    const cut = Math.ceil(third.end / 4096) * 4096 + 100;
    expect(cut).toBeLessThan(file.length);
    let reads = 0;
    const open = () => (reads++ === 0 ? chunks(file)() : chunks(file.subarray(0, cut))());
    const r = await run(file, { batchSize: 2, checkBlockBytes: 4096 }, open);
    const block = Math.floor(cut / 4096) * 4096;
    expect(r.copied).toBeGreaterThan(0);
    expect(r.writtenUpTo).toEqual({ keys: r.copied, offset: block, file: 'the file' });
    // The block as verified: the file's last one is short (where the server's key order put the 3rd key decides).
    const blockEnd = Math.min(block + 4095, file.length - 1);
    expect(r.error).toBe(
      `the file changed since it was verified: bytes ${block}–${blockEnd} differ from the ones verified. ` +
        `Nothing from byte ${block} on was written; ${r.copied} keys were restored before it, all from verified bytes. Verify the file again (or take another recovery point) and rerun`,
    );
    expect(await dst.dbsize()).toBe(r.copied);
  });

  it('a byte of a string value changed in place after the verification never reaches the target (its CRC-64 is at the end of the file)', async () => {
    const keyOffset = file.indexOf(Buffer.from('str:abs'));
    expect(keyOffset).toBeGreaterThan(0);
    const changed = Buffer.from(file);
    changed[keyOffset + 'str:abs'.length + 1] = 'y'.charCodeAt(0); // its value "x" (length byte, then the byte)
    let reads = 0;
    const r = await run(file, { checkBlockBytes: 4096, batchSize: 10 }, () => (reads++ === 0 ? chunks(file)() : chunks(changed)()));
    expect(r.error).toMatch(
      /^the file changed since it was verified: bytes \d+–\d+ differ from the ones verified\. Nothing from byte \d+ on was written; \d+ keys were restored before it/,
    );
    expect(await dst.get('str:abs')).not.toBe('y');
    // Every key the target holds is the source's (compare of target → source: only keys missing from the target may differ).
    const held = await compareClients(dst, src, { ttlToleranceMs: 0, maxDiffs: 100_000 });
    expect(held.diffs.filter((d) => d.reason !== 'missing-in-a')).toEqual([]);
  });

  it('another file renamed over it after the verification: nothing is written', async () => {
    const other = Buffer.from(file);
    other.write('REDIS0009', 0, 'latin1');
    let reads = 0;
    const r = await run(file, { checkBlockBytes: 4096 }, () => (reads++ === 0 ? chunks(file)() : chunks(other)()));
    expect(r.error).toMatch(
      /^the file changed since it was verified: bytes 0–\d+ differ from the ones verified\. Nothing from byte 0 on was written; 0 keys were restored before it/,
    );
    expect(await dst.dbsize()).toBe(0);
  });

  it("a file whose only fault is its CRC-64 trailer is refused before any key is written (the file's checksum comes from the block CRCs)", async () => {
    const wrong = Buffer.from(file);
    wrong[wrong.length - 1]! ^= 0x01;
    const r = await run(wrong, { checkBlockBytes: 4096 });
    expect(r.error).toMatch(/^the file is refused, nothing was written: CRC-64 mismatch: trailer 0x[0-9a-f]+, computed 0x[0-9a-f]+ \(at byte \d+\)$/);
    expect(r.file?.checksum).toBe('mismatch');
    expect(await dst.dbsize()).toBe(0);
  });

  it('bytes after the trailer (over two blocks): the checksum from a read of its own, of verified blocks; a file changed before it is refused', async () => {
    const trailing = Buffer.concat([file, Buffer.alloc(3 * 4096, 0x61)]);
    const ok = await run(trailing, { checkBlockBytes: 4096 });
    expect(ok.error).toBeUndefined();
    expect(ok.file).toMatchObject({ ok: true, checksum: 'ok', trailingBytes: 3 * 4096 });
    expect(ok.copied).toBe(ok.keysByDb[0]);
    await dst.flushall();
    // Changed between the verification and that read: refused, nothing written.
    const changed = Buffer.from(trailing);
    changed[100]! ^= 0x01;
    let reads = 0;
    const r = await run(trailing, { checkBlockBytes: 4096 }, () => (reads++ === 0 ? chunks(trailing)() : chunks(changed)()));
    expect(r.error).toBe('the file is refused, nothing was written: it changed while it was verified (bytes 0–4095 differ from the ones verified)');
    expect(reads).toBe(2);
    expect(await dst.dbsize()).toBe(0);
  });

  it('a byte of a listpack changed after the verification (the second read does not check values again): stopped at its block, nothing from it written', async () => {
    const keyOffset = file.indexOf(Buffer.from('hash:small'));
    expect(keyOffset).toBeGreaterThan(0);
    const changed = Buffer.from(file);
    changed[keyOffset + 'hash:small'.length + 8]! ^= 0x01; // inside its listpack
    let reads = 0;
    const r = await run(file, { checkBlockBytes: 4096, batchSize: 1 }, () => (reads++ === 0 ? chunks(file)() : chunks(changed)()));
    // Its block (the last one may be shorter: the server's key order changes with its hash seed).
    const block = Math.floor((keyOffset + 'hash:small'.length + 8) / 4096) * 4096;
    const blockEnd = Math.min(block + 4096, file.length) - 1;
    expect(r.writtenUpTo).toEqual({ keys: r.copied, offset: block, file: 'the file' });
    expect(r.error).toMatch(
      new RegExp(
        `^the file changed since it was verified: bytes ${block}–${blockEnd} differ from the ones verified\\. Nothing from byte ${block} on was written`,
      ),
    );
    expect(await dst.exists('hash:small')).toBe(0);
    const held = await compareClients(dst, src, { ttlToleranceMs: 0, maxDiffs: 100_000 });
    expect(held.diffs.filter((d) => d.reason !== 'missing-in-a')).toEqual([]);
  });

  it('a second read that meets fewer keys than the verification did fails the run, saying how many were restored', async () => {
    // The trusted second read skims by the keys' bounds; were it ever to lose a key, the counts of the two reads differ.
    const real = RdbKeyReader.prototype.end;
    let calls = 0;
    const spy = vi.spyOn(RdbKeyReader.prototype, 'end').mockImplementation(function (this: RdbKeyReader) {
      const report = real.call(this);
      return ++calls === 2 ? { ...report, keys: report.keys - 1 } : report;
    });
    try {
      const r = await run(file, { checkBlockBytes: 4096 });
      expect(calls).toBe(2);
      expect(r.error).toMatch(
        /^the file: the second read met \d+ keys \(\d+ with a TTL\), the verification \d+ \(\d+\); \d+ keys were restored: compare the target with the file/,
      );
      expect(r.writtenUpTo).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });

  it("empty keys (a file Redis would load skipping them): none is written, none fails; the second read takes the first one's word for them", async () => {
    const empty = readFileSync(join(__dirname, '../../../fixtures/rdb-loader/corrupt_empty_keys.rdb'));
    const r = await run(empty, { checkBlockBytes: 4096 });
    expect(r.error).toBeUndefined();
    expect(r.file).toMatchObject({ ok: true, keys: 0, emptyKeys: 9 });
    expect(r).toMatchObject({ copied: 0, failed: 0, scanned: 0 });
    expect(await dst.dbsize()).toBe(0);
  });

  it('a target that refuses writes midway (maxmemory, noeviction): the counts are what it holds, and a rerun finishes with skip', async () => {
    const used = Number(/used_memory:(\d+)/.exec(await dst.info('memory'))![1]);
    await dst.config('SET', 'maxmemory-policy', 'noeviction');
    await dst.config('SET', 'maxmemory', String(used + 150_000));
    try {
      const r = await run(file, { batchSize: 5 });
      expect(r.error).toMatch(/^the target refused RESTORE of .*: OOM command not allowed when used memory > 'maxmemory'/);
      expect(r.copied).toBeGreaterThan(0);
      expect(r.copied).toBe(await dst.dbsize());
      await dst.config('SET', 'maxmemory', '0');
      const again = await run(file);
      expect(again).toMatchObject({ error: undefined, failed: 0, skipped: r.copied });
      expect(again.copied + again.skipped).toBe(again.scanned);
      expect((await compareClients(src, dst, { ttlToleranceMs: 0 })).equal).toBe(true);
    } finally {
      await dst.config('SET', 'maxmemory', '0');
    }
  });

  it('a file newer than the target (RDB 11 into Redis 7.0) is restored: every key goes in a form the target reads, compare finds it equal', async () => {
    const r = await run(withVersion(file, 11));
    expect(r.file?.ok).toBe(true);
    expect(r.error).toBeUndefined();
    // RDB 10's encodings are RDB 11's too: each key went as it was, with the target's version in its payload.
    expect(r.reencoded).toBe(0);
    expect(r.copied).toBe(await src.dbsize());
    expect((await compareClients(src, dst, { ttlToleranceMs: 0 })).equal).toBe(true);
  });

  it('a Redis 8.8 file with an array into Redis 7.0 is refused up front: the key and why named, nothing written', async () => {
    // A string key and a sparse array (type 28: count, no insert index, then index, tag 0 and a string), byte-built as RDB 14.
    const body = [0xfe, 0x00, 0x00, 0x01, 0x6b, 0x01, 0x76, 0x1c, 0x01, 0x61, 0x01, 0x00, 0x05, 0x00, 0x01, 0x78, 0xff];
    const bytes = Buffer.from([...Buffer.from('REDIS0014'), ...body, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.writeBigUInt64LE(new Crc64().update(bytes, 0, bytes.length - 8).value, bytes.length - 8);
    const r = await run(bytes);
    expect(r.file).toMatchObject({ ok: true, keys: 2, byType: { string: 1, array: 1 } });
    expect(r.error).toBe(
      'the file is refused, nothing was written: 1 key cannot be expressed for the target (REDIS RDB 10): a: a Redis 8.8 array: the target has no such type',
    );
    expect(r.copied).toBe(0);
    expect(await dst.dbsize()).toBe(0);
  });

  it('a Redis 8.10 file with self-contained template hashes (types 29, 31) into Redis 7.0: re-encoded as plain hashes, the same fields and values', async () => {
    // Type 31: key "h", field format 1 (strings), 1 field "f", its value "v"; then type 29: key "g", the same field, a listpack of id 7 and "w".
    const lp = [0x0b, 0, 0, 0, 2, 0, 0x07, 0x01, 0x81, 0x77, 0x02, 0xff];
    lp[0] = lp.length;
    const body = [0xfe, 0x00, 0x1f, 0x01, 0x68, 0x01, 0x01, 0x01, 0x66, 0x01, 0x76, 0x1d, 0x01, 0x67, 0x01, 0x01, 0x01, 0x66, lp.length, ...lp, 0xff];
    const bytes = Buffer.from([...Buffer.from('REDIS0015'), ...body, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.writeBigUInt64LE(new Crc64().update(bytes, 0, bytes.length - 8).value, bytes.length - 8);
    const r = await run(bytes);
    expect(r.file).toMatchObject({ ok: true, keys: 2, byType: { hash: 2 } });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ copied: 2, reencoded: 2 });
    expect(await dst.hgetall('h')).toEqual({ f: 'v' });
    expect(await dst.hgetall('g')).toEqual({ f: 'w' });
  });

  it('a module value the target has no module for, where MODULE LIST is refused (not known): refused per key by the target, named and counted; the other keys are restored', async () => {
    const moduleId = [0x81, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
    const body = [0x01, 0x05, 0x02, 0x07, 0x03, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x02, 0x68, 0x69, 0x00];
    const bytes = Buffer.from([
      ...Buffer.from('REDIS0010'),
      0xfe,
      0x00,
      0x00,
      0x01,
      0x61,
      0x01,
      0x78,
      0x07,
      0x01,
      0x6b,
      ...moduleId,
      ...body,
      0x00,
      0x01,
      0x62,
      0x01,
      0x79,
      0xff,
      ...new Array(8).fill(0),
    ]);
    bytes.writeBigUInt64LE(new Crc64().update(bytes, 0, bytes.length - 8).value, bytes.length - 8);
    // A user without MODULE (as on ElastiCache, which refuses it): whether the target has the module is not known before writing.
    await dst.call('ACL', 'SETUSER', 'nomodule', 'on', '>pw', '~*', '&*', '+@all', '-module');
    const limited = new IORedis({ host: '127.0.0.1', port: target.port, username: 'nomodule', password: 'pw', lazyConnect: true });
    try {
      const r = await restoreRdbKeys(chunks(bytes), keyspaceOf(limited), {});
      expect(r.file).toMatchObject({ ok: true, keys: 3 });
      const name = Object.keys(r.file!.moduleTypes!)[0]!;
      expect(r).toMatchObject({ scanned: 3, copied: 2, failed: 1, error: undefined, moduleRefused: { [name]: 1 } });
      expect((await dst.keys('*')).sort()).toEqual(['a', 'b']);
    } finally {
      limited.disconnect();
      await dst.call('ACL', 'DELUSER', 'nomodule');
    }
    // Where MODULE LIST says none is loaded: refused before any write, the key named (migrate-modules.test.ts).
    await dst.flushall();
    const refused = await run(bytes);
    expect(refused.error).toMatch(/nothing was written: 1 key cannot be expressed .*: k: a module value of type .*--lossy module/);
    expect(await dst.dbsize()).toBe(0);
  });

  it('function libraries are reported, and restored only with functions (FUNCTION RESTORE; skip leaves a library of the same name alone)', async () => {
    await dst.call('FUNCTION', 'FLUSH');
    const reported = await run(file);
    expect(reported.functions).toEqual({ inFile: 1, restored: 0, skipped: 0, failed: 0 });
    expect(await dst.call('FUNCTION', 'LIST')).toEqual([]);
    await dst.flushall();
    const restored = await run(file, { functions: true });
    expect(restored.functions).toEqual({ inFile: 1, restored: 1, skipped: 0, failed: 0 });
    expect(await dst.call('FCALL', 'one', '0')).toBe(1);
    await dst.flushall();
    const again = await run(file, { functions: true });
    expect(again).toMatchObject({ error: undefined, functions: { restored: 0, skipped: 1, failed: 0 } });
    await dst.flushall();
    const replaced = await run(file, { functions: true, onConflict: 'replace' });
    expect(replaced.functions).toMatchObject({ restored: 1, failed: 0 });
    await dst.flushall();
    const failed = await run(file, { functions: true, onConflict: 'fail' });
    expect(failed.error).toContain('a library of that name exists on the target (--on-conflict fail)');
    // The file's libraries come before its keys, and are restored before any key is written: refused, nothing written.
    expect(failed).toMatchObject({ copied: 0 });
    expect(await dst.dbsize()).toBe(0);
    await dst.call('FUNCTION', 'FLUSH');
  });

  describe('CLI: redis-dr migrate --from-rdb', () => {
    it("restores every database of the file into the database of its number, prints migrate's summary; --db 0 restores database 0 alone", async () => {
      const all = await cli('migrate', '--from-rdb', path, '--to', target.url);
      expect(all.stderr).toBe('');
      expect(all.status).toBe(0);
      expect(all.stdout).toMatch(/, \d+ keys in dbs 0 \(\d+\), 1 \(2\), 5 \(2\)\)$/m);
      expect(all.stdout).toMatch(
        /^restored databases: 0 → 0 \(\d+ keys of the file\), 1 → 1 \(2 keys of the file\), 5 → 5 \(2 keys of the file\) \(file → target\)$/m,
      );
      for (const db of [0, 1, 5]) {
        await Promise.all([src.select(db), dst.select(db)]);
        expect((await compareClients(src, dst, { ttlToleranceMs: 0 })).equal).toBe(true);
      }
      await Promise.all([src.select(0), dst.select(0)]);
      await dst.flushall();
      const out = await cli('migrate', '--from-rdb', path, '--to', target.url, '--db', '0');
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(out.stdout).not.toContain('restored databases');
      expect(out.stdout).toMatch(
        /^source: file .*dump\.rdb \(RDB 10, written \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by redis 7\.0\.\d+, \d+ keys in db 0\)\ncopied \d+, skipped 0 \(already on the target\), expired 0, failed 0 of \d+ keys/,
      );
      expect(out.stdout).toContain('not selected: 4 keys of the file (another database, or not matching --match)');
      expect((await compareClients(src, dst, { ttlToleranceMs: 0 })).equal).toBe(true);
      expect(await target.client().info('keyspace')).not.toMatch(/^db[15]:/m);
    });

    it('a --match that selects no key of the databases restored: nothing restored, said, exit 1', async () => {
      const out = await cli('migrate', '--from-rdb', path, '--to', target.url, '--db', '0', '--match', 'no-such-prefix:*');
      expect(out.status).toBe(1);
      expect(out.stdout).toMatch(/^nothing restored: none of the \d+ keys of database 0 matches --match "no-such-prefix:\*"$/m);
      const all = await cli('migrate', '--from-rdb', path, '--to', target.url, '--match', 'no-such-prefix:*');
      expect(all.status).toBe(1);
      expect(all.stdout).toMatch(/^nothing restored: none of the \d+ keys of databases 0, 1, 5 matches --match "no-such-prefix:\*"$/m);
    });

    it('--match without --db takes the matching keys of every database, each into its own', async () => {
      // [sd][tb][r1]* matches the six str:* keys of database 0 and db1:a, db1:b in database 1 (not db5:*).
      const out = await cli('migrate', '--from-rdb', path, '--to', target.url, '--match', '[sd][tb][r1]*');
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(out.stdout).toMatch(
        /^restored databases: 0 → 0 \(6 keys of the file matching\), 1 → 1 \(2 keys of the file matching\), 5 → 5 \(0 keys of the file matching\)/m,
      );
      expect(await dst.dbsize()).toBe(6);
      await dst.select(1);
      expect(await dst.dbsize()).toBe(2);
    });

    it('--json, --db and --match', async () => {
      const out = await cli('migrate', '--from-rdb', path, '--to', target.url, '--db', '1:4', '--match', 'db1:?', '--json');
      expect(out.status).toBe(0);
      const json = JSON.parse(out.stdout);
      expect(json).toMatchObject({
        databases: [{ from: 1, to: 4 }],
        copied: 2,
        scanned: 2,
        error: null,
        noMatch: null,
        file: { ok: true, version: 10 },
        targetServer: { readsRdbUpTo: 10 },
      });
      await dst.select(4);
      expect(await dst.dbsize()).toBe(2);
    });

    it('a target that asks for a password: a clear error, exit 2 (credentials), nothing of the password printed', async () => {
      const locked = await startRedisServer({ password: 's3cr3t-pw' });
      try {
        const denied = await cli('migrate', '--from-rdb', path, '--to', `redis://:wrong-pw@127.0.0.1:${locked.port}`);
        expect(denied.status).toBe(2); // credentials: exit 2, as every command's (cli/failure.ts)
        expect(denied.stderr).toMatch(/WRONGPASS|invalid username-password/);
        expect(`${denied.stdout}${denied.stderr}`).not.toContain('wrong-pw');
        const none = await cli('migrate', '--from-rdb', path, '--to', `redis://127.0.0.1:${locked.port}`);
        expect(none.status).toBe(2);
        expect(none.stderr).toMatch(/NOAUTH|Authentication required/);
        expect(await locked.client().dbsize()).toBe(0);
      } finally {
        await locked.stop();
      }
    });

    it('a refused file exits 1; two sources or none are usage errors (exit 2)', async () => {
      const bad = join(dir, 'bad.rdb');
      writeFileSync(bad, file.subarray(0, 100));
      const refused = await cli('migrate', '--from-rdb', bad, '--to', target.url);
      expect(refused.status).toBe(1);
      expect(refused.stdout).toContain('error: the file is refused, nothing was written');
      expect((await cli('migrate', '--from-rdb', path, '--from', target.url, '--to', target.url)).status).toBe(2);
      expect((await cli('migrate', '--to', target.url)).status).toBe(2);
      expect(await dst.dbsize()).toBe(0);
    });
  });
});
