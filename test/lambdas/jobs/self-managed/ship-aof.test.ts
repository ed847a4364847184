import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { AofDirectory, RestoreDirectory } from '../../../../lambdas/adapters/storage/aof-dir.js';
import { FileAofStore } from '../../../../lambdas/adapters/storage/aof-store.js';
import { startLocalRedis, type LocalRedis } from '../../../../lambdas/adapters/redis/local-server.js';
import { readStoredHistory, SHIPPED_THROUGH_KEY, SHIPPED_THROUGH_MARGIN_SECONDS } from '../../../../lambdas/domain/self-managed/aof-layout.js';
import { AOF_METRICS } from '../../../../lambdas/domain/self-managed/aof-metrics.js';
import { AofShipper } from '../../../../lambdas/jobs/self-managed/ship-aof.js';
import type { CycleReport } from '../../../../lambdas/jobs/self-managed/ship-aof-types.js';
import { restoreAof, type RestoreAofReport } from '../../../../lambdas/jobs/self-managed/restore-aof.js';
import { FlakyAofStore, nextSecond, rewriteAof, sleep, startAofServer, startWriter } from '../../../support/aof.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/**
 * The shipper and the restore against a real redis-server 7 writing its
 * multi-part AOF with timestamps, while a writer keeps writing: rewrites
 * mid-stream, a destination outage, the shipper stopped and started, the
 * server killed and started again; then the restore to the end must equal
 * the source, and the restore to just before a FLUSHALL must equal a replica
 * detached at that moment.
 */

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});

function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `redis-dr-aof-${name}-`));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A shipper running in the background, as the CLI runs it. */
function runShipper(dir: string, store: FlakyAofStore | FileAofStore, log: string[], cycles: CycleReport[] = []) {
  const shipper = new AofShipper(
    { dir: new AofDirectory(dir), store, intervalMs: 100, rpoMs: 60_000, maxPartBytes: 64 * 1024 },
    { now: () => Date.now(), say: (l) => log.push(l), onCycle: (c) => cycles.push(c) },
  );
  const abort = new AbortController();
  const done = shipper.run(abort.signal);
  const stop = async () => {
    abort.abort();
    await done;
  };
  cleanup.push(stop); // a test that fails midway leaves no shipper writing after it
  return { shipper, stop };
}

/** Waits until a cycle that started after now shipped everything. */
async function caughtUp(cycles: CycleReport[]): Promise<CycleReport> {
  const since = Date.now();
  const deadline = since + 15_000;
  while (Date.now() < deadline) {
    const c = cycles.find((x) => x.observedAtMs > since && x.ok);
    if (c) return c;
    await sleep(20);
  }
  throw new Error(`the shipper did not catch up: ${JSON.stringify(cycles.slice(-2))}`);
}

/**
 * Waits for an ok cycle late enough that the shipped-through record its run's last cycle writes vouches for the second
 * after the one `ms` falls in (restore-aof takes its word up to SHIPPED_THROUGH_MARGIN_SECONDS before it): an --until
 * into that second, past the last #TS shipped, is then known complete. A few seconds of wall clock.
 */
async function vouchedFor(cycles: CycleReport[], ms: number): Promise<void> {
  const need = (Math.floor(ms / 1000) + 1 + SHIPPED_THROUGH_MARGIN_SECONDS) * 1000;
  await eventually('a cycle the record vouches for the second after it from', () => cycles.some((c) => c.ok && c.observedAtMs >= need), 15_000);
}

async function restore(dest: string, out: string, untilMs?: number): Promise<RestoreAofReport> {
  return restoreAof(
    { store: new FileAofStore(dest), to: new RestoreDirectory(out), load: {}, ...(untilMs !== undefined ? { untilMs } : {}) },
    { now: () => Date.now(), startServer: startLocalRedis },
  );
}

/** A throwaway server holding what was restored into `out`. */
async function loadRestored(out: string, appendFilename = 'appendonly.aof'): Promise<LocalRedis> {
  const s = await startLocalRedis({ aof: { dir: out, appendFilename } });
  cleanup.push(() => s.stop());
  return s;
}

