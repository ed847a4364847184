/**
 * verify-rdb's engines line and a function library a release certainly refuses to run on load (lua-load.ts
 * ReleaseLibraries, engines.ts enginesLoading): that release is left out of the releases that load the file, the others
 * of its engine whose load is not judged are said to be not known, and the first refusal is quoted. Before, a file
 * holding a Valkey library (`server.register_function`) was said to load in Redis, which refuses to start on it: held
 * here against a real redis-server 7.0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keysLoadedFrom } from '../../../support/function-load.js';
import { frameFile } from '../../../support/rdb-newer.js';
import { inWorker } from '../../support/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'redis-dr-engines-libraries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of one key and library `code` (a FUNCTION2 opcode and its code), with these AUX fields besides the defaults. */
const fileWith = (name: string, magic: string, code: string, aux: Record<string, string | undefined>): string => {
  const b = Buffer.from(code, 'latin1');
  const length = b.length < 64 ? [b.length] : [0x40 | (b.length >> 8), b.length & 0xff];
  const library = Buffer.concat([Uint8Array.from([0xf5, ...length]), b]);
  const path = join(dir, name);
  writeFileSync(path, frameFile(magic, [{ db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }], [library], aux));
  return path;
};

const verified = async (file: string) => {
  const text = await inWorker('verify-rdb', file);
  const json = await inWorker('verify-rdb', file, '--json');
  expect({ text: text.status, json: json.status }, text.stdout).toEqual({ text: 0, json: 0 });
  const engines = JSON.parse(json.stdout).engines as { loads: string[]; unknown?: string[]; refusedByLibraries?: Record<string, string> };
  return { line: text.stdout.split('\n').find((l) => l.startsWith('engines: ')) ?? '', engines };
};

describe('verify-rdb: a function library a release refuses to run leaves that release out', () => {
  it('a Valkey library in an RDB 10 file Valkey 7.2 wrote: the real Redis 7.0 refuses it, and no Redis is said to load it', async () => {
    const file = fileWith('valkey-lib.rdb', 'REDIS0010', "#!lua name=vk\nserver.register_function('f', function() return 1 end)", { 'redis-ver': '7.2.4' });
    expect(await keysLoadedFrom(file)).toBeUndefined();
    const { line, engines } = await verified(file);
    expect(line).toMatch(/^engines: no Redis known to load it, every Valkey from 7\.2; ElastiCache: no Redis known to load it, every Valkey from 7\.2/);
    expect(line).toContain(
      "; function libraries: Redis 7.0, 7.2, 7.4, 8.0, 8.6 certainly refuse one on load (function library 'vk': Redis 7.0 refuses it on load " +
        '("Failed loading library, Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable \'server\'")); ' +
        'not judged for Redis 8.2, 8.4, 8.8, 8.10; ElastiCache Redis 7.0, 7.1',
    );
    expect(engines.loads.filter((n) => n.includes('redis'))).toEqual([]);
    expect(Object.keys(engines.refusedByLibraries ?? {})).toEqual(['redis-7.0', 'redis-7.2', 'redis-7.4', 'redis-8.0', 'redis-8.6']);
    expect(engines.unknown).toEqual(expect.arrayContaining(['redis-8.2', 'elasticache-redis-7.0']));
  });

  it('the same library written for Redis (redis.register_function): loads in the real 7.0, every release said to load it', async () => {
    const file = fileWith('redis-lib.rdb', 'REDIS0010', "#!lua name=rd\nredis.register_function('f', function() return 1 end)", { 'redis-ver': '7.2.4' });
    expect(await keysLoadedFrom(file)).toEqual(['k']);
    const { line, engines } = await verified(file);
    expect(line).not.toContain('function libraries');
    expect(engines.loads).toEqual(expect.arrayContaining(['redis-7.0', 'redis-8.2', 'valkey-9.1', 'elasticache-redis-7.0']));
    expect(engines.refusedByLibraries).toBeUndefined();
  });

  it('a top-level log call: Valkey 9.1 (which aborts on it) left out and said by name, Valkey 9.0 not known, the others load it', async () => {
    const code = "#!lua name=lg\nredis.log(redis.LOG_NOTICE, 'hi')\nredis.register_function('f', function() return 1 end)";
    const file = fileWith('log-lib.rdb', 'REDIS0010', code, { 'redis-ver': '7.0.15' });
    expect(await keysLoadedFrom(file)).toEqual(['k']);
    const { line, engines } = await verified(file);
    expect(line).toMatch(/^engines: Redis ≥ 7\.0, Valkey 7\.2, 8\.0, 8\.1 only; /);
    expect(line).toContain(
      "function libraries: Valkey 9.1 certainly refuses one on load (function library 'lg': Valkey 9.1 aborts loading a library that calls log",
    );
    expect(engines.refusedByLibraries).toEqual({ 'valkey-9.1': expect.stringContaining('aborts') });
    expect(engines.unknown).toEqual(expect.arrayContaining(['valkey-9.0', 'elasticache-valkey-8.0']));
  });
});
