import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RestoreDirectory } from '../../../lambdas/adapters/aof-dir';
import { FileAofStore } from '../../../lambdas/adapters/aof-store';
import { startLocalRedis } from '../../../lambdas/adapters/local-redis';
import { AOF_MARKER_KEY, baseRecordKey, endKey, manifestKey, partKey, type BaseRecord } from '../../../lambdas/domain/aof-history';
import { appendFilenameFrom, restoreAof } from '../../../lambdas/jobs/restore-aof';

/**
 * restore-aof on destinations written by hand: what it does with bytes the
 * shipper itself never leaves (a truncated last command, a damaged part),
 * and the file it writes, loaded by a real redis-server.
 */

const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.reverse()) f();
  cleanup.length = 0;
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'redis-dr-restore-aof-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A destination holding an AOF base (a=1 at second 1000) and one increment made of `parts`. */
async function destination(parts: string[], options: { end?: number } = {}): Promise<{ dir: string; store: FileAofStore }> {
  const dir = tempDir();
  const store = new FileAofStore(dir);
  const base = `#TS:1000\r\n${cmd('SELECT', '0')}${cmd('SET', 'a', '1')}`;
  const record: BaseRecord = { format: 'aof', timeSeconds: 1000, bytes: base.length, sha256: sha(base), commands: 2 };
  await store.put(AOF_MARKER_KEY, Buffer.from('{}'));
  const manifest = 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n';
  await store.put(manifestKey(1_000_000, sha(manifest)), Buffer.from(manifest));
  await store.put(partKey('appendonly.aof.1.base.aof', 0, base.length, sha(base)), Buffer.from(base));
  await store.put(baseRecordKey('appendonly.aof.1.base.aof'), Buffer.from(JSON.stringify(record)));
  let at = 0;
  for (const p of parts) {
    await store.put(partKey('appendonly.aof.1.incr.aof', at, at + p.length, sha(p)), Buffer.from(p));
    at += p.length;
  }
  if (options.end !== undefined) await store.put(endKey('appendonly.aof.1.incr.aof', options.end), Buffer.from('{}'));
  return { dir, store };
}

const restore = (store: FileAofStore, out: string, untilMs?: number) =>
  restoreAof({ store, to: new RestoreDirectory(out), load: {}, ...(untilMs !== undefined ? { untilMs } : {}) }, { now: () => Date.now(), startServer: startLocalRedis });

describe('restore-aof on hand-written destinations', () => {
  const INCR = `#TS:1001\r\n${cmd('SET', 'b', '2')}#TS:1003\r\n${cmd('SET', 'c', '3')}`;

  it('rebuilds a directory the server loads: the files as shipped and a manifest in the server\'s layout', async () => {
    const { store } = await destination([INCR.slice(0, 30), INCR.slice(30)]);
    const out = join(tempDir(), 'aof');
    const r = await restore(store, out);
    expect(r).toMatchObject({ ok: true, base: { name: 'appendonly.aof.1.base.aof', format: 'aof', time: '1970-01-01T00:16:40Z' }, increments: [{ name: 'appendonly.aof.1.incr.aof', commands: 2 }], lastAnnotation: '1970-01-01T00:16:43Z', load: { keys: 3, keyspace: { db0: 3 } } });
    expect(readFileSync(join(out, 'appendonly.aof.manifest'), 'utf8')).toBe('file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    expect(readFileSync(join(out, 'appendonly.aof.1.incr.aof'), 'utf8')).toBe(INCR);
  });

  it.each([
    ['in the second of the second command', 1003_500, 2, 'appendonly.aof.1.incr.aof', INCR.indexOf('#TS:1003')],
    ['at the first increment second', 1001_000, 1, 'appendonly.aof.1.incr.aof', 0],
    ['after everything shipped', 5000_000, 3, undefined, undefined],
  ])('--until %s', async (_what, untilMs, keys, file, offset) => {
    const { store } = await destination([INCR]);
    const r = await restore(store, join(tempDir(), 'aof'), untilMs);
    expect(r).toMatchObject({ ok: true, load: { keys } });
    expect(r.cut?.file).toBe(file);
    expect(r.cut?.offset).toBe(offset);
    if (!file) expect(r.note).toMatch(/the shipped history ends in 1970-01-01T00:16:43Z, before --until/);
  });

  it('excludes a truncated last command and reports it', async () => {
    const torn = cmd('SET', 'd', '4').slice(0, 12);
    const { store } = await destination([INCR + torn]);
    const r = await restore(store, join(tempDir(), 'aof'));
    expect(r).toMatchObject({ ok: true, excluded: [{ file: 'appendonly.aof.1.incr.aof', bytes: torn.length }], load: { keys: 3 } });
  });

  it('refuses a damaged part and leaves nothing behind', async () => {
    const { dir, store } = await destination([INCR]);
    const part = join(dir, 'files', 'appendonly.aof.1.incr.aof', `${String(0).padStart(16, '0')}-${String(INCR.length).padStart(16, '0')}.${sha(INCR)}.part`);
    writeFileSync(part, INCR.replace('SET', 'DEL'));
    const out = join(tempDir(), 'aof');
    const r = await restore(store, out);
    expect(r).toMatchObject({ ok: false, refused: { kind: 'corrupt', message: expect.stringContaining('does not match its SHA-256: the stored part is damaged') } });
    expect(existsSync(out)).toBe(false);
  });

  it('a manifest that does not match the checksum in its name is refused', async () => {
    const { dir, store } = await destination([INCR]);
    const key = (await store.list()).find((k) => k.startsWith('manifests/'))!;
    writeFileSync(join(dir, ...key.split('/')), 'file appendonly.aof.1.base.aof seq 1 type b\n');
    expect(await restore(store, join(tempDir(), 'aof'))).toMatchObject({ ok: false, refused: { kind: 'corrupt', message: expect.stringContaining('does not match the SHA-256 in its name: the stored manifest is damaged') } });
  });

  it('an increment that does not parse is refused, naming the byte', async () => {
    const { store } = await destination([`${cmd('SET', 'b', '2')}garbage\r\n`]);
    const r = await restore(store, join(tempDir(), 'aof'));
    expect(r).toMatchObject({ ok: false, refused: { kind: 'corrupt', message: expect.stringMatching(/appendonly\.aof\.1\.incr\.aof as shipped is not a valid AOF at byte 27: expected a command/) } });
  });

  it.each([
    ['appendonly.aof.3.base.rdb', 'appendonly.aof'],
    ['my.aof.12.incr.aof', 'my.aof'],
    ['appendonly.aof', 'appendonly.aof'],
  ])('names the manifest after the appendfilename of %s', (name, prefix) => {
    expect(appendFilenameFrom(name)).toBe(prefix);
  });
});
