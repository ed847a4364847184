import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { file, str } from '../../../support/rdb-bytes.js';
import { inWorker } from '../../support/in-process.js';

/**
 * A Valkey 9 file saved while its primary imported slots (atomic slot migration, opcode 243 and the job's ranges,
 * as valkey-9-formats.test.ts builds it): the keys of those slots are carried as keys, which convert-rdb said nothing
 * of ('verified: … the same keys' and exit 0), though a Valkey primary loading the input drops them once the
 * unfinished import fails. The run now says so.
 */
describe('redis-dr convert-rdb: an input saved during a slot import', () => {
  let dir: string;
  const job = 'a3f1c0de5b7e9d2468ac13579bdf02468ace1357';
  const key = (name: string) => [0x00, ...str(name), ...str('v')];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-import-'));
    // Slots 0-16383 in one job (the 32-bit length form for 16383), then one key.
    writeFileSync(join(dir, 'importing.rdb'), file('VALKEY080', [0xfe, 0x00, 0xf3, ...str(job), 1, 0x00, 0x80, 0, 0, 0x3f, 0xff, ...key('{a}k')]));
    writeFileSync(join(dir, 'plain.rdb'), file('VALKEY080', [0xfe, 0x00, ...key('{a}k')]));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the slots and the job named in a warning, on a real run and a dry run; a file without an import says nothing of it', async () => {
    const real = await inWorker('convert-rdb', join(dir, 'importing.rdb'), '--for', 'redis-7.0', '-o', join(dir, 'out.rdb'));
    expect(real.status, real.stderr).toBe(0);
    expect(real.stdout).toContain(
      'warning: the input was saved while importing slots 0-16383 in 1 job(s) (Valkey atomic slot migration): the keys of those slots are written as the input holds them',
    );
    const dry = await inWorker('convert-rdb', join(dir, 'importing.rdb'), '--for', 'redis-7.0', '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('the keys of those slots would be written as the input holds them');
    const plain = await inWorker('convert-rdb', join(dir, 'plain.rdb'), '--for', 'redis-7.0', '-o', join(dir, 'plain-out.rdb'));
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('importing slots');
  }, 60_000);
});
