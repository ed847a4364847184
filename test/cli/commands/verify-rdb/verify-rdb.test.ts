import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport } from '../../../../cli/commands/verify-rdb/action.js';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { enginesLine } from '../../../../lambdas/domain/rdb/engines.js';
import { startFakeS3, type FakeS3 } from '../../../support/fake-s3.js';
import { file, str } from '../../../support/rdb-bytes.js';
import { bgsave, startRedisServer } from '../../../support/redis-server.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { streamBelowNode } from '../../../support/stream-below-node.js';
import { inWorker, inWorkerWithEnv } from '../../support/in-process.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
const CORPUS = CORPUS_DIR;

/** Orders `bytes=a-b` headers by a. */
const byFirstByte = (a: string | undefined, b: string | undefined): number => Number(/\d+/.exec(a ?? '')?.[0]) - Number(/\d+/.exec(b ?? '')?.[0]);

/** `redis-dr …` in a child: the binary's exit code and output (kept where a test says what a shell sees). */
function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

/**
 * The same program run in this process (test/cli/support/in-process.ts): what a verdict, its exit code and its output
 * are. A child per call cost about 0.3 CPU-s of node and module loading; the children above keep the binary's own.
 */
const run = inWorker;

/** Throwaway credentials and the fake S3 endpoint, for a run against it. */
function s3Env(s3: FakeS3): NodeJS.ProcessEnv {
  return { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-central-1', AWS_PROFILE: '' };
}

/**
 * The CLI against a fake S3 endpoint, with throwaway credentials: the binary in a child (the default credential chain
 * of a fresh process). Asynchronous: the endpoint runs in this process, which must keep serving while the CLI runs.
 */
function cliWithS3(s3: FakeS3, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin', 'redis-dr.cjs'), ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...s3Env(s3) } },
      (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

/** {@link cliWithS3} run by the program in this process: the reads, the verdicts and the exit codes after the first case. */
function runWithS3(s3: FakeS3, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return inWorkerWithEnv(s3Env(s3), ...args);
}

describe('redis-dr verify-rdb', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'verify-rdb-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // Expected verdicts from test/fixtures/rdb/README.md (redis-check-rdb 7.0.15).
  it.each(CORPUS_CASES)('reports %s as valid: RDB v%i, checksum %s, %i keys, %i expires (exit 0)', async (file, version, checksum, keys, expires) => {
    const result = await run('verify-rdb', join(CORPUS, file), '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, version, checksum, keys, expires });
  });

  it('--require-checksum fails a file without a CRC-64 (exit 1) and passes one with it', async () => {
    const none = await run('verify-rdb', join(CORPUS, 'encodings.rdb'), '--require-checksum');
    expect(none.status).toBe(1);
    expect(none.stdout).toBe(
      'CORRUPT encodings.rdb: RDB v4, checksum absent at byte 667: checksum required, but RDB version 4 files carry none (CRC-64 trailers start with version 5)\n',
    );
    const withCrc = await run('verify-rdb', join(CORPUS, 'hash-ziplist.rdb'), '--require-checksum', '--json');
    // --json names the engine releases that load the file as it is (a valid one only).
    expect(JSON.parse(withCrc.stdout).engines.loads).toEqual(expect.arrayContaining(['redis-5.0', 'valkey-9.0', 'elasticache-redis-6.2']));
    expect(JSON.parse((await run('verify-rdb', join(CORPUS, 'encodings.rdb'), '--require-checksum', '--json')).stdout)).not.toHaveProperty('engines');
    expect(withCrc.status).toBe(0);
    expect(JSON.parse(withCrc.stdout)).toMatchObject({ ok: true, checksum: 'ok' });
  });

  it('says UNSUPPORTED (exit 3), not CORRUPT (exit 1), for a format newer than it reads', async () => {
    const newer = join(scratch, 'newer.rdb');
    const bytes = Buffer.from(readFileSync(join(CORPUS, 'hash-ziplist.rdb')));
    bytes.write('REDIS0099', 0, 'latin1');
    writeFileSync(newer, bytes);
    const result = await run('verify-rdb', newer);
    expect(result.status).toBe(3);
    expect(result.stdout).toMatch(
      /^UNSUPPORTED newer\.rdb: not verified, unsupported format \(version 99, written by a Redis newer than \S+ \(or another program\)\)/,
    );
    const json = await run('verify-rdb', newer, '--json');
    expect(json.status).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, version: 99, unsupported: { version: 99 } });
  });

  it("verifies a file in Valkey's compressed envelope (rdbcompression lz4) as the RDB it holds, and says so", async () => {
    const rdb = readFileSync(join(CORPUS, 'hash-ziplist.rdb'));
    const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc'], { input: rdb });
    const enveloped = join(scratch, 'enveloped.rdb');
    writeFileSync(enveloped, Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]));
    const result = await run('verify-rdb', enveloped);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^OK enveloped\.rdb: LZ4-compressed \(block checksums ok\) RDB v9, 1 key/);
    const json = JSON.parse((await run('verify-rdb', enveloped, '--json')).stdout);
    expect(json).toMatchObject({ ok: true, envelope: { codec: 'lz4', blockChecksums: true, contentChecksum: false } });
    // A damaged block is corrupt (exit 1); an envelope of an unknown codec is unsupported (exit 3).
    const damaged = Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]);
    damaged[8 + 7 + 4 + 2]! ^= 0x40;
    writeFileSync(enveloped, damaged);
    expect(await run('verify-rdb', enveloped)).toMatchObject({
      status: 1,
      stdout: expect.stringMatching(/^CORRUPT enveloped\.rdb: .*LZ4 block checksum mismatch/),
    });
    writeFileSync(enveloped, Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 2, 1, 0]), frame]));
    expect(await run('verify-rdb', enveloped)).toMatchObject({ status: 3, stdout: expect.stringMatching(/^UNSUPPORTED enveloped\.rdb: .*codec 2, not LZ4/) });
  });

  it('accepts bytes after the end of the file, as Redis does, and says how many', async () => {
    const padded = join(scratch, 'padded.rdb');
    writeFileSync(padded, Buffer.concat([readFileSync(join(CORPUS, 'zset-ziplist.rdb')), Buffer.from('extra')]));
    const result = await run('verify-rdb', padded);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'OK padded.rdb: RDB v10, 1 key (0 with expiry) in db 0: 1 [1 zset], checksum ok; 5 bytes after the end of the file, ignored as Redis ignores them\nengines: Redis ≥ 7.0, every Valkey from 7.2; ElastiCache: Redis ≥ 7.0, every Valkey from 7.2 (redis-dr convert-rdb --for <engine> writes a copy the others load)\n',
    );
  });

  it('says how many empty keys a restore will skip (the loadable count is what a restore shows)', async () => {
    const result = await run('verify-rdb', join(ROOT, 'test', 'fixtures', 'rdb-loader', 'corrupt_empty_keys.rdb'));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'OK corrupt_empty_keys.rdb: RDB v10, 0 keys (0 with expiry) in db 0, checksum ok; 9 empty keys, skipped on load as Redis skips them\nengines: Redis ≥ 7.0, every Valkey from 7.2; ElastiCache: Redis ≥ 7.0, every Valkey from 7.2 (redis-dr convert-rdb --for <engine> writes a copy the others load)\n',
    );
  });

  it('names Valkey 9 files and the modules module values need', async () => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const id = ([...'ReJSON-RL'].reduce((acc, c) => (acc << 6n) | BigInt(chars.indexOf(c)), 0n) << 10n) | 3n;
    const idBytes = Array.from({ length: 8 }, (_, i) => Number((id >> BigInt(8 * (7 - i))) & 0xffn));
    const file = join(scratch, 'valkey-module.rdb');
    writeFileSync(
      file,
      Uint8Array.from([
        ...Buffer.from('VALKEY080'),
        0xfe,
        0x00,
        0x07,
        0x03,
        ...Buffer.from('doc'),
        0x81,
        ...idBytes,
        0x05,
        0x02,
        ...Buffer.from('{}'),
        0x00,
        0xff,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ]),
    );
    const result = await run('verify-rdb', file);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'OK valkey-module.rdb: Valkey RDB v80, 1 key (0 with expiry) in db 0: 1 [1 module], checksum absent; module values need these modules loaded: ReJSON-RL (1)\nengines: no Redis, Valkey ≥ 9.0, each only with module ReJSON-RL loaded; ElastiCache: none (it loads no module data; redis-dr convert-rdb --lossy module writes a copy without it)\n',
    );
  });

  it('says when Redis loads a file that only sanitize-dump-payload yes would refuse (a warning, exit 0)', async () => {
    // A small hash listpack with a field twice and a correct CRC-64.
    const lp = [0x0e, 0, 0, 0, 4, 0, 0x81, 0x66, 2, 0x81, 0x31, 2, 0x81, 0x66, 2, 0x81, 0x32, 2, 0xff].map((b, i) => (i === 0 ? 6 + 12 + 1 : b));
    const bytes = Uint8Array.from([...Buffer.from('REDIS0010'), 0xfe, 0x00, 0x10, 0x01, 0x68, lp.length, ...lp, 0xff]);
    const trailer = Buffer.alloc(8);
    trailer.writeBigUInt64LE(new Crc64().update(bytes).value);
    const file = join(scratch, 'dup-field.rdb');
    writeFileSync(file, Buffer.concat([bytes, trailer]));
    const result = await run('verify-rdb', file);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'OK dup-field.rdb: RDB v10, 1 key (0 with expiry) in db 0: 1 [1 hash], checksum ok; 1 warning(s): Redis loads it, only sanitize-dump-payload yes would refuse it (--json lists them)\nengines: Redis ≥ 7.0, Valkey 7.2 to 9.0 (from 9.1 it validates every value on load and refuses the values warned of above); ElastiCache: Redis ≥ 7.0, Valkey 7.2 to 9.0 (redis-dr convert-rdb --for <engine> writes a copy the others load)\n',
    );
  });

  it('says when the duplicate check of a huge collection was sampled, with its detection probability', () => {
    const line = formatReport('big.rdb', {
      ok: true,
      version: 10,
      checksum: 'ok',
      keys: 1,
      expires: 0,
      databases: [0],
      byType: { set: 1 },
      auxFields: {},
      functionLibraries: 0,
      duplicateCheck: { sampledCollections: 1, minDetectionProbability: 0.1 },
    });
    expect(line).toBe(
      'OK big.rdb: RDB v10, 1 key (0 with expiry) in db 0 [1 set], checksum ok; duplicate members checked on a sample in 1 collection(s) of over 2^20 members (a duplicate is found with probability 0.1)',
    );
  });

  it('names at most 16 databases on its line and counts the others (a file of keys in 130,000 databases made a 1.4 MB line)', () => {
    const report = (n: number, counted: boolean) => ({
      ok: true,
      version: 10,
      checksum: 'ok' as const,
      keys: n,
      expires: 0,
      databases: Array.from({ length: n }, (_, db) => db),
      ...(counted ? { keysByDb: Object.fromEntries(Array.from({ length: n }, (_, db) => [db, 1])) } : {}),
      byType: { string: n },
      auxFields: {},
      functionLibraries: 0,
    });
    const sixteen = Array.from({ length: 16 }, (_, db) => `db ${db}: 1`).join(', ');
    expect(formatReport('v.rdb', report(16, true))).toBe(`OK v.rdb: RDB v10, 16 keys (0 with expiry) in ${sixteen} [16 string], checksum ok`);
    expect(formatReport('v.rdb', report(130_000, true))).toBe(
      `OK v.rdb: RDB v10, 130000 keys (0 with expiry) in ${sixteen}, … 129984 more databases [130000 string], checksum ok`,
    );
    expect(formatReport('v.rdb', report(17, false))).toBe(
      `OK v.rdb: RDB v10, 17 keys (0 with expiry) in db ${Array.from({ length: 16 }, (_, db) => db).join(',')},… 1 more database [17 string], checksum ok`,
    );
  });

  it('names at most 16 modules on its lines and counts the others (a crafted file naming 300,000 in AUX data made 10 MB of lines)', () => {
    const names = Array.from({ length: 300_000 }, (_, i) => `m${i}`);
    const report = { ok: true, version: 10, checksum: 'ok' as const, keys: 0, expires: 0, databases: [], byType: {}, auxFields: {}, functionLibraries: 0 };
    const sixteen = names.slice(0, 16);
    const line = formatReport('m.rdb', { ...report, moduleAux: names });
    expect(line).toBe(
      `OK m.rdb: RDB v10, 0 keys (0 with expiry), checksum ok; module values need these modules loaded: ${sixteen.map((m) => `${m} (AUX data)`).join(', ')}, … 299984 more modules`,
    );
    // 16 are named in full, 17 counted.
    expect(formatReport('m.rdb', { ...report, moduleAux: sixteen })).toMatch(/m15 \(AUX data\)$/);
    expect(formatReport('m.rdb', { ...report, moduleAux: names.slice(0, 17) })).toMatch(/m15 \(AUX data\), … 1 more module$/);
    expect(enginesLine({ version: 10, valkey: false }, names)).toBe(
      `Redis ≥ 7.0, every Valkey from 7.2, each only with modules ${sixteen.join(', ')}, … 299984 more modules loaded; ElastiCache: none (it loads no module data; redis-dr convert-rdb --lossy module writes a copy without it)`,
    );
  });

  it('names the slot ranges a Valkey 9 file was saved importing (opcode 243), with … where the report kept only some', () => {
    const base = {
      ok: true,
      version: 80,
      magic: 'VALKEY' as const,
      checksum: 'ok' as const,
      keys: 2,
      expires: 0,
      databases: [0],
      byType: { string: 2 },
      auxFields: {},
      functionLibraries: 0,
    };
    const job = 'a3f1c0de5b7e9d2468ac13579bdf02468ace1357';
    expect(
      formatReport('v.rdb', {
        ...base,
        slotImportJobs: 1,
        slotImports: [
          {
            job,
            ranges: [
              [0, 99],
              [7, 7],
            ],
            rangeCount: 2,
          },
        ],
      }),
    ).toBe(
      'OK v.rdb: Valkey RDB v80, 2 keys (0 with expiry) in db 0 [2 string], checksum ok; saved while importing slots 0-99 7 in 1 job(s) (Valkey atomic slot migration): the keys of those slots are in the file and counted',
    );
    expect(formatReport('v.rdb', { ...base, slotImportJobs: 2, slotImports: [{ job, ranges: [[0, 1]], rangeCount: 40 }] })).toMatch(
      /importing slots 0-1 … in 2 job\(s\)/,
    );
  });

  it("names the hashes that use a Redis 8.10 file's templates (they load with the file, not one by one) and counts arrays as array", () => {
    const report = {
      ok: true,
      version: 15,
      checksum: 'ok' as const,
      keys: 3,
      expires: 0,
      databases: [0],
      byType: { hash: 2, array: 1 },
      auxFields: {},
      functionLibraries: 0,
      templateHashes: 2,
    };
    expect(formatReport('t.rdb', report)).toBe(
      "OK t.rdb: RDB v15, 3 keys (0 with expiry) in db 0 [2 hash, 1 array], checksum ok; 2 hash(es) use the file's hash templates (Redis 8.10): they load with the file, not one by one (migrate --from-rdb refuses them); RDB 15 loads in Redis that writes it or later; Valkey refuses it unless `rdb-version-check relaxed` (Valkey 9.0 or later), which tries it and stops at a type it does not know",
    );
  });

  it('prints one readable line without --json, then which engines load the file', () => {
    const result = cli('verify-rdb', join(CORPUS, 'encodings.rdb'));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'OK encodings.rdb: RDB v4, 13 keys (0 with expiry) in db 0: 13 [2 zset, 4 set, 2 list, 3 string, 2 hash], checksum absent\nengines: every Redis from 5.0, every Valkey from 7.2; ElastiCache: every Redis from 5.0, every Valkey from 7.2\n',
    );
  });

  it('exits 1 and says where a truncated file breaks', () => {
    const bytes = readFileSync(join(CORPUS, 'hash-ziplist.rdb'));
    const cut = join(scratch, 'cut.rdb');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
    const result = cli('verify-rdb', cut);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^CORRUPT cut\.rdb: RDB v9, .* at byte \d+: /);
  });

  it('reads a local file named like a misspelt S3 URL (s3:copies/a.rdb, s3//copies/a.rdb) as that file, no hint (negative)', () => {
    // Relative paths, so the CLI runs in a folder that holds them.
    const here = mkdtempSync(join(scratch, 'cwd-'));
    mkdirSync(join(here, 's3:copies'));
    mkdirSync(join(here, 's3', 'copies'), { recursive: true });
    copyFileSync(join(CORPUS, 'hash-ziplist.rdb'), join(here, 's3:copies', 'a.rdb'));
    copyFileSync(join(CORPUS, 'hash-ziplist.rdb'), join(here, 's3', 'copies', 'a.rdb'));
    for (const location of ['s3:copies/a.rdb', 's3//copies/a.rdb']) {
      const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), 'verify-rdb', location], { cwd: here, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^OK a\.rdb: RDB v\d+, 1 key/);
      expect(result.status).toBe(0);
    }
  });

  it('exits 1 on a checksum mismatch', async () => {
    const bytes = Buffer.from(readFileSync(join(CORPUS, 'zset-ziplist.rdb')));
    bytes[bytes.length - 1]! ^= 0x01;
    const bad = join(scratch, 'crc.rdb');
    writeFileSync(bad, bytes);
    const result = await run('verify-rdb', bad, '--json');
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, checksum: 'mismatch' });
  });

  it.each([
    // A plain local path: no S3 hint (negative of the slips below).
    ['a missing file', ['verify-rdb', 'does-not-exist.rdb'], /^redis-dr: cannot read does-not-exist\.rdb: no such file\n$/],
    ['a missing file in a folder s3', ['verify-rdb', 's3/copies/a.rdb'], /^redis-dr: cannot read s3\/copies\/a\.rdb: no such file\n$/],
    ['no file argument', ['verify-rdb'], /missing required argument 'file'/],
    ['an S3 location without a key', ['verify-rdb', 's3://bucket-only'], /write S3 locations as s3:\/\/<bucket>\/<key>/],
    // An S3 URL misspelt: the URL meant (S3:// was refused without it; s3:/ was read as a missing local file).
    ['S3:// in upper case', ['verify-rdb', 'S3://copies/a.rdb'], /^redis-dr: cannot read S3:\/\/copies\/a\.rdb: write it as s3:\/\/copies\/a\.rdb\n$/],
    [
      's3:/ a slash short',
      ['verify-rdb', 's3:/copies/a.rdb'],
      /^redis-dr: cannot read s3:\/copies\/a\.rdb: no such file; an S3 object is written s3:\/\/copies\/a\.rdb\n$/,
    ],
    // Review 22: the other slips, each read as a missing local file (or, s3:///, as an S3 URL without a bucket) with no hint.
    [
      's3: without slashes',
      ['verify-rdb', 's3:copies/a.rdb'],
      /^redis-dr: cannot read s3:copies\/a\.rdb: no such file; an S3 object is written s3:\/\/copies\/a\.rdb\n$/,
    ],
    [
      's3// without the colon',
      ['verify-rdb', 's3//copies/a.rdb'],
      /^redis-dr: cannot read s3\/\/copies\/a\.rdb: no such file; an S3 object is written s3:\/\/copies\/a\.rdb\n$/,
    ],
    [
      'a space before s3://',
      ['verify-rdb', ' s3://copies/a.rdb'],
      /^redis-dr: cannot read {2}s3:\/\/copies\/a\.rdb: no such file; an S3 object is written s3:\/\/copies\/a\.rdb\n$/,
    ],
    ['s3:/// a slash too many', ['verify-rdb', 's3:///copies/a.rdb'], /^redis-dr: cannot read s3:\/\/\/copies\/a\.rdb: write it as s3:\/\/copies\/a\.rdb\n$/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    [
      '--read-concurrency 0',
      ['verify-rdb', 's3://copies/a.rdb', '--read-concurrency', '0'],
      /--read-concurrency must be a whole number from 1 to 64, got 0: use 1 for one sequential stream, up to 64 parallel ranged GETs \(default 8\)/,
    ],
    [
      '--read-concurrency 65',
      ['verify-rdb', 's3://copies/a.rdb', '--read-concurrency', '65'],
      /--read-concurrency must be a whole number from 1 to 64, got 65: use 1/,
    ],
    [
      '--read-concurrency two',
      ['verify-rdb', 's3://copies/a.rdb', '--read-concurrency', 'two'],
      /--read-concurrency must be a whole number from 1 to 64, got two: use 1/,
    ],
  ])('exits 2 with a clear message for %s', async (_, args, message) => {
    const result = await run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('redis-dr verify-rdb s3://', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'verify-rdb-s3-'));
  let s3: FakeS3;
  beforeAll(async () => {
    const bytes = Buffer.from(readFileSync(join(CORPUS, 'hash-ziplist.rdb')));
    bytes[bytes.length - 3]! ^= 0x40;
    writeFileSync(join(scratch, 'flipped.rdb'), bytes);
    const objects: Record<string, string> = {
      'copies/rdr-a-20261121-0200-0001.rdb': join(CORPUS, 'list-quicklist.rdb'),
      'copies/bad.rdb': join(scratch, 'flipped.rdb'),
      'copies/encodings.rdb': join(CORPUS, 'encodings.rdb'),
      'copies/replaced.rdb': join(CORPUS, 'list-quicklist.rdb'),
      'copies/list-quicklist-original.rdb': join(CORPUS, 'list-quicklist.rdb'),
    };
    let replacedParts = 0;
    s3 = await startFakeS3(objects, ['copies/secret.rdb'], {
      // copies/replaced.rdb is overwritten by another upload once its first part has been served.
      onRequest: (r) => {
        if (r.path === 'copies/replaced.rdb' && r.method === 'GET' && ++replacedParts === 2) objects['copies/replaced.rdb'] = join(CORPUS, 'zset-ziplist.rdb');
      },
    });
  });
  afterAll(async () => {
    await s3.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('streams an object through the verifier with the default credential chain (exit 0)', async () => {
    const result = await cliWithS3(s3, 'verify-rdb', 's3://copies/rdr-a-20261121-0200-0001.rdb', '--json');
    // The SDK itself may warn that Node 20 support ends in 2027; no error of ours.
    expect(result.stderr).not.toMatch(/redis-dr:/);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ file: 's3://copies/rdr-a-20261121-0200-0001.rdb', ok: true, version: 8, keys: 2 });
    expect(s3.requests).toContain('GET /copies/rdr-a-20261121-0200-0001.rdb');
  });

  it('reads an object over many ranged GETs, If-Match on the ETag of its HeadObject, in order (exit 0)', async () => {
    // --read-part-bytes (hidden, for tests) cuts the 667-byte fixture into 11 parts of 64 bytes, 3 in flight at once:
    // the real SDK sends the Range and If-Match headers and reads the 206 answers.
    const before = s3.log.length;
    const result = await runWithS3(s3, 'verify-rdb', 's3://copies/encodings.rdb', '--read-concurrency', '3', '--read-part-bytes', '64', '--json');
    expect(result.stderr).not.toMatch(/redis-dr:/);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ file: 's3://copies/encodings.rdb', bytes: 667, ok: true, version: 4, keys: 13 });
    const seen = s3.log.slice(before);
    expect(seen[0]).toEqual({ method: 'HEAD', path: 'copies/encodings.rdb' });
    const gets = seen.slice(1);
    expect(gets.map((r) => r.range).sort(byFirstByte)).toEqual(Array.from({ length: 11 }, (_, i) => `bytes=${i * 64}-${Math.min(667, (i + 1) * 64) - 1}`));
    expect(gets.every((r) => r.method === 'GET' && r.ifMatch === s3.etag('copies/encodings.rdb'))).toBe(true);
  });

  it('--read-concurrency 1 reads the parts one after another', async () => {
    const before = s3.log.length;
    const result = await runWithS3(s3, 'verify-rdb', 's3://copies/encodings.rdb', '--read-concurrency', '1', '--read-part-bytes', '300');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'OK encodings.rdb: RDB v4, 13 keys (0 with expiry) in db 0: 13 [2 zset, 4 set, 2 list, 3 string, 2 hash], checksum absent\nengines: every Redis from 5.0, every Valkey from 7.2; ElastiCache: every Redis from 5.0, every Valkey from 7.2\n',
    );
    expect(s3.log.slice(before).map((r) => r.range ?? r.method)).toEqual(['HEAD', 'bytes=0-299', 'bytes=300-599', 'bytes=600-666']);
  });

  it('exits 2 when the object is replaced while it is read (If-Match fails), not mixing two objects', async () => {
    const result = await runWithS3(s3, 'verify-rdb', 's3://copies/replaced.rdb', '--read-concurrency', '1', '--read-part-bytes', '32');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `redis-dr: cannot read s3://copies/replaced.rdb to its end: s3://copies/replaced.rdb changed while it was read: it no longer has ETag ${s3.etag('copies/list-quicklist-original.rdb')} (If-Match failed); read it again`,
    );
    expect(s3.log.filter((r) => r.path === 'copies/replaced.rdb').map((r) => r.range ?? r.method)).toEqual(['HEAD', 'bytes=0-31', 'bytes=32-63']);
  });

  it('exits 1 for a corrupt object', async () => {
    const result = await runWithS3(s3, 'verify-rdb', 's3://copies/bad.rdb');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^CORRUPT bad\.rdb: RDB v9/);
  });

  it.each([
    ['a missing object', 's3://copies/none.rdb', /cannot read s3:\/\/copies\/none\.rdb: no such object/],
    [
      'a missing bucket (named as a bucket, not as an object)',
      's3://nobucket/x.rdb',
      /cannot read s3:\/\/nobucket\/x\.rdb: no such bucket nobucket: check the bucket name/,
    ],
    ['a refused object', 's3://copies/secret.rdb', /cannot read s3:\/\/copies\/secret\.rdb: access denied: check the credentials/],
  ])('exits 2 naming the problem for %s', async (_what, url, message) => {
    const result = await runWithS3(s3, 'verify-rdb', url);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('verify-rdb on files Redis loads only on conditions (issue 36): valid, exit 0, never a bare OK', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-rdb-conditions-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('database 100 and a function library, saved by a real redis-server with 101 databases: the line names the server it needs and who judges the code', async () => {
    const server = await startRedisServer({ args: ['--databases', '101'] });
    let path: string;
    try {
      const c = server.client();
      await c.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('hello', function() return 'hi' end)");
      await c.select(100);
      await c.set('k', 'v');
      path = join(dir, 'db100.rdb');
      writeFileSync(path, readFileSync(await bgsave(server, c)));
    } finally {
      await server.stop();
    }
    const result = await run('verify-rdb', path);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^OK db100\.rdb: RDB v10, 1 key \(0 with expiry\) in db 100: 1 \[1 string\], checksum ok; needs a server with 101 databases \(`databases 101` or more: a server with the default 16 refuses the file\); 1 function library: function code's syntax checked, not run here: `drill local` judges it\nengines: Redis ≥ 7\.0, /,
    );
    expect(JSON.parse((await run('verify-rdb', path, '--json')).stdout)).toMatchObject({ ok: true, needsDatabases: 101, functionLibraries: 1 });
  });

  it("review 22: a real 7.0 stream with an ID twice (below its node's ID): OK, the warning and the line say what Redis does with it", async () => {
    const server = await startRedisServer();
    let path: string;
    try {
      const c = server.client();
      expect(await streamBelowNode(c, 's', 'repeat')).toEqual(['1-6', '1-5', '1-6']);
      path = join(dir, 'repeat.rdb');
      writeFileSync(path, readFileSync(await bgsave(server, c)));
    } finally {
      await server.stop();
    }
    const line = (await run('verify-rdb', path)).stdout;
    // redis-check-rdb (deep sanitization) loads it: the line does not say it would be refused.
    expect(() => execFileSync('redis-check-rdb', [path], { stdio: 'pipe' })).not.toThrow();
    expect(line).toMatch(/; 1 warning\(s\): Redis loads it, deep sanitization too: the server held it so \(--json lists them\)\n/);
    expect(line).not.toMatch(/sanitize-dump-payload yes would refuse/);
    const json = await run('verify-rdb', path, '--json');
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as { warnings: { message: string }[]; warningKinds: unknown };
    expect(report.warningKinds).toEqual({ 'server-held': 1 });
    expect(report.warnings[0]?.message).toMatch(/it repeats or precedes live entry 1-6 of node 1-6, so XRANGE - \+ lists IDs out of order or one twice/);
  });

  it('the line words the warnings per kind: one kind as it is, several counted each (and those of an older checkpoint said to be uncounted)', () => {
    const base = {
      ok: true,
      version: 11,
      checksum: 'ok' as const,
      keys: 3,
      expires: 0,
      databases: [0],
      byType: { stream: 3 },
      auxFields: {},
      functionLibraries: 0,
      warnings: [],
    };
    const tail = (report: Parameters<typeof formatReport>[1]) => formatReport('w.rdb', report).replace(/^.*checksum ok; /, '');
    expect(tail({ ...base, warningCount: 2, warningKinds: { 'sanitize-only': 2 } })).toBe(
      '2 warning(s): Redis loads it, only sanitize-dump-payload yes would refuse it (--json lists them)',
    );
    expect(tail({ ...base, warningCount: 1, warningKinds: { 'load-time': 1 } })).toBe(
      "1 warning(s): Redis refuses it unless the first copy of a stream's idempotent producer has only expired entries by the time it loads (--json lists them)",
    );
    expect(tail({ ...base, warningCount: 4, warningKinds: { 'sanitize-only': 1, 'server-held': 2 } })).toBe(
      '4 warning(s) (--json lists them, each with what Redis does): 1 that Redis loads and only sanitize-dump-payload yes would refuse, 2 that Redis loads, deep sanitization too (the server held them so), 1 not counted by kind (a checkpoint of an older redis-dr)',
    );
  });

  it('a key stored twice exits 1 as corrupt', async () => {
    const path = join(dir, 'twice.rdb');
    writeFileSync(path, file('REDIS0010', [0xfe, 0, 0, ...str('k'), ...str('a'), 0, ...str('k'), ...str('b')]));
    const result = await run('verify-rdb', path);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      'CORRUPT twice.rdb: RDB v10, checksum ok at byte 30: a key is stored twice in database 0: Redis refuses the file ("Duplicated key found in RDB file")\n',
    );
  });

  it('counts keys per database (a FLUSHDB of one shows in the line): a real BGSAVE of databases 0 and 3', async () => {
    const server = await startRedisServer();
    try {
      const c = server.client();
      await c.eval("for i=0,7299 do redis.call('SET', 'k:'..i, i) end", 0);
      await c.select(3);
      await c.eval("for i=0,2699 do redis.call('SET', 'q:'..i, i) end", 0);
      const path = join(dir, 'two-dbs.rdb');
      writeFileSync(path, readFileSync(await bgsave(server, c)));
      const r = await run('verify-rdb', path);
      expect(r.stdout).toMatch(/^OK two-dbs\.rdb: RDB v\d+, 10000 keys \(0 with expiry\) in db 0: 7300, db 3: 2700 \[10000 string\]/);
      expect(JSON.parse((await run('verify-rdb', path, '--json')).stdout).keysByDb).toEqual({ 0: 7300, 3: 2700 });
    } finally {
      await server.stop();
    }
  });
});
