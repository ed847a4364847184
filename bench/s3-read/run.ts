/**
 * bench/s3-read: `redis-dr verify-rdb s3://…` with parallel ranged reads
 * against one sequential stream (not a test; not part of `npm test`):
 *
 *   npm run build
 *   npx tsx bench/s3-read/run.ts [--keys 300000] [--seed 1] [--rdb <file>] [--keep-rdb <path>]
 *       [--rate-mb 20] [--repeats 3] [--read-concurrency 8] [--max-seconds 1500]
 *       [--out bench/s3-read/results.json]
 *
 * Generates an RDB with a real redis-server (the mixed dataset of
 * bench/verify-rdb; `--rdb` uses an existing file), starts `moto_server`
 * (python moto) on a free loopback port as the S3-compatible endpoint,
 * uploads the file there by multipart upload through the SDK, and puts in
 * front of moto a TCP proxy capping each connection at `--rate-mb` MB/s
 * (throttle-proxy.ts), so that one stream is bandwidth-bound as on S3.
 *
 * Then times the whole command a user runs, `node bin/redis-dr.cjs
 * verify-rdb s3://bench/<key> --json` under /usr/bin/time (wall from spawn to
 * exit, peak RSS), with AWS_ENDPOINT_URL_S3 on the proxy and dummy
 * credentials, alternating `--read-concurrency 1` (one sequential stream)
 * and the default (8, or `--read-concurrency`), `--repeats` times each. For
 * reference, in the same run: both against moto directly (no cap), and the
 * local file (the verifier's own speed). Every run must report the file
 * valid with the same key count. Target (issue 13): the parallel reads reach
 * at least 3× the throughput of one stream through the capped proxy.
 *
 * Network: loopback only. Every process started here (redis-server,
 * moto_server, the CLI runs, each killed after `--run-timeout-s`) is stopped
 * at the end; the whole run stops itself after `--max-seconds`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type Redis from 'ioredis';
import { freePort, startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { populate, type DatasetSummary } from '../verify-rdb/dataset.js';
import { alternating, BENCH_ENV, intFlags, median, type TimedProcess } from '../support.js';
import { startThrottleProxy, type ThrottleProxy } from './throttle-proxy.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '1' },
    rdb: { type: 'string' },
    'keep-rdb': { type: 'string' },
    'rate-mb': { type: 'string', default: '20' },
    repeats: { type: 'string', default: '3' },
    'read-concurrency': { type: 'string', default: '8' },
    'run-timeout-s': { type: 'string', default: '300' },
    'max-seconds': { type: 'string', default: '1500' },
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
  },
  strict: true,
});
const int = intFlags<'keys' | 'seed' | 'rate-mb' | 'repeats' | 'read-concurrency' | 'run-timeout-s' | 'max-seconds'>(flags);
const options = {
  keys: int('keys', 1, 100_000_000),
  seed: int('seed', 0, 2 ** 32 - 1),
  rateMBps: int('rate-mb', 1, 10_000),
  repeats: int('repeats', 1, 50),
  readConcurrency: int('read-concurrency', 2, 64),
  runTimeoutSeconds: int('run-timeout-s', 10, 3600),
  maxSeconds: int('max-seconds', 60, 6 * 3600),
};

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'redis-dr.cjs');
const MB = 1e6;
const BUCKET = 'bench';
const KEY = 'copies/rdr-bench-0001.rdb';
const UPLOAD_PART_BYTES = 64 * 1024 * 1024;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Processes to stop whatever happens. */
const cleanups: (() => Promise<void> | void)[] = [];

/** The commit measured, and whether the reader, the CLI or this benchmark differed from it. */
function gitDescription(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'lambdas/adapters', 'cli', 'bench/s3-read/*.ts').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes to the reader, the CLI or this benchmark' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** Writes the dataset into a fresh redis-server, SAVEs, and moves the RDB into `scratch`. */
async function generate(scratch: string): Promise<{ rdb: string; dataset: DatasetSummary; saveSeconds: number }> {
  let server: RedisServer | undefined;
  try {
    server = await startRedisServer();
    const started = server;
    cleanups.push(() => started.stop());
    const clients: Redis[] = [0, 1, 2, 3].map(() => server!.client());
    await Promise.all(clients.map((c, db) => c.select(db)));
    log(`generating ${options.keys.toLocaleString('en-US')} keys (seed ${options.seed}) into redis-server on port ${server.port}`);
    const dataset = await populate((db) => clients[db]!, options.keys, options.seed, log);
    const saveStarted = Date.now();
    await clients[0]!.save();
    const saveSeconds = (Date.now() - saveStarted) / 1000;
    const rdb = path.join(scratch, 'bench.rdb');
    renameSync(server.rdbPath, rdb);
    return { rdb, dataset, saveSeconds };
  } finally {
    await server?.stop();
  }
}