/** Waits until `check` holds (polling), failing after `ms`. */
async function eventually(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

/** An RDB of ten keys (r:0 … r:9) saved by a real redis-server. */
async function rdbOfTenKeys(): Promise<Buffer> {
  const source = await startRedisServer();
  cleanup.push(() => source.stop());
  const sc = source.client();
  for (let i = 0; i < 10; i++) await sc.set(`r:${i}`, `v${i}`);
  return readFileSync(await bgsave(source, sc));
}

/** The AOF directory Redis 7 makes of an old single-file AOF: `appendonly.aof` (the RDB preamble, then `tail`) as its base, one increment holding `incr`. */
function legacyDir(rdb: Buffer, tail: string, incr: string): string {
  const dir = join(tempDir('legacy'), 'appendonlydir');
  mkdirSync(dir);
  writeFileSync(join(dir, 'appendonly.aof'), Buffer.concat([rdb, Buffer.from(tail)]));
  writeFileSync(join(dir, 'appendonly.aof.1.incr.aof'), incr);
  writeFileSync(join(dir, 'appendonly.aof.manifest'), 'file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
  return dir;
}

/** Ships `dir` to `dest` with cycles run by hand: one (the base uploads in the background), then one that must be ok. Returns the first. */
async function shipByHand(dir: string, dest: string, log: string[] = []): Promise<CycleReport> {
  const shipper = new AofShipper(
    { dir: new AofDirectory(dir), store: new FileAofStore(dest), intervalMs: 50, rpoMs: 10_000 },
    { now: () => Date.now(), say: (l) => log.push(l) },
  );
  cleanup.push(() => shipper.stop());
  await shipper.start();
  const first = await shipper.cycle();
  await shipper.settled();
  expect((await shipper.cycle()).ok).toBe(true);
  await shipper.stop();
  return first;
}

/** An AOF directory whose RDB base is cut after 40 bytes of `rdb` and followed by garbage, with one increment holding `incr`. */
function corruptBaseDir(rdb: Buffer, incr: string): string {
  const dir = join(tempDir('bad'), 'appendonlydir');
  mkdirSync(dir);
  writeFileSync(join(dir, 'appendonly.aof.1.base.rdb'), Buffer.concat([rdb.subarray(0, 40), Buffer.from('garbage that is no RDB')]));
  writeFileSync(join(dir, 'appendonly.aof.1.incr.aof'), incr);
  writeFileSync(join(dir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
  return dir;
}

/** A destination whose base uploads wait until `release()` (a big base on a slow link); an abort ends the wait. */
class SlowBaseStore extends FileAofStore {
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  release(): void {
    this.open();
  }
  override async putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    await Promise.race([this.gate, new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }))]);
    return super.putStream(key, body, commit, signal);
  }
}

/** A shipper running with a heartbeat (pings counted) and a metrics file. */
function runReporting(dir: string, store: FileAofStore, rpoMs = 10_000) {
  const metricsFile = join(tempDir('metrics'), 'aof.prom');
  const pings: number[] = [];
  const log: string[] = [];
  const cycles: CycleReport[] = [];
  const shipper = new AofShipper(
    { dir: new AofDirectory(dir), store, intervalMs: 50, rpoMs, heartbeat: { url: 'http://unused', everyMs: 0 }, metricsFile },
    { now: () => Date.now(), say: (l) => log.push(l), onCycle: (c) => cycles.push(c), ping: async () => void pings.push(Date.now()) },
  );
  const abort = new AbortController();
  const done = shipper.run(abort.signal);
  const stop = async () => {
    abort.abort();
    await done;
  };
  cleanup.push(stop);
  const metric = (name: string) => {
    const m = new RegExp(`^${name}\\{dir="[^"]+"\\} (\\S+)$`, 'm').exec(readFileSync(metricsFile, 'utf8'));
    return m ? Number(m[1]) : undefined;
  };
  return { pings, log, cycles, metricsFile, metric, stop };
}

async function replicaOffsetsMatch(primary: Redis, replica: Redis): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const p = /master_repl_offset:(\d+)/.exec(await primary.info('replication'))?.[1];
    const r = await replica.info('replication');
    if (/master_link_status:up/.test(r) && /slave_repl_offset:(\d+)/.exec(r)?.[1] === p) return;
    await sleep(20);
  }
  throw new Error('the replica did not catch up');
}

