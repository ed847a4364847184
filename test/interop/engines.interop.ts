/**
 * Issue 55 against real newer engines: Redis 8.0 and 8.6, Valkey 8.1 and 9.1 (built from Debian's source packages by
 * scripts/newer-servers.sh), with the local Redis 7.0. Not part of `npm test` (the suite has 7.0 only):
 * `npm run setup:newer-servers` once, then `npm run test:interop` (docs/developing.md).
 *
 * For each engine: a dataset of every type it holds (hash field TTLs, a Redis 8.6 stream's idempotent producer and a
 * function library where it has them) saved by that engine; then for each file and each engine:
 * - verify-rdb's `engines.loads` says whether it loads, and the engine itself agrees (it starts on the file or refuses);
 * - convert-rdb --for <engine> writes a file it loads, which compare holds EQUAL to the input but for the keys the
 *   conversion reported lost or left out;
 * - a round trip through each other engine (converted for it, then back) loads in the first, EQUAL to the file but for
 *   what the first leg reported lost;
 * - migrate --from-rdb --verify --functions into an empty one: exit 0, the verdict EQUAL;
 * - backup --remote of each engine (the replication protocol) stores its dataset whole;
 * - ship-aof of each engine's multi-part AOF, then restore-aof loaded by it, gives back every key.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bgsave, startRedisServer } from '../support/redis-server.js';
import { cli, ENGINES, engineFiles, LOSSY, NAMES, ROOT, requireEngines, started, writeDataset } from './engines.js';

describe('issue 55 against real Redis 8.0, 8.6 and Valkey 8.1, 9.1 (and the local 7.0)', () => {
  const files: Record<string, string> = {};
  let dir: string;

  beforeAll(async () => {
    requireEngines();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-interop-'));
    Object.assign(files, await engineFiles(dir));
  }, 300_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it.each(NAMES)(
    "verify-rdb's engines of a file %s writes are the engines that load it",
    async (source) => {
      const verdict = cli('verify-rdb', files[source]!, '--json');
      expect(verdict.status).toBe(0);
      const loads = (JSON.parse(verdict.stdout) as { engines: { loads: string[] } }).engines.loads;
      for (const target of NAMES) {
        const server = await started(ENGINES[target]!, files[source]!);
        await server?.stop();
        expect({ target, loads: server !== null }).toEqual({ target, loads: loads.includes(target) });
      }
    },
    120_000,
  );

  it.each(NAMES.flatMap((source) => NAMES.map((target) => [source, target])))(
    'a file %s writes, converted for %s: loaded there, and EQUAL to the input but for what the conversion reported',
    async (source, target) => {
      const out = join(dir, `${source}-for-${target}.rdb`);
      const run = cli('convert-rdb', files[source]!, '--for', target!, '--lossy', LOSSY, '-o', out, '--json', '--force');
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const r = JSON.parse(run.stdout) as { lost: Record<string, number>; dropped: Record<string, number> };
      const server = await started(ENGINES[target!]!, out);
      expect(server, `${target} refused the output`).not.toBeNull();
      try {
        const cmp = cli('compare', '--a', files[source]!, '--b', server!.url, '--json');
        const differences = (JSON.parse(cmp.stdout) as { differences: number }).differences;
        // Lost field TTLs differ (compare holds them); a stream's IDMP data is not compared; dropped keys are only in A.
        const expected = (r.lost['field-ttl'] ?? 0) + Object.values(r.dropped).reduce((a, b) => a + b, 0);
        expect({ differences, status: cmp.status }).toEqual({ differences: expected, status: expected === 0 ? 0 : 1 });
      } finally {
        await server!.stop();
      }
    },
    120_000,
  );

  it.each(NAMES)(
    'backup --remote of %s holding its dataset: stored, read back, its keys the file it saves itself',
    async (name) => {
      const server = await started(ENGINES[name]!, files[name]!);
      expect(server).not.toBeNull();
      const to = join(dir, `backups-${name}`);
      try {
        const run = cli('backup', '--redis', server!.url, '--to', `file://${to}`, '--create', '--remote', '--name', name.replace('.', ''), '--json');
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        const stored = (JSON.parse(run.stdout) as { backup: { keys: number } }).backup.keys;
        const own = JSON.parse(cli('verify-rdb', files[name]!, '--json').stdout) as { keys: number };
        expect(stored).toBe(own.keys);
      } finally {
        await server!.stop();
      }
    },
    120_000,
  );

  it('a Redis 8.6 vector set into Valkey 9.1 (whose MODULE LIST names only its Lua engine): refused before any write, left out with --lossy module', async () => {
    const source = await startRedisServer({ binary: ENGINES['redis-8.6'] });
    const target = await startRedisServer({ binary: ENGINES['valkey-9.1'] });
    try {
      const c = source.client();
      await c.set('plain', 'v');
      await c.call('VADD', 'vectors', 'VALUES', 3, '0.1', '0.2', '0.3', 'e1');
      const file = join(dir, 'vectors-86.rdb');
      copyFileSync(await bgsave(source, c), file);
      const refused = cli('migrate', '--from-rdb', file, '--to', target.url);
      expect(refused.stdout + refused.stderr).toMatch(/nothing was written: .*vectors: a module value of type vectorset: the target has no module loaded/);
      expect(refused.status).toBe(1);
      expect(await target.client().dbsize()).toBe(0);
      const left = cli('migrate', '--from-rdb', file, '--to', target.url, '--lossy', 'module', '--verify');
      expect(left.stdout).toMatch(/^verify: EQUAL: /m);
      expect(left.status).toBe(0);
      expect(await target.client().keys('*')).toEqual(['plain']);
    } finally {
      await Promise.all([source.stop(), target.stop()]);
    }
  }, 120_000);

  it.each(NAMES)(
    'ship-aof of %s, then restore-aof loaded by it: every key written, hash field TTLs and streams included',
    async (name) => {
      const server = await startRedisServer({ binary: ENGINES[name], args: ['--appendonly', 'yes', '--aof-timestamp-enabled', 'yes'] });
      const to = join(dir, `aof-${name}`);
      const out = join(dir, `aof-${name}-restored`);
      try {
        const c = server.client();
        await writeDataset(c);
        const ship = spawn(process.execPath, [
          join(ROOT, 'bin', 'redis-dr.cjs'),
          'ship-aof',
          '--dir',
          join(server.dir, 'appendonlydir'),
          '--to',
          `file://${to}`,
          '--create',
          '--interval',
          '200ms',
        ]);
        let log = '';
        ship.stdout.on('data', (b: Buffer) => (log += b.toString()));
        ship.stderr.on('data', (b: Buffer) => (log += b.toString()));
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await c.set('after-start', 'v');
        await new Promise((resolve) => setTimeout(resolve, 1500));
        ship.kill('SIGTERM');
        expect(await new Promise((resolve) => ship.once('exit', resolve)), log).toBe(0);
        const keys = (await c.dbsize()) + (await c.select(3), await c.dbsize());
        const run = cli('restore-aof', '--from', `file://${to}`, '--to', out, '--server-bin', ENGINES[name]!);
        expect(run.status, run.stdout + run.stderr).toBe(0);
        expect(run.stdout).toContain(`: ${keys} keys (`);
      } finally {
        await server.stop();
      }
    },
    120_000,
  );

  it.each(NAMES.flatMap((source) => NAMES.filter((via) => via !== source).map((via) => [source, via])))(
    'a round trip: a file %s writes, converted for %s and back, loaded by the first: EQUAL but for what the first leg reported',
    async (source, via) => {
      const there = join(dir, `${source}-via-${via}.rdb`);
      const back = join(dir, `${source}-via-${via}-back.rdb`);
      const leg1 = cli('convert-rdb', files[source]!, '--for', via!, '--lossy', LOSSY, '-o', there, '--json', '--force');
      expect(leg1.status).toBe(0);
      const leg2 = cli('convert-rdb', there, '--for', source!, '-o', back, '--json', '--force');
      expect(leg2.stderr).toBe('');
      expect(leg2.status).toBe(0);
      const r = JSON.parse(leg1.stdout) as { lost: Record<string, number>; dropped: Record<string, number> };
      const [original, returned] = [await started(ENGINES[source!]!, files[source]!), await started(ENGINES[source!]!, back)];
      expect(returned, `${source} refused the round trip's file`).not.toBeNull();
      try {
        const cmp = cli('compare', '--a', original!.url, '--b', returned!.url, '--json');
        const differences = (JSON.parse(cmp.stdout) as { differences: number }).differences;
        expect(differences).toBe((r.lost['field-ttl'] ?? 0) + Object.values(r.dropped).reduce((a, b) => a + b, 0));
      } finally {
        await Promise.all([original?.stop(), returned?.stop()]);
      }
    },
    120_000,
  );

  it.each(NAMES.flatMap((source) => NAMES.map((target) => [source, target])))(
    'migrate --from-rdb of a file %s writes into an empty %s with --verify: EQUAL, where nothing needs --lossy',
    async (source, target) => {
      const server = await startRedisServer({ binary: ENGINES[target!] });
      try {
        const dry = cli('convert-rdb', files[source]!, '--for', target!, '--dry-run');
        const run = cli('migrate', '--from-rdb', files[source]!, '--to', server.url, '--verify', '--functions');
        if (dry.status !== 0) {
          // What convert-rdb refuses without --lossy, migrate refuses too, before any write.
          expect(run.status).toBe(1);
          expect(await server.client().dbsize()).toBe(0);
        } else {
          expect(run.stderr).toBe('');
          expect(run.stdout).toMatch(/^verify: EQUAL: /m);
          expect(run.status).toBe(0);
        }
      } finally {
        await server.stop();
      }
    },
    120_000,
  );
});
