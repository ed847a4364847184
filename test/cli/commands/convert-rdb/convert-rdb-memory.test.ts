import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdbFileWriter } from '../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { cliWithEnv } from '../../support/run-cli.js';

/** The value's size: big against the CLI's own ~65 MiB, so that each copy of it held at once shows in the peak. */
const VALUE_BYTES = 64 << 20;

/**
 * Issue 55: convert-rdb's memory is bounded by the largest value, 2 × it + 100 MB. A file of one 64 MiB string
 * (random bytes, stored plain) and one small key, converted by the whole CLI in a child process; its peak RSS is
 * the kernel's (VmHWM of /proc/self/status, read at the child's exit by a module it preloads). Before the value was
 * handed on in the parts the reader kept, it was held four times at once (the reader's parts, their gathered copy,
 * the writer's buffer, then the read-back's parts and copy beside the first ones' garbage): 335 MB here.
 */
describe('convert-rdb: memory with one big value', () => {
  let dir: string;
  let input: string;
  let hook: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-mem-'));
    input = join(dir, 'big.rdb');
    hook = join(dir, 'peak.cjs');
    writeFileSync(
      hook,
      `process.on('exit', () => { const m = /VmHWM:\\s*(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeFileSync(${JSON.stringify(join(dir, 'peak'))}, m ? m[1] : ''); });\n`,
    );
    const w = new RdbFileWriter({ magic: 'REDIS', version: 10 }, [['redis-ver', '7.0.15']]);
    const chunks: Buffer[] = [];
    const small = new RdbOut(64).string(Buffer.from('small')).take();
    w.key(0, Buffer.from('a'), 0, small, null);
    w.key(0, Buffer.from('big'), 0, new RdbOut(VALUE_BYTES + 16).string(randomBytes(VALUE_BYTES)).view(), null);
    while (w.full) chunks.push(Buffer.from(w.chunk()));
    chunks.push(w.end());
    writeFileSync(input, Buffer.concat(chunks));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('converts a file of one 64 MiB string with peak RSS within 2 × the value + 100 MB, the output verified', async () => {
    const r = await cliWithEnv(
      { NODE_OPTIONS: `--require ${hook} --max-old-space-size=256` },
      'convert-rdb',
      input,
      '--for',
      'redis-7.0',
      '-o',
      join(dir, 'out.rdb'),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 keys written (2 as they were, 0 re-encoded)');
    expect(r.stdout).toMatch(/verified: the output passes verify-rdb/);
    const peakBytes = Number(readFileSync(join(dir, 'peak'), 'utf8')) * 1024;
    expect(peakBytes).toBeGreaterThan(VALUE_BYTES); // the peak was read, and the value was held
    expect(peakBytes, `peak RSS ${(peakBytes / 1e6).toFixed(1)} MB`).toBeLessThanOrEqual(2 * VALUE_BYTES + 100e6);
  }, 30_000);
});
