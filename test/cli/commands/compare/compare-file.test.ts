import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { seedDataset } from '../../support/dataset.js';
import { frameFile, keysOf, moduleAux } from '../../../support/rdb-newer.js';
import { inWorker } from '../../support/in-process.js';
import { cli } from '../../support/run-cli.js';

/** `redis-dr compare` with an RDB file as a side (issue 55 item 3): the exit codes and lines an operator sees. */
describe('redis-dr compare --a <file>', () => {
  let server: RedisServer;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    await seedDataset(c, { expireAtMs: Date.now() + 3_600_000 });
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-compare-file-'));
    file = join(dir, 'backup.rdb');
    writeFileSync(file, readFileSync(await bgsave(server, c)));
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a backup against the live server it came from: EQUAL, exit 0; after a change: the key named, exit 1', async () => {
    const equal = await cli('compare', '--a', file, '--b', server.url, '--ttl-tolerance-ms', '0');
    expect(equal.stderr).toBe('');
    expect(equal.status).toBe(0);
    expect(equal.stdout).toMatch(/EQUAL/);
    await server.client().set('str:raw', 'changed since the backup');
    const differ = await inWorker('compare', '--a', file, '--b', server.url, '--json');
    expect(differ.status).toBe(1);
    expect(JSON.parse(differ.stdout)).toMatchObject({ equal: false, differences: 1 });
    expect(differ.stdout).toContain('str:raw');
    // The file side named as given, not as the loopback server that served it for the run; the server side as before.
    const { keyspaceA, keyspaceB } = JSON.parse(differ.stdout) as { keyspaceA: { label: string }; keyspaceB: { label: string } };
    expect(keyspaceA.label).toBe(`${file} (served read-only for the run)`);
    expect(keyspaceB.label).toMatch(/^redis 127\.0\.0\.1:\d+ db 0$/);
  }, 60_000);

  it("a file's function libraries and module AUX data, which compare does not compare, are named under the EQUAL, not left unsaid", async () => {
    // The file holds a library the server no longer has, and (a second file) module AUX data: the keys are equal.
    const c = server.client();
    await c.call('FUNCTION', 'LOAD', "#!lua name=aud34lib\nredis.register_function('aud34f', function() return 1 end)");
    const withLib = join(dir, 'with-lib.rdb');
    writeFileSync(withLib, readFileSync(await bgsave(server, c)));
    await c.call('FUNCTION', 'FLUSH');
    const withAux = join(dir, 'with-aux.rdb');
    writeFileSync(withAux, frameFile('REDIS0010', keysOf(readFileSync(withLib)).keys, [moduleAux('ReJSON-RL')]));
    const lib = await cli('compare', '--a', withLib, '--b', server.url, '--ttl-tolerance-ms', '0');
    expect(lib.status, lib.stderr).toBe(0);
    expect(lib.stdout).toMatch(/EQUAL/);
    expect(lib.stdout).toContain(`not compared: A (${withLib}) holds 1 function library, which compare does not compare (it compares keys)`);
    const aux = await inWorker('compare', '--a', server.url, '--b', withAux, '--json');
    expect(aux.status, aux.stderr).toBe(0);
    expect(JSON.parse(aux.stdout).notCompared).toEqual([
      `B (${withAux}) holds module AUX data of ReJSON-RL, which compare does not compare (it compares keys): the other side may lack them`,
    ]);
    // Negative: a file holding neither says nothing of them.
    const plain = join(dir, 'plain.rdb');
    writeFileSync(plain, frameFile('REDIS0010', keysOf(readFileSync(withLib)).keys));
    const none = await cli('compare', '--a', plain, '--b', server.url, '--ttl-tolerance-ms', '0');
    expect(none.status, none.stdout).toBe(0);
    expect(none.stdout).not.toContain('not compared');
  }, 60_000);

  it('keys of the file whose TTL had passed: hidden as a server drops them, and said (a key only in B may be one of them)', async () => {
    const expired = join(dir, 'expired.rdb');
    const key = (name: string, expireAtMs: number | null) => ({ db: 0, name, type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs });
    writeFileSync(expired, frameFile('REDIS0010', [key('live', null), key('gone', Date.now() - 60_000)]));
    const other = await startRedisServer();
    try {
      await other.client().set('live', 'v');
      await other.client().set('gone', 'v');
      const r = await inWorker('compare', '--a', expired, '--b', other.url);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/only in B.*gone/);
      expect(r.stdout).toContain(
        `not compared: A (${expired}) holds 1 key whose TTL had passed when it was served (of all its keys, whatever --match selects; more since, if the compare ran long): a server loading it drops them, and so did this compare: a key only in B may be one of them`,
      );
    } finally {
      await other.stop();
    }
  }, 60_000);

  it('a hash and a sorted set whose listpack holds one element (no whole pair): Redis loads the file without them, and so does the file side', async () => {
    // Review 49's differential fuzzing: the file side served both keys, so its compare against the very server that had
    // loaded the file listed them "only in A" (redis-server 7.0 takes a length of elements / 2 and skips a length of 0).
    const lone = join(dir, 'lone.rdb');
    const listpack = [0x81, 0x6c, 2, 0xff]; // one 1-byte string "l" (encoding, byte, back length), then the end byte
    const size = 6 + listpack.length; // the header: total bytes (32-bit) and element count (16-bit), little-endian
    const lp = Uint8Array.from([size, size, 0, 0, 0, 1, 0, ...listpack]); // as a string: its length, then its bytes
    const key = (name: string, type: number, object: Uint8Array) => ({ db: 0, name, type, object, expireAtMs: null });
    writeFileSync(lone, frameFile('REDIS0010', [key('lone:hash', 16, lp), key('lone:zset', 17, lp), key('kept', 0, Uint8Array.from([1, 0x76]))]));
    const other = await startRedisServer({ loadRdb: lone });
    try {
      expect(await other.client().keys('*')).toEqual(['kept']);
      const r = await inWorker('compare', '--a', lone, '--b', other.url);
      expect(r.stdout).toMatch(/EQUAL: 1 key of A matches B \(1 key in B\)/);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      await other.stop();
    }
  }, 60_000);

  it('negative: a cut file is refused in one line, exit 1 (a corrupt RDB: a problem found, not a usage error), nothing compared', async () => {
    const cut = join(dir, 'cut.rdb');
    writeFileSync(cut, readFileSync(file).subarray(0, 200));
    const r = await inWorker('compare', '--a', cut, '--b', server.url);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    // The verifier's verdict and the report to read, not another command's name (it said "serve refuses it").
    expect(r.stderr).toMatch(/cut\.rdb is corrupt \(the verifier's verdict at byte \d+: .*\); redis-dr verify-rdb .*cut\.rdb shows the report/);
    expect(r.stderr).not.toMatch(/serve/);
  }, 60_000);

  it('negative: a file side in a format the verifier cannot judge: exit 3 as verify-rdb (not corrupt, not verified), nothing compared', async () => {
    const newer = join(dir, 'newer.rdb');
    const bytes = readFileSync(file);
    bytes.write('REDIS0099', 0, 'latin1');
    writeFileSync(newer, bytes);
    const r = await inWorker('compare', '--a', newer, '--b', server.url);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/newer\.rdb is in a format this verifier cannot judge/);
  }, 60_000);

  it("negative: a file:///<path> side (as backup prints its locations) names the path to give, not only 'no such file', exit 2", async () => {
    const r = await inWorker('compare', '--a', `file://${file}`, '--b', server.url);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot read file://${file}: no such file; a local file is given by its path: ${file}`);
    expect(r.stdout).toBe('');
  }, 60_000);
});
