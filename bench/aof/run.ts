/**
 * bench/aof: `redis-dr ship-aof` under a steady write load from
 * redis-benchmark against a local redis-server (appendonly yes,
 * aof-timestamp-enabled yes, appendfsync everysec), next to the usual
 * recipe in the same run: a whole-file `sync` of the directory on every
 * change, simulated with a file destination (every file whose size changed
 * is copied whole, back to back while the server writes).
 *
 * Measured for both, on the same server and load, at the same time:
 * - lag: every 50 ms the size of the increment being written is sampled;
 *   a sample's lag is the time until the destination holds that many bytes
 *   of that file (less 512 bytes: the last command may still be in flight);
 * - bytes uploaded against bytes the server wrote (increments appended,
 *   bases written), and the writes made.
 * A rewrite is forced halfway, so both follow one.
 * Targets (issue 15): ship-aof lag p99 < interval + 1 s; upload overhead < 5 %.
 *
 *   npx tsx bench/aof/run.ts [--seconds 60] [--intervals 5s,1s] [--clients 2] [--value-bytes 100] [--out bench/aof/results.json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import Redis from 'ioredis';
import { AofDirectory } from '../../lambdas/adapters/storage/aof-dir.js';
import { FileAofStore } from '../../lambdas/adapters/storage/aof-store.js';
import { AofShipper } from '../../lambdas/jobs/self-managed/ship-aof.js';
import { intFlags } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    intervals: { type: 'string', default: '5s,1s' },
    clients: { type: 'string', default: '2' },
    'value-bytes': { type: 'string', default: '100' },
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
  },
  strict: true,
});
const int = intFlags<'seconds' | 'clients' | 'value-bytes'>(flags);
const SECONDS = int('seconds', 5, 3600);
const CLIENTS = int('clients', 1, 50);
const VALUE_BYTES = int('value-bytes', 1, 100_000);
const INTERVALS = flags.intervals!.split(',').map((s) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(s.trim());
  if (!m) throw new Error(`--intervals takes durations like 5s,1s,500ms, got ${s}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
});
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const TOLERANCE = 512;

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(dir: string, port: number): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--aof-timestamp-enabled',
      'yes',
      '--appendfsync',
      'everysec',
      '--logfile',
      path.join(dir, 'server.log'),
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200; i++) {
    const c = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      return proc;
    } catch {
      c.disconnect();
      await sleep(25);
    }
  }
  throw new Error('redis-server did not start');
}

/**
 * Bytes the server wrote to its AOF during a run: each increment's final
 * size and each base's size, from what the run saw (the shipper's count of
 * appended bytes when it ran; else the sync's copies of each file's last
 * size, and the directory at the end).
 */
async function writtenBytes(
  _data: string,
  aofDir: string,
  copied: ReadonlyMap<string, number>,
  _shipped: unknown,
  shipperCount: number | undefined,
): Promise<number> {
  if (shipperCount !== undefined) return shipperCount;
  const sizes = new Map(copied);
  for (const name of await readdir(aofDir).catch(() => [] as string[])) {
    if (name.startsWith('temp-') || name.endsWith('.manifest')) continue;
    const size = await stat(path.join(aofDir, name)).then(
      (s) => s.size,
      () => 0,
    );
    sizes.set(name, Math.max(size, sizes.get(name) ?? 0));
  }
  let total = 0;
  for (const [name, size] of sizes) if (!name.endsWith('.manifest')) total += size;
  return total;
}

/** Lag of samples (t, file, size) against deliveries (file, bytes held, when), in seconds. */
function lags(
  samples: readonly { t: number; file: string; size: number }[],
  deliveries: readonly { file: string; end: number; at: number }[],
  until: number,
): { lags: number[]; undelivered: number } {
  const byFile = new Map<string, { end: number; at: number }[]>();
  for (const d of deliveries) {
    const list = byFile.get(d.file) ?? [];
    list.push(d);
    byFile.set(d.file, list);
  }
  const out: number[] = [];
  let undelivered = 0;
  for (const s of samples) {
    if (s.t > until) continue;
    const hit = (byFile.get(s.file) ?? []).find((d) => d.at >= s.t && d.end >= s.size - TOLERANCE);
    if (hit) out.push((hit.at - s.t) / 1000);
    else undelivered++;
  }
  return { lags: out, undelivered };
}

