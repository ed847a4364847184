import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { file, str } from '../../../support/rdb-bytes.js';
import { inWorker } from '../../support/in-process.js';

/**
 * migrate --from-rdb of a Valkey 9 file saved while its primary imported slots (atomic slot migration, opcode 243):
 * the keys of those slots were restored and verified EQUAL with nothing said, though a Valkey primary loading the file
 * drops them once the unfinished import fails. The source line now says so (convert-rdb-slot-import.test.ts: the same for a conversion).
 */
describe('redis-dr migrate --from-rdb: a file saved during a slot import', () => {
  let target: RedisServer;
  let dir: string;
  const job = 'a3f1c0de5b7e9d2468ac13579bdf02468ace1357';
  const key = (name: string) => [0x00, ...str(name), ...str('v')];
  beforeAll(async () => {
    target = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-migrate-import-'));
    writeFileSync(join(dir, 'importing.rdb'), file('VALKEY080', [0xfe, 0x00, 0xf3, ...str(job), 1, 0x00, 0x80, 0, 0, 0x3f, 0xff, ...key('{a}k')]));
    writeFileSync(join(dir, 'plain.rdb'), file('VALKEY080', [0xfe, 0x00, ...key('{a}k')]));
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the source line names the slots imported and why their keys may not be wanted; a file without an import says nothing of it', async () => {
    const r = await inWorker('migrate', '--from-rdb', join(dir, 'importing.rdb'), '--to', target.url, '--verify');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'saved while importing slots 0-16383 in 1 job(s) (Valkey atomic slot migration): the keys of those slots are restored as the file holds them',
    );
    await target.client().flushall();
    const plain = await inWorker('migrate', '--from-rdb', join(dir, 'plain.rdb'), '--to', target.url, '--verify');
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('importing slots');
  }, 60_000);
});
