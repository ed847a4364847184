import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS_CASES, CORPUS_DIR } from '../support/rdb-corpus';

const ROOT = join(__dirname, '..', '..');
const CORPUS = CORPUS_DIR;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('redis-dr verify-rdb', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'verify-rdb-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // Expected verdicts from ../shared/rdb-corpus/README.md (redis-check-rdb 7.0.15).
  it.each(CORPUS_CASES)('reports %s as valid: RDB v%i, checksum %s, %i keys, %i expires (exit 0)', (file, version, checksum, keys, expires) => {
    const result = cli('verify-rdb', join(CORPUS, file), '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, version, checksum, keys, expires });
  });

  it('prints one readable line without --json', () => {
    const result = cli('verify-rdb', join(CORPUS, 'encodings.rdb'));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('OK encodings.rdb: RDB v4, 13 keys (0 with expiry) in db 0 [2 zset, 4 set, 2 list, 3 string, 2 hash], checksum absent\n');
  });

  it('exits 1 and says where a truncated file breaks', () => {
    const bytes = readFileSync(join(CORPUS, 'hash-ziplist.rdb'));
    const cut = join(scratch, 'cut.rdb');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
    const result = cli('verify-rdb', cut);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^CORRUPT cut\.rdb: RDB v9, .* at byte \d+: /);
  });

  it('exits 1 on a checksum mismatch', () => {
    const bytes = Buffer.from(readFileSync(join(CORPUS, 'zset-ziplist.rdb')));
    bytes[bytes.length - 1]! ^= 0x01;
    const bad = join(scratch, 'crc.rdb');
    writeFileSync(bad, bytes);
    const result = cli('verify-rdb', bad, '--json');
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, checksum: 'mismatch' });
  });

  it.each([
    ['a missing file', ['verify-rdb', 'does-not-exist.rdb'], /cannot read does-not-exist\.rdb: no such file/],
    ['no file argument', ['verify-rdb'], /missing required argument 'file'/],
    ['an s3:// location (not supported yet)', ['verify-rdb', 's3://bucket/key.rdb'], /s3:\/\/ inputs are not supported yet/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 with a clear message for %s', (_, args, message) => {
    const result = cli(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