interface Row {
  readonly method: string;
  readonly intervalSeconds?: number;
  readonly lagP50Seconds: number;
  readonly lagP99Seconds: number;
  readonly lagMaxSeconds: number;
  readonly samples: number;
  readonly undeliveredSamples: number;
  readonly bytesWritten: number;
  readonly bytesUploaded: number;
  readonly overheadPct: number;
  readonly writes: number;
}

type Method = { kind: 'ship'; intervalMs: number } | { kind: 'sync' };

/** One method alone, on a new server under the same load (so neither slows the other). */
async function runOnce(method: Method): Promise<{ row: Row; opsPerSecond: number; rewrites: number }> {
  const intervalMs = method.kind === 'ship' ? method.intervalMs : 0;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'redis-dr-bench-aof-'));
  const data = path.join(scratch, 'data');
  const shipDest = path.join(scratch, 'ship');
  const syncDest = path.join(scratch, 'sync');
  await Promise.all([mkdir(data), mkdir(syncDest)]);
  const port = await freePort();
  const server = await startServer(data, port);
  const aofDir = path.join(data, 'appendonlydir');
  const client = new Redis({ port });
  let bench: ChildProcess | undefined;
  try {
    // The shipper, as the CLI runs it, with part deliveries recorded.
    const shipped: { file: string; end: number; at: number }[] = [];
    const shipper = new AofShipper(
      { dir: new AofDirectory(aofDir), store: new FileAofStore(shipDest), intervalMs, rpoMs: 60_000 },
      { now: () => Date.now(), say: () => undefined, onPart: (file, end, at) => shipped.push({ file, end, at }) },
    );
    const abort = new AbortController();
    const shipping = method.kind === 'ship' ? shipper.run(abort.signal) : Promise.resolve();

    // The baseline: on every change, copy every file whose size changed, whole (back to back).
    const synced: { file: string; end: number; at: number }[] = [];
    let syncBytes = 0;
    let syncWrites = 0;
    let syncRunning = method.kind === 'sync';
    let changed = true;
    const watcher = watch(aofDir, () => (changed = true));
    const copiedSize = new Map<string, number>();
    const syncing = (async () => {
      while (syncRunning) {
        if (!changed) {
          await sleep(10);
          continue;
        }
        changed = false;
        for (const name of await readdir(aofDir).catch(() => [] as string[])) {
          if (name.startsWith('temp-')) continue;
          const size = await stat(path.join(aofDir, name)).then(
            (s) => s.size,
            () => -1,
          );
          if (size < 0 || copiedSize.get(name) === size) continue;
          try {
            await copyFile(path.join(aofDir, name), path.join(syncDest, name));
          } catch {
            continue; // removed meanwhile
          }
          const at = Date.now();
          copiedSize.set(name, size);
          syncBytes += size;
          syncWrites++;
          synced.push({ file: name, end: size, at });
        }
        changed = true; // the server writes continuously: a watcher event is as good as certain
      }
    })();

    // Steady load.
    const args = ['-p', String(port), '-t', 'set', '-n', '1000000000', '-r', '100000', '-d', String(VALUE_BYTES), '-c', String(CLIENTS), '-P', '1', '-q'];
    bench = spawn('redis-benchmark', args, { stdio: 'ignore' });
    const statsBefore = Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))![1]);
    const samples: { t: number; file: string; size: number }[] = [];
    const started = Date.now();
    let rewrites = 0;
    while (Date.now() - started < SECONDS * 1000) {
      if (rewrites === 0 && Date.now() - started > (SECONDS * 1000) / 2) {
        await client.bgrewriteaof();
        rewrites++;
      }
      const manifest = await readdir(aofDir).catch(() => [] as string[]);
      const incr = manifest.filter((n) => n.endsWith('.incr.aof')).sort((a, b) => Number(/\.(\d+)\.incr/.exec(b)![1]) - Number(/\.(\d+)\.incr/.exec(a)![1]))[0];
      if (incr) {
        const size = await stat(path.join(aofDir, incr)).then(
          (s) => s.size,
          () => -1,
        );
        if (size > 0) samples.push({ t: Date.now(), file: incr, size });
      }
      await sleep(50);
    }
    const loadEnded = Date.now();
    bench.kill('SIGKILL');
    const statsAfter = Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))![1]);
    const rewritesDone = Number(/aof_rewrites:(\d+)/.exec(await client.info('persistence'))?.[1] ?? rewrites);
    // Let both deliver what was written, then stop them.
    await sleep(intervalMs + 2000);
    abort.abort();
    await shipping;
    syncRunning = false;
    await syncing;
    watcher.close();

    // Bytes the server wrote: the increments' sizes and the bases (the sync copies show every file's last size).
    const written = await writtenBytes(data, aofDir, copiedSize, shipped, method.kind === 'ship' ? shipper.counts.appended : undefined);
    const cutoff = loadEnded - 200;
    const l = lags(samples, method.kind === 'ship' ? shipped : synced, cutoff);
    const uploaded = method.kind === 'ship' ? shipper.counts.uploaded : syncBytes;
    const row: Row = {
      method: method.kind === 'ship' ? 'redis-dr ship-aof' : 'whole-file sync on every change',
      ...(method.kind === 'ship' ? { intervalSeconds: intervalMs / 1000 } : {}),
      lagP50Seconds: percentile(l.lags, 50),
      lagP99Seconds: percentile(l.lags, 99),
      lagMaxSeconds: Math.max(...l.lags),
      samples: l.lags.length,
      undeliveredSamples: l.undelivered,
      bytesWritten: written,
      bytesUploaded: uploaded,
      overheadPct: ((uploaded - written) / written) * 100,
      writes: method.kind === 'ship' ? shipper.counts.parts : syncWrites,
    };
    return { row, opsPerSecond: (statsAfter - statsBefore) / ((loadEnded - started) / 1000), rewrites: rewritesDone };
  } finally {
    bench?.kill('SIGKILL');
    client.disconnect();
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    await rm(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs = [];
  const methods: Method[] = [...INTERVALS.map((intervalMs) => ({ kind: 'ship', intervalMs }) as const), { kind: 'sync' }];
  log(`bench/aof: ${SECONDS} s of redis-benchmark SET (${CLIENTS} clients, ${VALUE_BYTES}-byte values) per method, a new server each`);
  for (const method of methods) {
    const r = await runOnce(method);
    const row = r.row;
    log(
      `  ${`${row.method}${row.intervalSeconds !== undefined ? ` --interval ${row.intervalSeconds}s` : ''}`.padEnd(36)} lag p50 ${row.lagP50Seconds.toFixed(2)} s, p99 ${row.lagP99Seconds.toFixed(2)} s, max ${row.lagMaxSeconds.toFixed(2)} s; ` +
        `${(row.bytesUploaded / 1e6).toFixed(1)} MB uploaded for ${(row.bytesWritten / 1e6).toFixed(1)} MB written (${row.overheadPct >= 0 ? '+' : ''}${row.overheadPct.toFixed(3)} %, ${row.bytesUploaded - row.bytesWritten} bytes), ${row.writes} writes; ` +
        `load ${Math.round(r.opsPerSecond)} SET/s, ${r.rewrites} rewrite(s)`,
    );
    runs.push(r);
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    seconds: SECONDS,
    clients: CLIENTS,
    valueBytes: VALUE_BYTES,
    runs,
  };
  writeFileSync(flags.out!, `${JSON.stringify(result, null, 2)}\n`);
  log(`results: ${flags.out}`);
}

void main().catch((err) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
