import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TWO_THREADS_MIN_BYTES } from '../../../../lambdas/adapters/host/crc64-thread.js';
import { createRdbVerifier, type RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';
import { stringsRdb } from '../../../support/rdb-strings.js';

const ROOT = join(__dirname, '..', '..', '..', '..');

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

function oneThread(data: Uint8Array): RdbReport {
  const v = createRdbVerifier();
  for (let at = 0; at < data.length; at += 1 << 20) v.push(data.subarray(at, at + (1 << 20)));
  return v.end();
}

describe('verify-rdb of a file large enough to be checksummed on a second thread', () => {
  let dir: string;
  let data: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-rdb-threads-'));
    // About 550 bytes a key: just over the size from which the CLI uses the worker.
    data = stringsRdb(Math.ceil(TWO_THREADS_MIN_BYTES / 550) + 2_000, 21);
    expect(data.length).toBeGreaterThan(TWO_THREADS_MIN_BYTES);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports what the one-thread verifier reports, and exits 0', () => {
    const file = join(dir, 'good.rdb');
    writeFileSync(file, data);
    const result = cli('verify-rdb', file, '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { file: _, bytes, engines, ...report } = JSON.parse(result.stdout) as RdbReport & { file: string; bytes: number; engines: { loads: string[] } };
    expect(bytes).toBe(data.length);
    expect(report).toEqual(oneThread(data));
    // A valid file also says which engines load it (issue 55): an RDB 9 file, every release of both forks here.
    expect(engines.loads).toContain('redis-7.0');
    expect(report.checksum).toBe('ok');
  });

  it('a flipped byte deep in a value: CORRUPT with the CRC-64 mismatch at the same byte, exit 1', () => {
    const bad = Buffer.from(data);
    bad[Math.floor(bad.length * 0.7)] ^= 0x40;
    const expected = oneThread(bad);
    expect(expected.checksum).toBe('mismatch');
    const file = join(dir, 'bad.rdb');
    writeFileSync(file, bad);
    const result = cli('verify-rdb', file);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(`CORRUPT bad.rdb: RDB v9, checksum mismatch at byte ${expected.error!.offset}: ${expected.error!.message}\n`);
  });

  it('a file cut in the middle: CORRUPT at its end, exit 1', () => {
    const cut = data.subarray(0, data.length - 1000);
    const file = join(dir, 'cut.rdb');
    writeFileSync(file, cut);
    const result = cli('verify-rdb', file, '--json');
    expect(result.status).toBe(1);
    const { file: _, bytes: __, ...report } = JSON.parse(result.stdout) as RdbReport & { file: string; bytes: number };
    expect(report).toEqual(oneThread(cut));
  });
});