/** `moto_server` on a free loopback port, answering. */
async function startMoto(): Promise<{ endpoint: string; port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  // moto logs one line per request: keep the tail for an error message only.
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const req = request(`${endpoint}/`, { method: 'GET', timeout: 1_000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.once('error', () => resolve(false));
      req.once('timeout', () => req.destroy());
      req.end();
    });
    if (up) return { endpoint, port, child };
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Multipart upload of `file` to moto (by hand: @aws-sdk/lib-storage is not a dependency). */
async function upload(endpoint: string, file: string): Promise<{ etag: string; seconds: number }> {
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const started = Date.now();
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: KEY }));
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    const parts: { ETag: string; PartNumber: number }[] = [];
    try {
      for (let offset = 0, n = 1; offset < size; offset += UPLOAD_PART_BYTES, n++) {
        const body = Buffer.alloc(Math.min(UPLOAD_PART_BYTES, size - offset));
        readSync(fd, body, 0, body.length, offset);
        const out = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: KEY, UploadId, PartNumber: n, Body: body }));
        parts.push({ ETag: out.ETag!, PartNumber: n });
      }
    } finally {
      closeSync(fd);
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId, MultipartUpload: { Parts: parts } }));
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    if (head.ContentLength !== size) throw new Error(`uploaded ${head.ContentLength} bytes, expected ${size}`);
    return { etag: head.ETag ?? '', seconds: (Date.now() - started) / 1000 };
  } finally {
    client.destroy();
  }
}

/** One timed `redis-dr verify-rdb` run. */
interface Run {
  readonly wallSeconds: number;
  readonly cpuSeconds: number | null;
  readonly maxRssMiB: number | null;
  readonly mbPerSecond: number;
  readonly keys: number;
  /** Through the proxy: connections opened and the most open at once during the run. */
  readonly connections?: number;
  readonly maxOpenConnections?: number;
}

/** A setting measured: its runs and their medians. */
interface Row {
  readonly label: string;
  readonly command: string;
  readonly runs: Run[];
}

function summary(row: Row) {
  const walls = row.runs.map((r) => r.wallSeconds);
  const rss = row.runs.map((r) => r.maxRssMiB ?? Number.NaN);
  const wallMedianSeconds = median(walls);
  return {
    label: row.label,
    command: row.command,
    wallMedianSeconds,
    wallMinSeconds: Math.min(...walls),
    wallMaxSeconds: Math.max(...walls),
    mbPerSecond: row.runs[0] ? bytesOfRdb / MB / wallMedianSeconds : Number.NaN,
    peakRssMedianMiB: median(rss),
    peakRssMaxMiB: Math.max(...rss),
    runs: row.runs,
  };
}

let bytesOfRdb = 0;
let expectedKeys: number | undefined;

/** The CLI run in progress (its process group), stopped by the cleanup when the whole run times out. */
let running: ChildProcess | undefined;

/**
 * Runs `node bin/redis-dr.cjs verify-rdb … --json` under /usr/bin/time (as
 * bench/support.ts timedProcess does), killed after `--run-timeout-s`, in a
 * process group of its own so that a stopped benchmark stops it too.
 */
async function timedCli(args: readonly string[], scratch: string, env: NodeJS.ProcessEnv): Promise<TimedProcess> {
  const timeFile = path.join(scratch, 'time.out');
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, process.execPath, BIN, 'verify-rdb', ...args, '--json'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.runTimeoutSeconds * 1000);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => {
    clearTimeout(timer);
    running = undefined;
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [user, sys, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallSeconds, cpuSeconds: user! + sys!, maxRssMiB: rss! / 1024, code, stdout, stderr };
}

