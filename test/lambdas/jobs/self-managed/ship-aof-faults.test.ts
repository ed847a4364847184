import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { AofDirectory, RestoreDirectory, serverAofState } from '../../../../lambdas/adapters/storage/aof-dir.js';
import { FileAofStore, type OpenForWrite } from '../../../../lambdas/adapters/storage/aof-store.js';
import { startLocalRedis } from '../../../../lambdas/adapters/redis/local-server.js';
import { parseStoredKey } from '../../../../lambdas/domain/self-managed/aof-layout.js';
import { AOF_METRICS } from '../../../../lambdas/domain/self-managed/aof-metrics.js';
import { AofShipper } from '../../../../lambdas/jobs/self-managed/ship-aof.js';
import type { CycleReport, ShipAofDeps } from '../../../../lambdas/jobs/self-managed/ship-aof-types.js';
import { restoreAof, type RestoreAofReport } from '../../../../lambdas/jobs/self-managed/restore-aof.js';
import { nextSecond, rewriteAof, sleep, startAofServer, startWriter } from '../../../support/aof.js';
import { pidScopeTag } from '../../../../lambdas/adapters/host/process.js';

/**
 * ship-aof when the destination fails where it fails — at the file handle
 * (short writes, a device that fills, a file system remounted read-only) —
 * and when what it stored earlier is torn; and when the server writes no
 * #TS annotations or has AOF off. Against a real redis-server 7.
 */

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});

