/**
 * Issue 55: Redis 8.10's template hashes (RDB 15, opcode 242 and types 30/32:
 * field names held in a template of the file) converted for a real
 * redis-server 7.0 as the self-contained hashes they stand for, exactly.
 * The file is built byte by byte (the local server writes no RDB 15).
 * The same file through `migrate --from-rdb` into an empty real 7.0 with
 * `--verify` (session 36: it refused them, "the file's templates" unknown to
 * its re-encoding).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { lzfCompress } from '../../../support/lzf-compress.js';
import { str } from '../../../support/rdb-bytes.js';
import { TEMPLATE_FILE_HASHES, templateFile as templateBytes } from '../../../support/template-hashes.js';
import { listpackOfBytes } from '../../../support/listpack-entries.js';
import { frameFile, listpack as listpackOf } from '../../../support/rdb-newer.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../support/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'tpl55-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The support's file (h1, h3 type 32; h2 type 30; a string s), written into the test's folder. */
function templateFile(): string {
  const input = join(dir, 'in.rdb');
  writeFileSync(input, templateBytes());
  return input;
}

describe('template hashes (RDB 15) converted for redis-7.0', () => {
  it('migrate --from-rdb restores each into an empty real 7.0 as the hash it stands for, --verify EQUAL (session 36)', async () => {
    const input = templateFile();
    const server = await startRedisServer();
    try {
      const r = await inWorker('migrate', '--from-rdb', input, '--to', server.url, '--verify');
      expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toMatchObject({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(/re-encoded/);
      const c = server.client();
      expect(await c.dbsize()).toBe(4);
      for (const [key, hash] of Object.entries(TEMPLATE_FILE_HASHES)) expect(await c.hgetall(key), key).toEqual(hash);
      expect(await c.get('s')).toBe('v');
      // Negative: a field changed on the target since is a difference --verify finds (a key skip kept: expected, named).
      await c.hset('h1', 'city', 'Lyon');
      const again = await inWorker('migrate', '--from-rdb', input, '--to', server.url, '--on-conflict', 'skip', '--verify');
      expect(again.status).toBe(0);
      // h1 alone differs (the other three are held equal): the template hashes are compared by value, not passed.
      expect(again.stdout).toMatch(
        /verify: EQUAL: of the 4 keys of the file, the target holds 3 restored \(same type, value and expiry\) and 1 as expected \(below\)/,
      );
      expect(again.stdout).toContain('1 kept on the target');
      expect(again.stdout).toMatch(/^ {4}kept on the target: h1 \(different value\)$/m);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('convert-rdb writes each as the hash it stands for; the real server loads them', async () => {
    const input = templateFile();
    const out = join(dir, 'out.rdb');
    const r = await inWorker('convert-rdb', input, '--for', 'redis-7.0', '-o', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    const server = await startRedisServer({ loadRdb: out });
    try {
      const c = server.client();
      for (const [key, hash] of Object.entries(TEMPLATE_FILE_HASHES)) expect(await c.hgetall(key), key).toEqual(hash);
      expect(await c.get('s')).toBe('v');
      // compare takes the file as a side (served with its templates read): EQUAL with the copy and with the real server
      // that loaded it (before, 'unknown RDB value type 32'); a field changed on the server is a difference, named.
      for (const b of [out, server.url]) {
        const cmp = await inWorker('compare', '--a', input, '--b', b);
        expect({ status: cmp.status, stderr: cmp.stderr, stdout: cmp.stdout }).toMatchObject({
          status: 0,
          stderr: '',
          stdout: expect.stringMatching(/^EQUAL: 4 keys/m),
        });
      }
      await c.hset('h2', 'city', 'Bergen');
      const differs = await inWorker('compare', '--a', input, '--b', server.url);
      expect(differs.status).toBe(1);
      expect(differs.stdout).toMatch(/h2/);
      expect(differs.stdout).not.toMatch(/h1|h3/);
    } finally {
      await server.stop();
    }
  }, 60_000);

  /**
   * Big ones (a value of 1 MiB or more across the reader's chunks) are written from the reader's parts, value by value
   * (lambdas/domain/rdb/write/template-hash-parts.ts), not from one payload: every way a value string is stored (plain,
   * an integer, LZF-compressed, empty) and both ways a self-contained one holds its names.
   */
  it('convert-rdb writes big ones from the reader parts, every string encoding, exactly; the real server loads them', async () => {
    const a = randomBytes(1536 * 1024);
    const n = randomBytes(1 << 20);
    const x = randomBytes(1200 * 1024);
    const text = Buffer.from('lzf '.repeat(100));
    const lzf = lzfCompress(text);
    const plain = (b: Uint8Array) => new RdbOut(b.length + 16).string(b).view();
    const compressed = Buffer.concat([Uint8Array.of(0xc3), new RdbOut(16).len(lzf.length).len(text.length).view(), lzf]);
    // Template 2: fields a, b, c, e, n (sorted by length, then bytes); h32's values: plain, the integer 42, LZF, empty, plain.
    const template = Uint8Array.from([0xf2, 2, 5, ...['a', 'b', 'c', 'e', 'n'].flatMap((f) => str(f))]);
    const ref = Buffer.concat([Uint8Array.of(2), plain(a), Uint8Array.of(0xc0, 42), compressed, Uint8Array.of(0), plain(n)]);
    // Self-contained, its names in one listpack (format 0): x, y.
    const self = Buffer.concat([Uint8Array.of(0), plain(Uint8Array.from(listpackOf(['x', 'y']))), plain(x), plain(Buffer.from('v'))]);
    const input = join(dir, 'big-templates.rdb');
    // The listpack forms (raised listpack limits): type 30, template 2's id then the same values; type 29, its names as
    // strings then the values' listpack (its first entry the writer's template id), LZF-compressed.
    const lp = listpackOfBytes([Buffer.from('2'), a, Buffer.from('42'), text, Buffer.alloc(0), n]);
    const packed = lzfCompress(lp);
    const lpLzf = Buffer.concat([Uint8Array.of(0xc3), new RdbOut(16).len(packed.length).len(lp.length).view(), packed]);
    const names = Uint8Array.of(1, 5, ...['a', 'b', 'c', 'e', 'n'].flatMap((f) => str(f)));
    const keys = [
      { db: 0, name: 'h32', type: 32, object: ref, expireAtMs: null, meta: template },
      { db: 0, name: 'h31', type: 31, object: self, expireAtMs: null },
      { db: 0, name: 'h30', type: 30, object: plain(lp), expireAtMs: null },
      { db: 0, name: 'h29', type: 29, object: Buffer.concat([names, lpLzf]), expireAtMs: null },
    ];
    writeFileSync(input, frameFile('REDIS0015', keys, [], { 'redis-ver': '8.10.0' }));
    const out = join(dir, 'big-templates-7.0.rdb');
    const r = await inWorker('convert-rdb', input, '--for', 'redis-7.0', '-o', out);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain('4 keys written (0 as they were, 4 re-encoded)');
    expect(r.stdout).toMatch(/verified: the output passes verify-rdb/);
    const server = await startRedisServer({ loadRdb: out });
    try {
      const c = server.client();
      for (const key of ['h32', 'h30', 'h29']) expect(await c.hgetallBuffer(key), key).toEqual({ a, b: Buffer.from('42'), c: text, e: Buffer.alloc(0), n });
      expect(await c.hgetallBuffer('h31')).toEqual({ x, y: Buffer.from('v') });
    } finally {
      await server.stop();
    }
  }, 60_000);
});