async function verifyRun(label: string, args: readonly string[], scratch: string, endpoint: string | undefined, proxy?: ThrottleProxy): Promise<Run> {
  proxy?.resetCounters();
  const t = await timedCli(args, scratch, { ...BENCH_ENV.env, ...(endpoint ? { AWS_ENDPOINT_URL_S3: endpoint } : {}) });
  if (t.code !== 0) throw new Error(`${label}: exited with ${t.code}: ${t.stderr.slice(-1500)}${t.stdout.slice(-500)}`);
  const report = JSON.parse(t.stdout) as { ok: boolean; keys: number; bytes: number };
  if (!report.ok) throw new Error(`${label}: the file was reported corrupt: ${t.stdout.slice(0, 1000)}`);
  if (report.bytes !== bytesOfRdb) throw new Error(`${label}: ${report.bytes} bytes read, expected ${bytesOfRdb}`);
  expectedKeys ??= report.keys;
  if (report.keys !== expectedKeys) throw new Error(`${label}: ${report.keys} keys, expected ${expectedKeys}`);
  const counters = proxy?.counters();
  const run: Run = {
    wallSeconds: t.wallSeconds,
    cpuSeconds: t.cpuSeconds,
    maxRssMiB: t.maxRssMiB,
    mbPerSecond: bytesOfRdb / MB / t.wallSeconds,
    keys: report.keys,
    ...(counters ? { connections: counters.connections, maxOpenConnections: counters.maxOpen } : {}),
  };
  log(
    `  ${label.padEnd(40)} ${t.wallSeconds.toFixed(2).padStart(7)} s  ${run.mbPerSecond.toFixed(1).padStart(6)} MB/s  ` +
      `RSS ${t.maxRssMiB?.toFixed(1)} MiB  CPU ${t.cpuSeconds?.toFixed(2)} s${counters ? `  ${counters.connections} connections (${counters.maxOpen} at once)` : ''}`,
  );
  return run;
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'bin', 'redis-dr.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  execFileSync('moto_server', ['--help'], { stdio: 'ignore' }); // fails clearly when moto is not installed
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-s3-read-'));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  // Dummy credentials for moto; nothing here reaches AWS.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_ENDPOINT_URL;

  cleanups.push(() => {
    if (running?.pid && running.exitCode === null) process.kill(-running.pid, 'SIGKILL');
  });
  const fs = statfsSync(scratch);
  if (!flags.rdb && fs.bavail * fs.bsize < 2 * 1024 ** 3) throw new Error(`${os.tmpdir()} has less than 2 GiB free`);
  const generated = flags.rdb ? undefined : await generate(scratch);
  const rdb = flags.rdb ? path.resolve(flags.rdb) : generated!.rdb;
  if (generated && flags['keep-rdb']) copyFileSync(rdb, flags['keep-rdb']);
  bytesOfRdb = statSync(rdb).size;
  log(`RDB: ${(bytesOfRdb / MB).toFixed(1)} MB`);

  const moto = await startMoto();
  log(`moto_server on ${moto.endpoint}`);
  const uploaded = await upload(moto.endpoint, rdb);
  log(`uploaded s3://${BUCKET}/${KEY} (ETag ${uploaded.etag}) in ${uploaded.seconds.toFixed(1)} s`);
  const proxy = await startThrottleProxy({ targetPort: moto.port, bytesPerSecond: options.rateMBps * MB });
  cleanups.push(() => proxy.close());
  const proxyEndpoint = `http://127.0.0.1:${proxy.port}`;
  log(`proxy on ${proxyEndpoint}: ${options.rateMBps} MB/s per connection`);

  const url = `s3://${BUCKET}/${KEY}`;
  const parallelArgs = options.readConcurrency === 8 ? [url] : [url, '--read-concurrency', String(options.readConcurrency)];
  const parallelLabel = `--read-concurrency ${options.readConcurrency}${options.readConcurrency === 8 ? ' (default)' : ''}`;
  const rows = {
    capped1: { label: `capped, --read-concurrency 1`, command: `redis-dr verify-rdb ${url} --read-concurrency 1 --json`, runs: [] as Run[] },
    cappedN: { label: `capped, ${parallelLabel}`, command: `redis-dr verify-rdb ${parallelArgs.join(' ')} --json`, runs: [] as Run[] },
    direct1: { label: `moto direct, --read-concurrency 1`, command: `redis-dr verify-rdb ${url} --read-concurrency 1 --json`, runs: [] as Run[] },
    directN: { label: `moto direct, ${parallelLabel}`, command: `redis-dr verify-rdb ${parallelArgs.join(' ')} --json`, runs: [] as Run[] },
    local: { label: 'local file', command: 'redis-dr verify-rdb <file> --json', runs: [] as Run[] },
  };

  log('warm-up (not counted): local file, then moto direct');
  await verifyRun('local file', [rdb], scratch, undefined);
  await verifyRun('moto direct, warm-up', parallelArgs, scratch, moto.endpoint);

  const loadAverages: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    log(`round ${i + 1}/${options.repeats}`);
    const capped = await alternating(
      i,
      () => verifyRun(rows.capped1.label, [url, '--read-concurrency', '1'], scratch, proxyEndpoint, proxy),
      () => verifyRun(rows.cappedN.label, parallelArgs, scratch, proxyEndpoint, proxy),
      loadAverages,
    );
    rows.capped1.runs.push(capped.baseline);
    rows.cappedN.runs.push(capped.ours);
    const direct = await alternating(
      i,
      () => verifyRun(rows.direct1.label, [url, '--read-concurrency', '1'], scratch, moto.endpoint),
      () => verifyRun(rows.directN.label, parallelArgs, scratch, moto.endpoint),
      loadAverages,
    );
    rows.direct1.runs.push(direct.baseline);
    rows.directN.runs.push(direct.ours);
    rows.local.runs.push(await verifyRun(rows.local.label, [rdb], scratch, undefined));
  }

  const s = Object.fromEntries(Object.entries(rows).map(([k, row]) => [k, summary(row)])) as Record<keyof typeof rows, ReturnType<typeof summary>>;
  const ratio = s.capped1.wallMedianSeconds / s.cappedN.wallMedianSeconds;
  const directRatio = s.direct1.wallMedianSeconds / s.directN.wallMedianSeconds;
  log('');
  log(`${'setting'.padEnd(44)} ${'median s'.padStart(9)} ${'MB/s'.padStart(7)} ${'peak RSS MiB'.padStart(13)}`);
  for (const r of Object.values(s))
    log(
      `${r.label.padEnd(44)} ${r.wallMedianSeconds.toFixed(2).padStart(9)} ${r.mbPerSecond.toFixed(1).padStart(7)} ${r.peakRssMaxMiB.toFixed(1).padStart(13)}`,
    );
  log(
    `capped at ${options.rateMBps} MB/s per connection: ${parallelLabel} is ${ratio.toFixed(2)}x one stream (target >= 3x); moto direct: ${directRatio.toFixed(2)}x`,
  );

  const cpu = os.cpus()[0]?.model;
  const results = {
    date: new Date().toISOString(),
    code: gitDescription(),
    machine: {
      nproc: os.cpus().length,
      cpuModel: cpu,
      memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      moto: execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' }).trim(),
    },
    loadAverages,
    options,
    rdbBytes: bytesOfRdb,
    object: { url, etag: uploaded.etag, uploadSeconds: uploaded.seconds, uploadPartBytes: UPLOAD_PART_BYTES },
    generated: generated ? { dataset: generated.dataset, saveSeconds: generated.saveSeconds } : { file: flags.rdb },
    keys: expectedKeys,
    rows: s,
    ratio,
    directRatio,
    target: { ratioAtLeast: 3, met: ratio >= 3 },
  };
  writeFileSync(flags.out!, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${flags.out}`);
  if (ratio < 3) process.exitCode = 1;
}

async function cleanup(): Promise<void> {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      log(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  cleanups.length = 0;
}

const overall = setTimeout(() => {
  log(`stopped after --max-seconds ${options.maxSeconds}`);
  process.exitCode = 1;
  void cleanup().finally(() => process.exit(1));
}, options.maxSeconds * 1000);

void main()
  .catch((err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    clearTimeout(overall);
  });