function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `redis-dr-aof-fault-${name}-`));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function eventually(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

/** A real redis-server with AOF (stopped after the test), its client, its appendonlydir and an empty destination folder. */
async function aofServer() {
  const server = await startAofServer();
  cleanup.push(() => server.stop());
  return { server, c: server.client(), dest: tempDir('dest'), aofDir: join(server.dir, 'appendonlydir') };
}

/** A shipper run as the CLI runs it, with a heartbeat (pings counted) and a metrics file. */
function runReporting(dir: string, store: FileAofStore, extra: Partial<ShipAofDeps> = {}) {
  const metricsFile = join(tempDir('metrics'), 'aof.prom');
  const pings: number[] = [];
  const log: string[] = [];
  const cycles: CycleReport[] = [];
  const shipper = new AofShipper(
    { dir: new AofDirectory(dir), store, intervalMs: 50, rpoMs: 60_000, heartbeat: { url: 'http://unused', everyMs: 0 }, metricsFile },
    { now: () => Date.now(), say: (l) => log.push(l), onCycle: (c) => cycles.push(c), ping: async () => void pings.push(Date.now()), ...extra },
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
  /** Waits for `n` cycles that started after now. */
  const cyclesFromNow = async (n: number) => {
    const since = Date.now();
    await eventually(`${n} cycles`, () => cycles.filter((c) => c.observedAtMs > since).length >= n);
    return cycles.filter((c) => c.observedAtMs > since);
  };
  return { pings, log, cycles, metric, stop, cyclesFromNow };
}

/** A server whose history was shipped through a rewrite (base 1 and its increment, then base 2 stored), the shipper stopped. */
async function shippedThroughRewrite() {
  const { c, dest, aofDir } = await aofServer();
  const first = runReporting(aofDir, new FileAofStore(dest));
  for (let i = 0; i < 10; i++) await c.set(`k:${i}`, `v${i}`);
  await eventually('caught up', () => first.cycles.some((x) => x.ok && (x.files['appendonly.aof.1.incr.aof'] ?? 0) > 0));
  await rewriteAof(c);
  await c.set('after', '1');
  await eventually('the new base stored', () => first.cycles.some((x) => x.ok && x.restoreBase === 'appendonly.aof.2.base.rdb'));
  await first.stop();
  return { dest, aofDir };
}

const restore = (dest: string, untilMs?: number): Promise<RestoreAofReport> =>
  restoreAof(
    { store: new FileAofStore(dest), to: new RestoreDirectory(join(tempDir('out'), 'aof')), load: {}, ...(untilMs !== undefined ? { untilMs } : {}) },
    { now: () => Date.now(), startServer: startLocalRedis },
  );

/** Every part at the destination holds the bytes its name gives (no truncated part under a final name), and no temporary file is left. */
async function noTornPart(dest: string): Promise<void> {
  for (const o of await new FileAofStore(dest).objects()) {
    const k = parseStoredKey(o.key);
    if (k?.kind === 'part') expect(o.bytes, o.key).toBe(k.part.end - k.part.start);
  }
  const names = readdirSync(dest, { recursive: true }).map(String);
  expect(names.filter((n) => n.includes('.partial-'))).toEqual([]);
}

describe('ship-aof: a destination that fails at the file handle', () => {
  // Root writes through chmod, so "read-only midway" is the EROFS the kernel returns after a read-only remount, thrown by the handle.
  it.each([
    ['fills up midway (short writes, then none)', 'full' as const, /short write to .*bytes written/],
    ['goes read-only midway (EROFS at the handle)', 'erofs' as const, /\(read-only file system\): EROFS/],
  ])(
    '%s: cycles fail, no heartbeat, within_rpo 0, no truncated part under a final name; once it works again the history is restorable',
    async (_what, kind, error) => {
      const server = await startAofServer();
      cleanup.push(() => server.stop());
      const c = server.client();
      const dest = tempDir('dest');
      const fault = { on: false };
      const openForWrite: OpenForWrite = async (path, flags, mode) => {
        const fh = await open(path, flags, mode);
        let calls = 0;
        return {
          write: (async (buffer: Uint8Array, offset = 0, length = buffer.byteLength - offset) => {
            if (!fault.on) return fh.write(buffer, offset, length);
            if (kind === 'erofs') throw Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' });
            // The device fills: the first write takes a few bytes, then none.
            const n = calls++ === 0 ? Math.min(10, length) : 0;
            return fh.write(buffer, offset, n);
          }) as Awaited<ReturnType<OpenForWrite>>['write'],
          sync: () => fh.sync(),
          close: () => fh.close(),
        };
      };
      const run = runReporting(join(server.dir, 'appendonlydir'), new FileAofStore(dest, { openForWrite }));
      for (let i = 0; i < 20; i++) await c.set(`k:${i}`, `v${i}`);
      await eventually('a ping', () => run.pings.length > 0 && run.cycles.some((x) => x.ok));

      fault.on = true;
      for (let i = 20; i < 60; i++) await c.set(`k:${i}`, `v${i}-${'x'.repeat(100)}`);
      const first = (await run.cyclesFromNow(1))[0]!;
      const pingsAt = run.pings.length; // the reports of earlier cycles are done: cycles and reports run one after the other
      const failing = [first, ...(await run.cyclesFromNow(3))];
      for (const cyc of failing) {
        expect(cyc.ok).toBe(false);
        expect(cyc.errors.join('; ')).toMatch(error);
      }
      expect(run.pings.length).toBe(pingsAt);
      expect(run.metric(AOF_METRICS.withinRpo)).toBe(0);
      expect(run.log.some((l) => /cycle failed \(retried every 0\.05 s, nothing skipped\)/.test(l))).toBe(true);
      await noTornPart(dest);

      fault.on = false;
      await eventually('pings again', () => run.pings.length > pingsAt);
      expect(run.metric(AOF_METRICS.withinRpo)).toBe(1);
      await run.stop();
      await noTornPart(dest);
      const r = await restore(dest);
      expect(r).toMatchObject({ ok: true, load: { keys: 60 } });
      expect(run.log.filter((l) => /WARNING/.test(l))).toEqual([]);
    },
  );
});

describe('ship-aof: a torn part already in the history', () => {
  /** The increment's part files at the destination, oldest first. */
  const incrParts = (dest: string, file = 'appendonly.aof.1.incr.aof') =>
    readdirSync(join(dest, 'files', file))
      .filter((n) => n.endsWith('.part'))
      .sort()
      .map((n) => join(dest, 'files', file, n));

  it('cut on disk between runs: restore-aof names it; the next start removes it and ships it again, and leftovers of a killed run are removed; then it restores whole', async () => {
    const { c, dest, aofDir } = await aofServer();
    const first = runReporting(aofDir, new FileAofStore(dest));
    for (let i = 0; i < 15; i++) await c.set(`k:${i}`, `v${i}`);
    await eventually('caught up', () => first.cycles.some((x) => x.ok && Object.values(x.files).some((b) => b > 0)));
    await first.cyclesFromNow(2);
    for (let i = 15; i < 30; i++) await c.set(`k:${i}`, `v${i}`);
    await first.cyclesFromNow(2);
    await first.stop();
    const parts = incrParts(dest);
    expect(parts.length).toBeGreaterThanOrEqual(1);
    const last = parts[parts.length - 1]!;
    const size = readFileSync(last).length;
    truncateSync(last, Math.floor(size / 2));
    // What a run killed while writing leaves (on this host, boot and pid namespace: its pid is judged, and gone).
    const leftover = join(dest, 'files', 'appendonly.aof.1.incr.aof', `.0000000000000000-0000000000000001.x.part.partial-${pidScopeTag()}-99999999-1`);
    writeFileSync(leftover, 'half');

    const before = await restore(dest);
    expect(before).toMatchObject({
      ok: false,
      refused: {
        kind: 'gap',
        message: expect.stringMatching(
          new RegExp(
            `appendonly\\.aof\\.1\\.incr\\.aof is held up to byte \\d+, then the stored part for bytes \\d+-\\d+ is torn \\(${Math.floor(size / 2)} of ${size} bytes stored\\)`,
          ),
        ),
      },
    });

    const second = runReporting(aofDir, new FileAofStore(dest));
    await eventually('a ping', () => second.pings.length > 0);
    expect(second.log.some((l) => /removed what a killed run left at file:\/\/.*\.partial-h[0-9a-f]+-99999999-1/.test(l))).toBe(true);
    expect(
      second.log.some((l) =>
        /appendonly\.aof\.1\.incr\.aof: the stored part for bytes \d+-\d+ is torn \(\d+ of \d+ bytes stored\): removed; the server still has these bytes, they are shipped again/.test(
          l,
        ),
      ),
    ).toBe(true);
    await second.stop();
    await noTornPart(dest);
    const after = await restore(dest);
    expect(after).toMatchObject({ ok: true, load: { keys: 30 } });
    const restored = await startLocalRedis({ aof: { dir: after.to, appendFilename: 'appendonly.aof' } });
    cleanup.push(() => restored.stop());
    expect((await compareClients(c, restored.client())).equal).toBe(true);
  });

  it('a part whose bytes were changed (same length) is found by its SHA-256 on start and shipped again', async () => {
    const { c, dest, aofDir } = await aofServer();
    const first = runReporting(aofDir, new FileAofStore(dest));
    for (let i = 0; i < 10; i++) await c.set(`k:${i}`, `v${i}`);
    await eventually('caught up', () => first.cycles.some((x) => x.ok && Object.values(x.files).some((b) => b > 0)));
    await first.stop();
    const part = incrParts(dest)[0]!;
    const bytes = readFileSync(part);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x20; // a value's letter flips case
    writeFileSync(part, bytes);
    const second = runReporting(aofDir, new FileAofStore(dest));
    await eventually('a ping', () => second.pings.length > 0);
    expect(
      second.log.some((l) =>
        /the stored part for bytes \d+-\d+ is torn \(its \d+ bytes do not match their SHA-256\): removed; the server still has these bytes, they are shipped again/.test(
          l,
        ),
      ),
    ).toBe(true);
    await second.stop();
    expect(await restore(dest)).toMatchObject({ ok: true, load: { keys: 10 } });
  });

  it('torn in an increment the server removed after a rewrite: reported every cycle (not ok, no heartbeat, torn_parts 1); restore-aof --until into it refuses, naming it', async () => {
    const { c, dest, aofDir } = await aofServer();
    const first = runReporting(aofDir, new FileAofStore(dest));
    await nextSecond();
    for (let i = 0; i < 10; i++) await c.set(`k:${i}`, `v${i}`);
    await eventually('caught up', () => first.cycles.some((x) => x.ok && (x.files['appendonly.aof.1.incr.aof'] ?? 0) > 0));
    await nextSecond();
    const rewriteSecond = Math.floor(Date.now() / 1000);
    await rewriteAof(c);
    await c.set('after', '1');
    await eventually('the new base stored', () => first.cycles.some((x) => x.ok && x.restoreBase === 'appendonly.aof.2.base.rdb'));
    await first.stop();
    truncateSync(incrParts(dest)[0]!, 5);

    const second = runReporting(aofDir, new FileAofStore(dest));
    const cycles = await second.cyclesFromNow(4);
    await second.stop();
    for (const x of cycles) {
      expect(x.ok).toBe(false);
      expect(x.notRestorable).toMatch(
        /appendonly\.aof\.1\.incr\.aof: the stored part for bytes 0-\d+ is torn \(5 of \d+ bytes stored\) and the server no longer has the file: the history is not restorable across byte 0 of appendonly\.aof\.1\.incr\.aof.*move the torn part aside/,
      );
    }
    expect(second.pings).toEqual([]);
    expect(second.metric(AOF_METRICS.tornParts)).toBe(1);
    expect(second.metric(AOF_METRICS.withinRpo)).toBe(0);
    // restore-aof agrees: the time inside that increment cannot be restored, and says why.
    expect(await restore(dest, rewriteSecond * 1000)).toMatchObject({
      ok: false,
      refused: {
        kind: 'gap',
        message: expect.stringMatching(
          /appendonly\.aof\.1\.incr\.aof is held up to byte 0, then the stored part for bytes 0-\d+ is torn \(5 of \d+ bytes stored\)/,
        ),
      },
    });
  });
});

describe('ship-aof: a stored base damaged after it was shipped', () => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const baseFolder = (dest: string) => join(dest, 'files', readdirSync(join(dest, 'files')).find((n) => n.includes('.base.'))!);

  /** Why the stored base would not restore right now (undefined: its record parses and its one part holds the record's bytes). */
  function unsoundBase(folder: string): string | undefined {
    try {
      const record = JSON.parse(readFileSync(join(folder, 'base.json'), 'utf8')) as { bytes: number; sha256: string };
      const parts = readdirSync(folder).filter((n) => n.endsWith('.part'));
      if (parts.length !== 1) return `${parts.length} parts`;
      const body = readFileSync(join(folder, parts[0]!));
      return body.length === record.bytes && sha(body) === record.sha256 && parts[0]!.includes(record.sha256)
        ? undefined
        : `the part does not hold the record's bytes`;
    } catch (err) {
      return String(err);
    }
  }

  /** A restarted shipper whose every heartbeat and every cycle claimed restorable is checked against the stored base at that moment. */
  function runChecked(aofDir: string, dest: string) {
    const folder = baseFolder(dest);
    const falseClaims: string[] = [];
    const pings: number[] = [];
    const okCycles: CycleReport[] = [];
    const claim = (what: string) => {
      const why = unsoundBase(folder);
      if (why !== undefined) falseClaims.push(`${what} while the stored base is damaged: ${why}`);
    };
    const run = runReporting(aofDir, new FileAofStore(dest), {
      ping: async () => {
        claim('heartbeat');
        pings.push(Date.now());
        return undefined;
      },
      onCycle: (c) => {
        if (c.ok) {
          claim('cycle ok');
          okCycles.push(c);
        }
      },
    });
    return { ...run, pings, okCycles, falseClaims };
  }

  it('a base part with one byte flipped (same length): found by its SHA-256 on start, shipped again; the heartbeat and "restorable" only after; then it restores every key', async () => {
    const { c, dest, aofDir } = await aofServer();
    for (let i = 0; i < 10; i++) await c.set(`k:${i}`, `v${i}`);
    await rewriteAof(c); // a base holding the keys
    const first = runReporting(aofDir, new FileAofStore(dest));
    for (let i = 10; i < 20; i++) await c.set(`k:${i}`, `v${i}`);
    await eventually('caught up', () => first.cycles.some((x) => x.ok && Object.values(x.files).some((b) => b > 0)));
    await first.stop();
    const folder = baseFolder(dest);
    const part = join(folder, readdirSync(folder).find((n) => n.endsWith('.part'))!);
    const bytes = readFileSync(part);
    bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0x01;
    writeFileSync(part, bytes);
    expect(unsoundBase(folder)).toBeDefined();

    const second = runChecked(aofDir, dest);
    for (let i = 20; i < 25; i++) await c.set(`k:${i}`, `v${i}`);
    await eventually('a ping', () => second.pings.length > 0);
    await eventually('cycles ok', () => second.okCycles.length >= 2);
    await second.stop();
    expect(second.falseClaims).toEqual([]);
    expect(
      second.log.some((l) =>
        /appendonly\.aof\.\d+\.base\.rdb: the stored part for bytes 0-\d+ is torn \(its \d+ bytes do not match their SHA-256\): removed; the server still has these bytes, they are shipped again/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(second.log.some((l) => /base appendonly\.aof\.\d+\.base\.rdb stored/.test(l))).toBe(true);
    expect(unsoundBase(folder)).toBeUndefined();
    expect(await restore(dest)).toMatchObject({ ok: true, load: { keys: 25 } });
  });

  it('base.json cut to 7 bytes: the start finds it, removes the base and ships it again; the heartbeat and "restorable" only after; then it restores every key', async () => {
    const { c, dest, aofDir } = await aofServer();
    for (let i = 0; i < 10; i++) await c.set(`k:${i}`, `v${i}`);
    const first = runReporting(aofDir, new FileAofStore(dest));
    await eventually('caught up', () => first.cycles.some((x) => x.ok && Object.values(x.files).some((b) => b > 0)));
    await first.stop();
    const folder = baseFolder(dest);
    truncateSync(join(folder, 'base.json'), 7);
    expect(await restore(dest)).toMatchObject({
      ok: false,
      refused: {
        kind: 'corrupt',
        message: expect.stringMatching(
          /files\/appendonly\.aof\.1\.base\.rdb\/base\.json is not valid JSON \(.*\): the history's base appendonly\.aof\.1\.base\.rdb is damaged/,
        ),
      },
    });

    const second = runChecked(aofDir, dest);
    for (let i = 20; i < 25; i++) await c.set(`k:${i}`, `v${i}`);
    await eventually('a ping', () => second.pings.length > 0);
    await eventually('cycles ok', () => second.okCycles.length >= 2);
    await second.stop();
    expect(second.falseClaims).toEqual([]);
    expect(
      second.log.some((l) =>
        /files\/appendonly\.aof\.1\.base\.rdb\/base\.json is not valid JSON \(.*\): the stored base appendonly\.aof\.1\.base\.rdb is torn; removed, the server still has it: it is shipped again/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(unsoundBase(folder)).toBeUndefined();
    expect(await restore(dest)).toMatchObject({ ok: true, load: { keys: 15 } });
  });

  it('base.json of a base the server removed after a rewrite, damaged: reported every cycle naming the file (not ok, no heartbeat, torn_parts 1)', async () => {
    const { dest, aofDir } = await shippedThroughRewrite();
    truncateSync(join(dest, 'files', 'appendonly.aof.1.base.rdb', 'base.json'), 7);

    const second = runReporting(aofDir, new FileAofStore(dest));
    const cycles = await second.cyclesFromNow(4);
    await second.stop();
    for (const x of cycles) {
      expect(x.ok).toBe(false);
      expect(x.notRestorable).toMatch(
        /files\/appendonly\.aof\.1\.base\.rdb\/base\.json is not valid JSON \(.*\): the stored base appendonly\.aof\.1\.base\.rdb is torn and the server no longer has it/,
      );
    }
    expect(second.pings).toEqual([]);
    expect(second.metric(AOF_METRICS.tornParts)).toBe(1);
    expect(second.metric(AOF_METRICS.withinRpo)).toBe(0);
  });
});

describe('ship-aof: history that cannot serve a point-in-time restore', () => {
  it('a server writing no #TS annotations: WARNING, timestamps_missing 1 and no heartbeat from then on; one that writes them: none of that', async () => {
    const off = await startAofServer({ args: ['--aof-timestamp-enabled', 'no'] });
    const on = await startAofServer();
    cleanup.push(
      () => off.stop(),
      () => on.stop(),
    );
    const runOff = runReporting(join(off.dir, 'appendonlydir'), new FileAofStore(tempDir('off')));
    const runOn = runReporting(join(on.dir, 'appendonlydir'), new FileAofStore(tempDir('on')));
    const writers = [startWriter(off.client(), 'w'), startWriter(on.client(), 'w')];
    cleanup.push(() => Promise.all(writers.map((w) => w.stop())));
    await eventually(
      'the warning',
      () =>
        runOff.log.some((l) =>
          /WARNING: the server writes commands with no #TS annotation \(appendonly\.aof\.1\.incr\.aof from byte \d+, written after .*Z and none since this shipper started\): aof-timestamp-enabled is no, so restore-aof --until cannot date them \(point-in-time restore impossible\); set aof-timestamp-enabled yes.*the heartbeat is not pinged/.test(
            l,
          ),
        ),
      10_000,
    );
    await runOff.cyclesFromNow(1);
    const pingsAt = runOff.pings.length;
    await runOff.cyclesFromNow(4);
    expect(runOff.pings.length).toBe(pingsAt);
    expect(runOff.metric(AOF_METRICS.timestampsMissing)).toBe(1);
    expect(runOff.cycles[runOff.cycles.length - 1]!.warnings).toHaveLength(1);
    // The server with annotations, over the same seconds of writes: no warning, pings on.
    const onPings = runOn.pings.length;
    await runOn.cyclesFromNow(3);
    expect(runOn.pings.length).toBeGreaterThan(onPings);
    expect(runOn.log.filter((l) => /WARNING/.test(l))).toEqual([]);
    expect(runOn.metric(AOF_METRICS.timestampsMissing)).toBe(0);
    await Promise.all(writers.map((w) => w.stop()));
  });

  it('with the server given (--redis): timestamps off is known at once, AOF switched off too: WARNING, metrics, never a heartbeat', async () => {
    const server = await startAofServer({ args: ['--aof-timestamp-enabled', 'no'] });
    cleanup.push(() => server.stop());
    const c = server.client();
    await c.set('a', '1');
    const state = serverAofState(async () => server.client());
    cleanup.push(() => state.close());
    const run = runReporting(join(server.dir, 'appendonlydir'), new FileAofStore(tempDir('dest')), { serverState: state.read });
    await eventually('restorable', () => run.cycles.some((x) => x.ok));
    await run.cyclesFromNow(2);
    expect(run.log.some((l) => /WARNING: the server writes no #TS annotations \(CONFIG GET aof-timestamp-enabled: no\)/.test(l))).toBe(true);
    expect(run.metric(AOF_METRICS.timestampsMissing)).toBe(1);
    expect(run.metric(AOF_METRICS.aofEnabled)).toBe(1);
    // AOF off first, seen off by a cycle, then timestamps on. When a cycle read INFO and CONFIG GET one after the other,
    // one that straddled both changes read AOF still on and timestamps already on, a state that never was, and pinged
    // (a flaky run, session 53's final read); the two are one MULTI/EXEC now (test/lambdas/adapters/storage/aof-state.test.ts).
    await c.config('SET', 'appendonly', 'no');
    await eventually('AOF seen off', () => run.metric(AOF_METRICS.aofEnabled) === 0);
    await c.config('SET', 'aof-timestamp-enabled', 'yes');
    await run.cyclesFromNow(2);
    expect(run.log.some((l) => /WARNING: AOF is switched off on the server \(INFO persistence aof_enabled:0\)/.test(l))).toBe(true);
    expect(run.metric(AOF_METRICS.aofEnabled)).toBe(0);
    expect(run.metric(AOF_METRICS.timestampsMissing)).toBe(0);
    expect(run.pings).toEqual([]);
    await run.stop();
  });
});

describe('ship-aof: a damaged stored manifest (restore-aof refuses the destination while it is there)', () => {
  /** Flips one byte of the stored manifest whose text `pick` chooses (same length: its SHA-256 no longer matches its name). */
  function damageManifest(dest: string, pick: (text: string) => boolean): string {
    const folder = join(dest, 'manifests');
    const name = readdirSync(folder).find((n) => pick(readFileSync(join(folder, n), 'utf8')))!;
    const bytes = readFileSync(join(folder, name));
    bytes[0] = bytes[0]! ^ 0x01;
    writeFileSync(join(folder, name), bytes);
    return `manifests/${name}`;
  }

  it('an older manifest (its text gone from the server): every cycle not ok naming it, no heartbeat, never "restorable" while restore-aof refuses', async () => {
    const { dest, aofDir } = await shippedThroughRewrite();
    const key = damageManifest(dest, (t) => t.includes('appendonly.aof.1.base.rdb') && !t.includes('appendonly.aof.2.incr.aof'));
    expect(await restore(dest)).toMatchObject({ ok: false, refused: { kind: 'corrupt', message: expect.stringContaining(key) } });

    const second = runReporting(aofDir, new FileAofStore(dest));
    const cycles = await second.cyclesFromNow(3);
    await second.stop();
    for (const x of cycles) {
      expect(x.ok).toBe(false);
      expect(x.notRestorable).toContain(`${key} does not match the SHA-256 in its name`);
      expect(x.notRestorable).toContain(`move ${key} aside and restart ship-aof`);
    }
    expect(second.pings).toEqual([]);
    expect(second.metric(AOF_METRICS.withinRpo)).toBe(0);
  });

  it("the server's current manifest: removed on start and stored again; then ok, and restore-aof restores every key", async () => {
    const { c, dest, aofDir } = await aofServer();
    const first = runReporting(aofDir, new FileAofStore(dest));
    for (let i = 0; i < 10; i++) await c.set(`k:${i}`, `v${i}`);
    await eventually('caught up', () => first.cycles.some((x) => x.ok && (x.files['appendonly.aof.1.incr.aof'] ?? 0) > 0));
    await first.stop();
    const current = readFileSync(join(aofDir, 'appendonly.aof.manifest'), 'utf8');
    // Every stored copy of it (each start stores the current manifest again).
    for (let n = readdirSync(join(dest, 'manifests')).length; n > 0; n--) damageManifest(dest, (t) => t === current);
    expect(await restore(dest)).toMatchObject({ ok: false, refused: { kind: 'corrupt' } });

    const second = runReporting(aofDir, new FileAofStore(dest));
    await c.set('k:10', 'v10');
    await eventually('a ping', () => second.pings.length > 0);
    await second.stop();
    expect(second.log.some((l) => /does not match the SHA-256 in its name: .*removed; the server's manifest is stored again/.test(l))).toBe(true);
    expect(await restore(dest)).toMatchObject({ ok: true, load: { keys: 11 } });
  });
});
