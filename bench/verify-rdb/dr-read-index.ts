/**
 * bench/verify-rdb/dr-read-index: what the DR verify job's key index costs
 * on its one-thread and two-thread reads (issue 56: copies verified on two
 * threads are indexed since; the worker indexes its own part). One process
 * reads a copy through `readCopy` (jobs/dr-copies/verify-rdb-read.ts: ranged
 * GETs, the verifier, and the index pass when given one) and encodes the
 * index, four ways in turn each round: one thread with and without the
 * index, two threads with and without it. Wall time and the process's CPU
 * (both threads: process.cpuUsage counts the worker), and on Linux that CPU
 * by thread: this one's, the other live threads' (V8's platform threads:
 * its concurrent marker, sweeper and optimizing compiler; libuv's pool),
 * and the threads that ended within the read (the split worker). Each round
 * starts one way further on, and each way's CPU runs from a collected heap to
 * the collection of what its read left; the index's cost is also given round
 * by round against the same round's read without it (`pairedCpuRatios`).
 *
 * The copy: strings of random bytes written by the project's RDB writer
 * (bench/serve/written-rdb.ts; `DEBUG POPULATE`'s zero-padded values read as
 * keys from inside a value, so the worker's start is not one the first
 * thread stops at and its part is dropped: a split never taken measures
 * nothing), served by the file-backed S3 stand-in (bench/serve/file-s3.ts: moto copies the whole object per
 * ranged GET). The split worker runs the compiled module in dist/ (`npm run
 * build` first), as the Lambda runs its bundle: under tsx it would load
 * TypeScript for seconds.
 *
 * `--order shuffled` writes the keys in a seeded random order, as a real
 * server's file has them (its hash table's order); by default they come in
 * name order, which spares the index's sort and its reads in name order.
 *
 *   npm run build && npx tsx bench/verify-rdb/dr-read-index.ts [--keys 2000000] [--value-bytes 200] [--rounds 3] [--order name|shuffled]
 *   [--ways <part of a way's name: only those ways, e.g. for a profile>]
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SPLIT_WORKER_GLOBAL } from '../../lambdas/domain/rdb/split-worker-global.js';
import { collectGarbage } from '../../lambdas/adapters/host/collect-garbage.js';
import { rdbVerdict } from '../../lambdas/domain/rdb/verifier.js';
import type { LogSink } from '../../lambdas/jobs/kernel/deps.js';
import { startFileS3 } from '../serve/file-s3.js';
import { writeRdb } from '../serve/written-rdb.js';
import { intFlags, median } from '../support.js';

const WORKER = path.join(__dirname, '..', '..', 'dist', 'lambdas', 'adapters', 'host', 'rdb-split-worker.js');
if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build first`);
// Before the modules that read it load (split-worker-start.ts reads it once).
(globalThis as Record<string, unknown>)[SPLIT_WORKER_GLOBAL] = WORKER;

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '2000000' },
    'value-bytes': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: path.join(__dirname, 'results-dr-read-index.json') },
    order: { type: 'string', default: 'name' },
    // Only the ways whose names contain this (a profile of one way: `--ways 'one thread, index'`).
    ways: { type: 'string', default: '' },
  },
  strict: true,
});
const int = intFlags<'keys' | 'value-bytes' | 'rounds'>(flags);
const keys = int('keys', 1000, 50_000_000);
const valueBytes = int('value-bytes', 1, 100_000);
const rounds = int('rounds', 1, 20);
if (flags.order !== 'name' && flags.order !== 'shuffled') throw new Error(`--order ${flags.order}: give name or shuffled`);
const order: 'name' | 'shuffled' = flags.order;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Each live thread's CPU-s so far (Linux: /proc/self/task/<tid>/schedstat, in ns), by thread id; empty elsewhere.
 * A way's CPU by thread: this thread's (the first: the process's id), the other live ones' (V8's platform threads:
 * its concurrent marker, sweeper and optimizing compiler; libuv's pool), and the rest of the process's CPU, the threads that ended in
 * the way (the split worker).
 */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const t of readdirSync('/proc/self/task')) out.set(Number(t), Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e9);
  } catch {
    // Not Linux: no breakdown.
  }
  return out;
}