describe('ship-aof and restore-aof against a real redis-server', () => {
  it('ships through rewrites, an outage, its own restart and the server restart; restores to the end and to just before a FLUSHALL', async () => {
    let server: RedisServer = await startAofServer();
    const dataDir = server.dir;
    cleanup.push(() => server.stop());
    const aofDir = join(dataDir, 'appendonlydir');
    const dest = tempDir('dest');
    const store = new FlakyAofStore(new FileAofStore(dest));
    const log: string[] = [];
    const cycles: CycleReport[] = [];

    let c = server.client();
    const writer = startWriter(c, 'pre');
    let shipper = runShipper(aofDir, store, log, cycles);
    await caughtUp(cycles);
    await sleep(150);
    await rewriteAof(c); // 1: an RDB base
    // Shipped before the outage: a fixed sleep here lost it on a loaded machine (rewrite 2 removes it, so 3 bases of 4).
    await caughtUp(cycles);
    // The destination fails for a while; the server rewrites meanwhile, with the AOF form of base.
    store.failing = true;
    await c.config('SET', 'aof-use-rdb-preamble', 'no');
    await sleep(150);
    await rewriteAof(c); // 2: an AOF base, the increment before it removed while the destination is down
    await sleep(300);
    store.failing = false;
    await caughtUp(cycles);
    expect(store.failures).toBeGreaterThan(0);
    expect(log.some((l) => /cycle failed .*injected outage; lag/.test(l))).toBe(true);
    expect(log.some((l) => /^ship-aof: caught up, restorable to the newest command \(base appendonly\.aof\.\d+\.base\.(rdb|aof)\)$/.test(l))).toBe(true);

    // The shipper stops and starts again; the writer goes on meanwhile.
    await shipper.stop();
    expect(log.some((l) => /stopped, every whole command shipped/.test(l))).toBe(true);
    await sleep(250);
    shipper = runShipper(aofDir, store, log, cycles);
    await caughtUp(cycles);
    expect(log.some((l) => /resumes at byte \d+/.test(l))).toBe(true);

    // The server is killed and started again on its directory; a replica follows it from then on.
    await server.kill();
    await sleep(100);
    // No diskless-sync delay: by default the primary waits 5 s for more replicas before the replica's first sync, and
    // replicaOffsetsMatch below waited that out (this case 8.1 -> 3.4 s, the file 28.5 -> 23.4 s, on one CPU). The
    // replica only keeps the data as it was before the FLUSHALL: when its sync starts changes nothing that is shipped.
    server = await startAofServer({ dir: dataDir, port: server.port, args: ['--repl-diskless-sync-delay', '0'] });
    c = server.client();
    await c.config('SET', 'aof-use-rdb-preamble', 'yes');
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(server.port)] });
    cleanup.push(() => replica.stop());
    await sleep(300);
    await rewriteAof(c); // 3: an RDB base again
    await caughtUp(cycles); // shipped before rewrite 4 removes it
    const written = await writer.stop();
    expect(written).toBeGreaterThan(200);

    // The replica is detached right before the FLUSHALL: it holds the data a restore --until must give.
    const r = replica.client();
    await replicaOffsetsMatch(c, r);
    await r.replicaof('NO', 'ONE');
    await nextSecond();
    const until = Date.now();
    await c.flushall();
    const after = startWriter(c, 'post');
    await sleep(300);
    await rewriteAof(c); // 4: after the FLUSHALL
    await sleep(100);
    await after.stop();
    await caughtUp(cycles);
    await shipper.stop();

    const stored = readStoredHistory(await store.list());
    const bases = [...stored.files.keys()].filter((f) => f.includes('.base.'));
    expect(bases.length).toBeGreaterThanOrEqual(4);
    expect(bases.some((b) => b.endsWith('.base.aof'))).toBe(true);
    expect(log.filter((l) => /removed/.test(l))).toEqual([]);

    // To the end: equal to the source.
    const end = tempDir('end');
    rmSync(end, { recursive: true });
    const toEnd = await restore(dest, end);
    expect(toEnd).toMatchObject({ ok: true, load: { engine: 'redis' } });
    expect(toEnd.load!.keys).toBe(await c.dbsize());
    const restoredEnd = await loadRestored(end);
    expect((await compareClients(c, restoredEnd.client(), { ttlToleranceMs: 0 })).equal).toBe(true);

    // To just before the FLUSHALL: equal to the replica detached then; nothing written after.
    const before = tempDir('before');
    rmSync(before, { recursive: true });
    const toBefore = await restore(dest, before, until);
    expect(toBefore).toMatchObject({ ok: true, cut: { beforeSecond: new Date(Math.floor(until / 1000) * 1000).toISOString().replace('.000Z', 'Z') } });
    const restoredBefore = await loadRestored(before);
    const rb = restoredBefore.client();
    expect(await rb.dbsize()).toBe(await r.dbsize());
    expect(await rb.dbsize()).toBeGreaterThan(100);
    expect(await rb.keys('post:*')).toEqual([]);
    const same = await compareClients(r, rb, { ttlToleranceMs: 0 });
    expect(same.diffs).toEqual([]);
    expect(same.equal).toBe(true);
    expect(readdirSync(before).sort()).toEqual(expect.arrayContaining(['appendonly.aof.manifest']));
  });

  it('names the gap a rewrite leaves while the shipper is stopped, and restores on either side of it', async () => {
    const server = await startAofServer();
    cleanup.push(() => server.stop());
    const c = server.client();
    const aofDir = join(server.dir, 'appendonlydir');
    const dest = tempDir('dest');
    const store = new FileAofStore(dest);
    const log: string[] = [];
    const cycles: CycleReport[] = [];
    await nextSecond();
    await c.set('a', '1');
    await nextSecond();
    await c.set('a2', '1'); // in a later second: the last shipped annotation
    let shipper = runShipper(aofDir, store, log, cycles);
    await caughtUp(cycles);
    await shipper.stop();
    await nextSecond();
    const inGap = Date.now();
    await c.set('b', '2'); // never shipped: the rewrite below removes its increment while the shipper is stopped
    await nextSecond();
    await rewriteAof(c);
    await c.set('c', '3');
    shipper = runShipper(aofDir, store, log, cycles);
    await caughtUp(cycles);
    await vouchedFor(cycles, Date.now()); // the first point after the gap is past the last #TS shipped when nothing came after c
    await shipper.stop();
    expect(log.some((l) => /appendonly\.aof\.1\.incr\.aof: the destination holds \d+ bytes of it and the server has removed it/.test(l))).toBe(true);

    const out = tempDir('gap');
    rmSync(out, { recursive: true });
    const refused = await restore(dest, out, inGap + 1000);
    expect(refused.ok).toBe(false);
    expect(refused.refused).toMatchObject({ kind: 'gap', message: expect.stringContaining('appendonly.aof.1.incr.aof was shipped up to byte') });
    const points = /Restorable: --until up to (\S+Z), or from (\S+Z) \(base appendonly\.aof\.2\.base\.rdb\)/.exec(refused.refused!.message);
    expect(points).not.toBeNull();
    expect(() => readdirSync(out)).toThrow(); // nothing left behind

    // The newest point before the gap: the second of the last annotation shipped (a, not yet a2), and the first after it.
    const beforeGap = await restore(dest, out, Date.parse(points![1]!));
    expect(beforeGap).toMatchObject({ ok: true, load: { keys: 1 } });
    // The first point after it is the second after base 2's; c is in it when the SET came in the rewrite's second (on an
    // idle machine), else (a slow rewrite) only later points hold it: c's second is the server's annotation before it.
    const incr = readFileSync(join(aofDir, 'appendonly.aof.2.incr.aof'), 'latin1');
    const cSecond = Number([...incr.slice(0, incr.indexOf('\r\n$1\r\nc\r\n')).matchAll(/#TS:(\d+)\r\n/g)].at(-1)?.[1]);
    expect(cSecond).toBeGreaterThan(0);
    const afterGap = Date.parse(points![2]!);
    expect(await restore(dest, `${tempDir('after')}/aof`, afterGap)).toMatchObject({ ok: true, load: { keys: cSecond < afterGap / 1000 ? 4 : 3 } });
    const newest = await restore(dest, `${tempDir('newest')}/aof`);
    expect(newest).toMatchObject({ ok: true, load: { keys: 4 } });
  });

  it('pings the heartbeat only while the lag is within the RPO, and the metrics say which', async () => {
    const server = await startAofServer();
    cleanup.push(() => server.stop());
    const c = server.client();
    const store = new FlakyAofStore(new FileAofStore(tempDir('dest')));
    const metricsFile = join(tempDir('metrics'), 'aof.prom');
    const pings: number[] = [];
    const log: string[] = [];
    const shipper = new AofShipper(
      {
        dir: new AofDirectory(join(server.dir, 'appendonlydir')),
        store,
        intervalMs: 50,
        rpoMs: 400,
        heartbeat: { url: 'http://unused', everyMs: 0 },
        metricsFile,
      },
      { now: () => Date.now(), say: (l) => log.push(l), ping: async () => void pings.push(Date.now()) },
    );
    const abort = new AbortController();
    const done = shipper.run(abort.signal);
    cleanup.push(() => (abort.abort(), done));
    await c.set('a', '1');
    await eventually('a ping', () => pings.length > 0);
    expect(readFileSync(metricsFile, 'utf8')).toMatch(new RegExp(`${AOF_METRICS.withinRpo}\\{dir="[^"]+"\\} 1\n`));
    store.failing = true;
    await c.set('b', '2');
    await eventually('the lag over the RPO', () => log.some((l) => /lag \d+\.\d s is over --rpo 0\.4 s: the heartbeat is not pinged/.test(l)));
    const frozen = pings.length;
    await sleep(300);
    expect(pings.length).toBe(frozen);
    const prom = readFileSync(metricsFile, 'utf8');
    expect(prom).toMatch(new RegExp(`${AOF_METRICS.withinRpo}\\{dir="[^"]+"\\} 0\n`));
    expect(Number(new RegExp(`${AOF_METRICS.errors}\\{dir="[^"]+"\\} (\\d+)`).exec(prom)![1])).toBeGreaterThan(0);
    store.failing = false;
    await eventually('pings again', () => pings.length > frozen);
    expect(log.some((l) => /lag back within --rpo/.test(l))).toBe(true);
    abort.abort();
    await done;
  });

  it('is not ok while no base is stored: with a corrupt base nothing is restorable, so no heartbeat, within_rpo 0, base_seq 0, and the log says why', async () => {
    const dir = corruptBaseDir(await rdbOfTenKeys(), '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n');
    const dest = tempDir('dest');
    const run = runReporting(dir, new FileAofStore(dest));
    await eventually('five cycles', () => run.cycles.length >= 5);
    await run.stop();
    expect(run.cycles.every((c) => !c.ok)).toBe(true);
    expect(run.cycles[run.cycles.length - 1]!.notRestorable).toMatch(
      /cannot be restored to the newest commands yet: no base is stored whole; base appendonly\.aof\.1\.base\.rdb was refused: its RDB is corrupt at byte/,
    );
    expect(run.pings).toEqual([]);
    expect(run.metric(AOF_METRICS.withinRpo)).toBe(0);
    expect(run.metric(AOF_METRICS.baseSeq)).toBe(0);
    expect(run.metric(AOF_METRICS.shippedThrough)).toBeUndefined();
    expect(
      run.log.some((l) => /shipped .* in 1 part .*cannot be restored to the newest commands yet: no base is stored whole.*the heartbeat is not pinged/.test(l)),
    ).toBe(true);
    expect(run.log.some((l) => /every whole command shipped/.test(l))).toBe(false);
    expect(run.log[run.log.length - 1]).toMatch(/^ship-aof: stopped: .* cannot be restored to the newest commands yet: no base is stored whole/);
    // What restore-aof says of that destination: the shipper told the same.
    expect(await restore(dest, join(tempDir('out'), 'aof'))).toMatchObject({ ok: false, refused: { kind: 'empty' } });
  });

  it('is not ok while the first base is still uploading; once it is stored, the lag counts from then; base_seq is exported after a restart too', async () => {
    const server = await startAofServer();
    cleanup.push(() => server.stop());
    const c = server.client();
    await c.set('a', '1');
    const aofDir = join(server.dir, 'appendonlydir');
    const store = new SlowBaseStore(tempDir('dest'));
    const run = runReporting(aofDir, store);
    await eventually(
      'three cycles after the increment shipped',
      () => run.cycles.filter((x) => x.parts === 0 && Object.values(x.files).some((b) => b > 0)).length >= 3,
    );
    expect(run.cycles.every((x) => !x.ok)).toBe(true);
    expect(run.cycles[run.cycles.length - 1]!.notRestorable).toMatch(/no base is stored whole; base appendonly\.aof\.1\.base\.rdb is still being uploaded/);
    expect(run.pings).toEqual([]);
    expect(run.metric(AOF_METRICS.withinRpo)).toBe(0);
    store.release();
    await eventually('a ping', () => run.pings.length > 0);
    const first = run.cycles.find((x) => x.ok)!;
    expect(first.lagMs).toBeLessThan(first.endedAtMs - first.observedAtMs + 1);
    expect(run.metric(AOF_METRICS.withinRpo)).toBe(1);
    expect(run.metric(AOF_METRICS.baseSeq)).toBe(1);
    expect(run.log.some((l) => /restorable to the newest command \(base appendonly\.aof\.1\.base\.rdb\)/.test(l))).toBe(true);
    await run.stop();
    expect(run.log[run.log.length - 1]).toBe('ship-aof: stopped, every whole command shipped');

    // Restarted, it uploads no base: the one stored is still exported.
    const again = runReporting(aofDir, new FileAofStore(store.url.slice('file://'.length)));
    await eventually('a ping after the restart', () => again.pings.length > 0);
    expect(again.metric(AOF_METRICS.baseSeq)).toBe(1);
    expect(again.log.some((l) => /base .* stored/.test(l))).toBe(false);
    await again.stop();
  });

  it('holds back a command a crash tore; the server truncates it when it starts again, and shipping goes on', async () => {
    let server = await startAofServer();
    const dataDir = server.dir;
    cleanup.push(() => server.stop());
    let c = server.client();
    const dest = tempDir('dest');
    const log: string[] = [];
    const cycles: CycleReport[] = [];
    const shipper = runShipper(join(dataDir, 'appendonlydir'), new FileAofStore(dest), log, cycles);
    for (let i = 0; i < 20; i++) await c.set(`k:${i}`, `v${i}`);
    await caughtUp(cycles);
    await server.kill();
    const torn = '*3\r\n$3\r\nset\r\n$5\r\ntorn-';
    appendFileSync(join(dataDir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), torn);
    const held = await caughtUp(cycles);
    expect(held.heldBackBytes).toBe(torn.length);
    server = await startAofServer({ dir: dataDir, port: server.port });
    c = server.client();
    for (let i = 20; i < 30; i++) await c.set(`k:${i}`, `v${i}`);
    const after = await caughtUp(cycles);
    expect(after.heldBackBytes).toBe(0);
    await shipper.stop();
    const out = join(tempDir('out'), 'aof');
    expect(await restore(dest, out)).toMatchObject({ ok: true, load: { keys: 30 } });
    const restored = await loadRestored(out);
    expect((await compareClients(c, restored.client())).equal).toBe(true);
  });

  it('ships a directory whose manifest Redis 8 wrote (replication offsets on the increment) and keeps the start offset in the restored manifest', async () => {
    const server = await startAofServer();
    cleanup.push(() => server.stop());
    const c = server.client();
    for (let i = 0; i < 20; i++) await c.set(`k:${i}`, `v${i}`);
    await server.kill(); // the files stay; appendfsync always: every write is in them
    const aofDir = join(server.dir, 'appendonlydir');
    const incrBytes = readFileSync(join(aofDir, 'appendonly.aof.1.incr.aof')).length;
    // What Redis 8 leaves after a clean shutdown (src/aof.c, aofInfoFormat).
    writeFileSync(
      join(aofDir, 'appendonly.aof.manifest'),
      `file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i startoffset 0 endoffset ${incrBytes}\n`,
    );
    const dest = tempDir('dest');
    await shipByHand(aofDir, dest);
    const out = join(tempDir('out'), 'aof');
    expect(await restore(dest, out)).toMatchObject({ ok: true, increments: [{ name: 'appendonly.aof.1.incr.aof', bytes: incrBytes }], load: { keys: 20 } });
    expect(readFileSync(join(out, 'appendonly.aof.manifest'), 'utf8')).toBe(
      'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i startoffset 0\n',
    );
  });

  it("writes the shipped-through record after an ok cycle (once a minute, and on the run's last cycle); restore-aof --until past the last #TS restores as far as it vouches, and refuses past that", async () => {
    const t = 1_800_000_000;
    let now = (t + 10) * 1000;
    const dir = join(tempDir('through'), 'appendonlydir');
    mkdirSync(dir);
    writeFileSync(join(dir, 'appendonly.aof.1.base.aof'), `#TS:${t}\r\n${cmd('SELECT', '0')}${cmd('SET', 'a', '1')}`);
    writeFileSync(join(dir, 'appendonly.aof.1.incr.aof'), `#TS:${t + 1}\r\n${cmd('SET', 'b', '2')}`);
    writeFileSync(join(dir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    const dest = tempDir('through-dest');
    const recorded = () => (JSON.parse(readFileSync(join(dest, SHIPPED_THROUGH_KEY), 'utf8')) as { shippedThroughMs: number }).shippedThroughMs;
    const shipper = new AofShipper(
      { dir: new AofDirectory(dir), store: new FileAofStore(dest), intervalMs: 50, rpoMs: 10_000 },
      { now: () => now, say: () => undefined },
    );
    cleanup.push(() => shipper.stop());
    await shipper.start();
    expect((await shipper.cycle()).ok).toBe(false); // the base is still uploading: nothing is vouched for
    expect(readdirSync(dest)).not.toContain(SHIPPED_THROUGH_KEY);
    await shipper.settled();
    expect((await shipper.cycle()).ok).toBe(true);
    expect(recorded()).toBe((t + 10) * 1000);
    now += 59_000;
    expect((await shipper.cycle()).ok).toBe(true);
    expect(recorded()).toBe((t + 10) * 1000); // not due yet
    now += 1_000;
    expect((await shipper.cycle()).ok).toBe(true);
    expect(recorded()).toBe((t + 70) * 1000);
    await shipper.stop();
    // A run's last cycle (SIGTERM) records it whatever the minute says.
    const log: string[] = [];
    const run = new AofShipper(
      { dir: new AofDirectory(dir), store: new FileAofStore(dest), intervalMs: 50, rpoMs: 10_000 },
      { now: () => now, say: (l) => log.push(l) },
    );
    const abort = new AbortController();
    const done = run.run(abort.signal);
    cleanup.push(() => (abort.abort(), done));
    await eventually('the run started', () => log.some((l) => l.includes('the destination holds')));
    now += 5_000;
    abort.abort();
    expect((await done)?.ok).toBe(true);
    expect(recorded()).toBe((t + 75) * 1000);
    // Vouched for up to 3 s before it: --until t+72 restores everything; t+73 is refused, naming t+72.
    expect(await restore(dest, join(tempDir('out'), 'aof'), (t + 72) * 1000)).toMatchObject({ ok: true, load: { keys: 2 } });
    const past = await restore(dest, join(tempDir('out'), 'aof'), (t + 73) * 1000);
    expect(past).toMatchObject({ ok: false, refused: { kind: 'past-shipped' } });
    expect(past.refused!.message).toContain(`--until ${new Date((t + 72) * 1000).toISOString().replace('.000Z', 'Z')}`);
  });

  it('an old single-file AOF whose commands after the RDB preamble carry no #TS records no time: --until refuses it, naming why; to the end restores it', async () => {
    // Redis 6 wrote commands after the preamble without annotations: when they ran is unknown (not the RDB's ctime).
    const dir = legacyDir(
      await rdbOfTenKeys(),
      `${cmd('SELECT', '0')}${cmd('SET', 'late', '1')}`,
      `#TS:${Math.floor(Date.now() / 1000) + 5}\r\n${cmd('SET', 'incr', '1')}`,
    );
    const dest = tempDir('dest');
    const log: string[] = [];
    await shipByHand(dir, dest, log);
    const record = JSON.parse(readFileSync(join(dest, 'files', 'appendonly.aof', 'base.json'), 'utf8'));
    expect(record).toMatchObject({ format: 'rdb+aof', keys: 10, commands: 2, untimedCommands: 2 });
    expect(record).not.toHaveProperty('timeSeconds');
    expect(log.some((l) => /base appendonly\.aof stored .*no time: 2 commands follow its RDB preamble with no #TS annotation before them/.test(l))).toBe(true);
    expect(await restore(dest, join(tempDir('end'), 'aof'))).toMatchObject({ ok: true, base: { format: 'rdb+aof' }, load: { keys: 12 } });
    const refused = await restore(dest, join(tempDir('until'), 'aof'), Date.now() + 60_000);
    expect(refused).toMatchObject({
      ok: false,
      refused: {
        kind: 'no-timestamps',
        message: expect.stringMatching(
          /base appendonly\.aof: 2 commands follow its RDB preamble with no #TS annotation before them, so when they ran is unknown/,
        ),
      },
    });
  });

  it('commands written before aof-timestamp-enabled was switched on have no known time: --until that cuts at the first annotation refuses, naming them; later and to the end restore', async () => {
    const server = await startAofServer({ args: ['--aof-timestamp-enabled', 'no'] });
    cleanup.push(() => server.stop());
    const c = server.client();
    await nextSecond();
    await nextSecond(); // the base's second (the server's start) is over
    await c.set('a', '1'); // no annotation: its time is unknown
    await nextSecond();
    await c.config('SET', 'aof-timestamp-enabled', 'yes');
    const t1 = Math.floor(Date.now() / 1000);
    await c.set('b', '2'); // after #TS:t1
    const dest = tempDir('dest');
    const cycles: CycleReport[] = [];
    const shipper = runShipper(join(server.dir, 'appendonlydir'), new FileAofStore(dest), [], cycles);
    await caughtUp(cycles);
    await vouchedFor(cycles, t1 * 1000); // --until t1+1 is past the last #TS shipped (t1's)
    await shipper.stop();
    const refused = await restore(dest, join(tempDir('cut'), 'aof'), t1 * 1000 + 500);
    expect(refused).toMatchObject({
      ok: false,
      refused: {
        kind: 'no-timestamps',
        message: expect.stringMatching(
          /--until needs the AOF timestamp annotations \(aof-timestamp-enabled yes\): the 2 commands in appendonly\.aof\.1\.incr\.aof before .* carry none .*when they ran is unknown/,
        ),
      },
    });
    expect(refused.refused!.message).toContain(`give --until from ${new Date((t1 + 1) * 1000).toISOString().replace('.000Z', 'Z')} on`);
    expect(await restore(dest, join(tempDir('later'), 'aof'), (t1 + 1) * 1000)).toMatchObject({ ok: true, load: { keys: 2 } });
    expect(await restore(dest, join(tempDir('end'), 'aof'))).toMatchObject({ ok: true, load: { keys: 2 } });
  });

  it('reads the bases aof-use-rdb-preamble can leave: an old single-file AOF (RDB preamble, then commands) ships as rdb+aof and restores; a corrupt RDB base is not shipped', async () => {
    const rdb = await rdbOfTenKeys();
    const dir = legacyDir(rdb, `#TS:1700000000\r\n${cmd('SELECT', '0')}${cmd('SET', 'tail', '1')}`, cmd('SET', 'incr', '1'));
    const dest = tempDir('dest');
    expect((await shipByHand(dir, dest)).notRestorable).toMatch(/base appendonly\.aof is still being uploaded/); // in the background
    expect(JSON.parse(readFileSync(join(dest, 'files', 'appendonly.aof', 'base.json'), 'utf8'))).toMatchObject({
      format: 'rdb+aof',
      timeSeconds: 1700000000,
      keys: 10,
      commands: 2,
    });
    const out = join(tempDir('out'), 'aof');
    expect(await restore(dest, out)).toMatchObject({
      ok: true,
      base: { name: 'appendonly.aof', format: 'rdb+aof' },
      appendFilename: 'appendonly.aof',
      load: { keys: 12 },
    });

    const bad = corruptBaseDir(rdb, '');
    const badDest = tempDir('bad-dest');
    const badLog: string[] = [];
    const badShipper = new AofShipper(
      { dir: new AofDirectory(bad), store: new FileAofStore(badDest), intervalMs: 50, rpoMs: 10_000 },
      { now: () => Date.now(), say: (l) => badLog.push(l) },
    );
    cleanup.push(() => badShipper.stop());
    await badShipper.start();
    await badShipper.cycle();
    await badShipper.settled();
    await badShipper.stop();
    expect(badLog.some((l) => /base appendonly\.aof\.1\.base\.rdb is not shipped: its RDB is corrupt at byte \d+/.test(l))).toBe(true);
    expect(readStoredHistory(await new FileAofStore(badDest).list()).files.has('appendonly.aof.1.base.rdb')).toBe(false);
  });
});
