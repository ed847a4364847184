import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdbFileWriter } from '../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { startRedisServer } from '../../../support/redis-server.js';
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

  /**
   * Re-encoded: a list of 64 MiB in 1 KiB random items, as the real redis-server 7.0 saves it (a quicklist of 8 KiB
   * listpack nodes, RDB type 18), written for redis-6.2 as a plain list (type 1). Before the transcoder walked the
   * reader's parts node by node and the writer took its output in pieces, the value was held about four times (the
   * reader's parts, their gathered copy, the writer's buffer of the output, the read-back's): peak 407.8 MB here on
   * main (9d6624af) against its bound of 234.9 MB; about 190–200 MB with it.
   */
  it('re-encodes a 64 MiB list (quicklist to plain list, --for redis-6.2) with peak RSS within 2 × the value + 100 MB; the output loads in redis-server', async () => {
    const server = await startRedisServer();
    const items = 64 * 1024;
    const item = (i: number) => Buffer.from(randomBytes(1024)).fill(i & 0xff, 0, 1);
    try {
      const c = server.client();
      const sample: Buffer[] = [];
      for (let i = 0; i < items; i += 1024) {
        const batch = Array.from({ length: 1024 }, (_, j) => item(i + j));
        sample.push(batch[0]!);
        await c.rpush('big:list', ...batch);
      }
      await c.set('a', 'small');
      await c.save();
      const list = join(dir, 'list.rdb');
      copyFileSync(server.rdbPath, list);
      expect(Buffer.from(readFileSync(list).subarray(0, 9)).toString()).toBe('REDIS0010');
      const out = join(dir, 'list-6.2.rdb');
      const r = await cliWithEnv({ NODE_OPTIONS: `--require ${hook} --max-old-space-size=256` }, 'convert-rdb', list, '--for', 'redis-6.2', '-o', out);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('2 keys written (1 as they were, 1 re-encoded)');
      expect(r.stdout).toMatch(/verified: the output passes verify-rdb/);
      // The value's bytes: the file's, all but a few hundred of which are the list (no element compresses).
      const valueBytes = statSync(list).size;
      expect(valueBytes).toBeGreaterThan(VALUE_BYTES);
      const peakBytes = Number(readFileSync(join(dir, 'peak'), 'utf8')) * 1024;
      expect(peakBytes).toBeGreaterThan(valueBytes); // the peak was read, and the value was held
      expect(peakBytes, `peak RSS ${(peakBytes / 1e6).toFixed(1)} MB`).toBeLessThanOrEqual(2 * valueBytes + 100e6);
      // The output is a plain list the real server loads: every item, in order (a sample of 64 and the length).
      const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
      try {
        const l = loaded.client();
        expect(await l.llen('big:list')).toBe(items);
        expect(await l.call('OBJECT', 'ENCODING', 'big:list')).toBe('quicklist');
        for (let i = 0; i < sample.length; i++) expect((await l.lindexBuffer('big:list', i * 1024))?.equals(sample[i]!), `item ${i * 1024}`).toBe(true);
      } finally {
        await loaded.stop();
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});