async function main(): Promise<void> {
  const { readCopy } = await import('../../lambdas/jobs/dr-copies/verify-rdb-read.js');
  const { CopyKeyIndex } = await import('../../lambdas/jobs/dr-copies/copy-key-index.js');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-dr-read-index-'));
  const files = await startFileS3(scratch);
  try {
    const name = 'rdr-bench-prod-20300101-0000-0001.rdb';
    mkdirSync(path.join(scratch, 'bench'), { recursive: true });
    const fd = openSync(path.join(scratch, 'bench', name), 'w');
    writeRdb(keys, valueBytes, (chunk) => void writeSync(fd, chunk), order);
    closeSync(fd);
    const size = statSync(path.join(scratch, 'bench', name)).size;
    const s3 = new S3Client({
      endpoint: files.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const h = await s3.send(new HeadObjectCommand({ Bucket: 'bench', Key: name }));
    const identity = { etag: h.ETag, size, versionId: undefined };
    const quiet: LogSink = { info: () => {}, warn: () => {}, error: () => {} };
    const ways = [
      { name: 'one thread, no index', two: false, index: false },
      { name: 'one thread, index', two: false, index: true },
      { name: 'two threads, no index', two: true, index: false },
      { name: 'two threads, index', two: true, index: true },
    ].filter((w) => w.name.includes(flags.ways!));
    type Row = { wall: number[]; read: number[]; cpu: number[]; main: number[]; helpers: number[]; ended: number[]; note: string[] };
    const rows: Record<string, Row> = {};
    for (const w of ways) rows[w.name] = { wall: [], read: [], cpu: [], main: [], helpers: [], ended: [], note: [] };
    for (let round = 1; round <= rounds; round++) {
      // Each round starts one way further on (round 1 at the first, round 2 at the second, …): no way always follows the
      // same one, so what a way leaves behind (its garbage, the pages it freed, the compiler's work) does not land on one
      // fixed neighbour's figures.
      for (const w of ways.map((_, i) => ways[(i + round - 1) % ways.length]!)) {
        const taken: string[] = [];
        const index = w.index ? new CopyKeyIndex(`s3://bench/${name}`) : undefined;
        // The heap as the last way left it is collected before the clock starts, and the garbage of this way's read
        // inside it (below): each way's CPU is its own read's, the collection of what it leaves included.
        collectGarbage();
        const threads0 = threadCpu();
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const verifier = await readCopy(
          { bucket: 'bench', key: name, versionId: undefined, base: {} },
          identity,
          0,
          undefined,
          {
            s3,
            log: quiet,
            clock: { now: () => 0 },
            deadline: Number.POSITIVE_INFINITY,
            reads: { partBytes: 8 << 20, concurrency: 4 },
            twoThreads: w.two ? { minBytes: 1, cores: 2, observe: (t) => void taken.push(String(t)) } : { minBytes: Number.MAX_SAFE_INTEGER },
          },
          index,
        );
        if (verifier === 'changed') throw new Error('the object changed');
        const report = verifier.end();
        const read = Number(process.hrtime.bigint() - t0) / 1e9;
        const encoded = index?.encode(size);
        collectGarbage();
        const wall = Number(process.hrtime.bigint() - t0) / 1e9;
        const cpu = process.cpuUsage(cpu0);
        const threads1 = threadCpu();
        if (rdbVerdict(report) !== 'ok') throw new Error(`verdict ${rdbVerdict(report)}`);
        if (typeof encoded === 'string') throw new Error(`no index: ${encoded}`);
        const r = rows[w.name]!;
        r.wall.push(wall);
        r.cpu.push((cpu.user + cpu.system) / 1e6);
        let main = 0;
        let helpers = 0;
        for (const [tid, s] of threads1) {
          const d = s - (threads0.get(tid) ?? 0);
          if (tid === process.pid) main = d;
          else helpers += d;
        }
        r.main.push(main);
        r.helpers.push(helpers);
        r.ended.push(r.cpu.at(-1)! - main - helpers);
        r.read.push(read);
        // A part not taken (the worker found no start before this thread's end) is one thread's work: said, kept.
        r.note.push(w.two ? `worker's part ${taken[0] === 'true' ? 'taken' : `not taken: ${taken[0]}`}` : '');
        log(
          `round ${round}, ${w.name}: ${wall.toFixed(2)} s (read ${read.toFixed(2)} s), ${r.cpu.at(-1)!.toFixed(2)} CPU-s (this thread ${main.toFixed(2)}, V8's and libuv's ${helpers.toFixed(2)}, ended ${r.ended.at(-1)!.toFixed(2)})${encoded ? `, index ${encoded.length} bytes` : ''}${w.two ? `, ${r.note.at(-1)}` : ''} (load ${os.loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
    const result = {
      at: new Date().toISOString(),
      fileBytes: size,
      keys,
      valueBytes,
      keyOrder: order,
      rounds,
      ways: Object.fromEntries(
        Object.entries(rows).map(([k, v]) => [
          k,
          {
            wallMedianSeconds: median(v.wall),
            readMedianSeconds: median(v.read),
            cpuMedianSeconds: median(v.cpu),
            // By thread (Linux): this thread's, the other live threads', and the threads that ended (the split worker).
            cpuByThreadMedianSeconds: { main: median(v.main), helpers: median(v.helpers), ended: median(v.ended) },
            wall: v.wall,
            read: v.read,
            cpu: v.cpu,
            cpuByThread: { main: v.main, helpers: v.helpers, ended: v.ended },
            notes: v.note,
          },
        ]),
      ),
      // Per round, the index's way against the same round's way without it (same thread count): the ratio of two runs
      // made a few seconds apart, so drift over the run (the machine, the page cache) cancels; their median by thread count.
      pairedCpuRatios: Object.fromEntries(
        (['one thread', 'two threads'] as const)
          .filter((t) => rows[`${t}, index`] && rows[`${t}, no index`])
          .map((t) => {
            const ratios = rows[`${t}, index`]!.cpu.map((c, i) => c / rows[`${t}, no index`]!.cpu[i]!);
            return [t, { median: median(ratios), ratios }];
          }),
      ),
      loadAverage: os.loadavg(),
      nproc: os.availableParallelism(),
      node: process.version,
    };
    writeFileSync(flags.out!, `${JSON.stringify(result, null, 2)}\n`);
    for (const [k, v] of Object.entries(result.ways)) {
      const t = v.cpuByThreadMedianSeconds;
      log(
        `${k}: ${v.wallMedianSeconds.toFixed(2)} s (read ${v.readMedianSeconds.toFixed(2)} s), ${v.cpuMedianSeconds.toFixed(2)} CPU-s (this thread ${t.main.toFixed(2)}, V8's and libuv's ${t.helpers.toFixed(2)}, ended ${t.ended.toFixed(2)}) (medians)`,
      );
    }
    for (const [t, r] of Object.entries(result.pairedCpuRatios))
      log(`${t}: index/no index by round ${r.ratios.map((x) => x.toFixed(3)).join(', ')}; median ${r.median.toFixed(3)}`);
    s3.destroy();
  } finally {
    await files.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
