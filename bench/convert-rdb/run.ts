/**
 * convert-rdb against verify-rdb on the same file, same run, one CPU: is
 * `redis-dr convert-rdb` at least half as fast as `redis-dr verify-rdb`
 * (issue 55), and how much memory does it take?
 *
 * The file: the verify-rdb benchmark's mixed dataset (bench/verify-rdb/dataset.ts)
 * saved by the local redis-server 7.0, its header restamped REDIS0011 (as a
 * Redis 7.2 file of the same encodings: a 7.0 target cannot read it as it
 * is). Per round, in alternating order, each pinned to CPU 0 with taskset,
 * the installed CLI (dist/) as a process: `verify-rdb <file>`,
 * `convert-rdb <file> --for redis-7.0` (every key copied as it is, the file
 * read back and compared), and `--for redis-6.2 --lossy function,stream-ids`
 * (every listpack, quicklist and stream re-encoded; the dataset's groups read
 * part-way hold an entries-read RDB 9 cannot carry). Writes results.json beside it
 * (`--out` names another file).
 *
 * Each conversion writes a path that holds no file when it starts (the one
 * before is removed, and `sync` run, outside the timing), as a user's new
 * output on a quiet machine would be:
 * replacing an existing output of the same size with `--force` adds the
 * system time of freeing the old file's cached pages (about 0.5 s for a
 * 553 MB output on the benchmark machine, bench/README.md), which is the
 * file system's and not the conversion's. Since session 47 the other
 * conversion's output is removed too: with the two 553 MB outputs written
 * in turn, each removing only its own, one of them paid 0.3–0.5 s more system
 * time on the benchmark machine, whichever code ran (bench/README.md,
 * convert-rdb, session 47).
 *
 * `--file <rdb>` benchmarks an existing file instead of making one (the
 * 1,000,000-key file takes minutes to populate); `--save-file <path>`
 * keeps the file made for later runs.
 *
 *   npx tsx bench/convert-rdb/run.ts [--keys 200000] [--rounds 3] [--file <rdb> | --save-file <path>] [--out <json>]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { bgsave, startRedisServer } from '../../test/support/redis-server.js';
import { populate } from '../verify-rdb/dataset.js';
import { gitDescription, median, runFigures, timedProcess, type TimedProcess } from '../support.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    file: { type: 'string' },
    'save-file': { type: 'string' },
    out: { type: 'string' },
  },
});
const KEYS = Number(values.keys);
const ROUNDS = Number(values.rounds);
const ROOT = join(__dirname, '..', '..');
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'redis-dr-bench-convert-'));
  const made = values.file === undefined ? await makeFile(scratch) : undefined;
  try {
    const file = values.file ?? made!.file;
    const keys = made?.keys ?? keysOfFile(file);
    const bytes = statSync(file).size;
    if (values['save-file'] !== undefined && made !== undefined) copyFileSync(file, values['save-file']);
    log(`file: ${bytes} bytes, ${keys} keys`);
    const cli = (...args: string[]) => timedProcess('taskset', ['-c', '0', process.execPath, join(ROOT, 'bin', 'redis-dr.cjs'), ...args], scratch, ROOT);
    // A new output each time: the outputs before removed (both conversions', not only this one's), and the page cache's
    // dirty pages written (`sync`), neither timed: each run starts as a user's on a quiet machine would (see the header),
    // not behind the last run's writeback. Two outputs written in turn, each removing only its own: on this virtual
    // machine one of the two paid 0.3–0.5 s more system time, the same code either way (bench/README.md, session 47).
    const quiet = () => spawnSync('sync');
    const OUTPUTS = ['out-70.rdb', 'out-62.rdb'];
    const convert = (out: string, ...args: string[]) => {
      for (const o of OUTPUTS) rmSync(join(scratch, o), { force: true });
      quiet();
      return cli('convert-rdb', file, ...args, '-o', join(scratch, out));
    };
    const steps: Record<string, () => Promise<TimedProcess>> = {
      verify: () => {
        quiet();
        return cli('verify-rdb', file);
      },
      convertAsIs: () => convert('out-70.rdb', '--for', 'redis-7.0'),
      convertReencode: () => convert('out-62.rdb', '--for', 'redis-6.2', '--lossy', 'function,stream-ids'),
    };
    const runs: Record<string, TimedProcess[]> = { verify: [], convertAsIs: [], convertReencode: [] };
    const load: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.keys(steps);
      if (round % 2 === 1) order.reverse();
      for (const name of order) {
        const r = await steps[name]!();
        if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr}`);
        runs[name]!.push(r);
        log(`round ${round + 1} ${name}: ${r.wallSeconds.toFixed(2)} s, CPU ${r.cpuSeconds?.toFixed(2)} s, ${r.maxRssMiB?.toFixed(1)} MiB`);
      }
      load.push(loadavg()[0]!);
    }
    const wall = (name: string) => median(runs[name]!.map((r) => r.wallSeconds));
    // CPU (user + system) as well: on a shared machine the wall time says more about the others' load than about this code.
    const cpu = (name: string) => median(runs[name]!.map((r) => r.cpuSeconds ?? Number.NaN));
    const rss = (name: string) => Math.max(...runs[name]!.map((r) => r.maxRssMiB ?? 0));
    // The system part apart: a conversion writes its output (as big as the input) through the page cache, verify-rdb
    // writes nothing, and on a virtual machine the kernel's first touch of memory varies several-fold (bench/README.md).
    const sys = (name: string) => median(runs[name]!.map((r) => r.systemSeconds ?? Number.NaN));
    const user = (name: string) => median(runs[name]!.map((r) => (r.cpuSeconds ?? Number.NaN) - (r.systemSeconds ?? Number.NaN)));
    const results = {
      when: new Date().toISOString(),
      code: gitDescription(['bench/convert-rdb', 'lambdas/domain/rdb/write', 'lambdas/jobs/keys/convert-rdb.ts'], 'convert-rdb'),
      file: values.file ?? 'made by this run',
      keys,
      bytes,
      rounds: ROUNDS,
      loadAverage: load,
      medianSeconds: { verify: wall('verify'), convertAsIs: wall('convertAsIs'), convertReencode: wall('convertReencode') },
      // Speed of convert-rdb relative to verify-rdb (target ≥ 0.5): verify's time over convert's.
      speedRatio: { asIs: wall('verify') / wall('convertAsIs'), reencode: wall('verify') / wall('convertReencode') },
      medianCpuSeconds: { verify: cpu('verify'), convertAsIs: cpu('convertAsIs'), convertReencode: cpu('convertReencode') },
      cpuRatio: { asIs: cpu('verify') / cpu('convertAsIs'), reencode: cpu('verify') / cpu('convertReencode') },
      medianSystemSeconds: { verify: sys('verify'), convertAsIs: sys('convertAsIs'), convertReencode: sys('convertReencode') },
      userCpuRatio: { asIs: user('verify') / user('convertAsIs'), reencode: user('verify') / user('convertReencode') },
      peakRssMiB: { verify: rss('verify'), convertAsIs: rss('convertAsIs'), convertReencode: rss('convertReencode') },
      runs,
    };
    writeFileSync(values.out ?? join(__dirname, 'results.json'), `${JSON.stringify({ ...results, runs: runFigures(runs) }, null, 2)}\n`);
    log(
      JSON.stringify({
        medianSeconds: results.medianSeconds,
        speedRatio: results.speedRatio,
        cpuRatio: results.cpuRatio,
        userCpuRatio: results.userCpuRatio,
        medianSystemSeconds: results.medianSystemSeconds,
        peakRssMiB: results.peakRssMiB,
        load,
      }),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The keys of the RDB file `file`, as verify-rdb counts them (one untimed run). */
function keysOfFile(file: string): number {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), 'verify-rdb', file, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`verify-rdb ${file} exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { keys: number }).keys;
}

/** The verify-rdb benchmark's dataset of `--keys` keys saved by the local redis-server 7.0, restamped RDB 11, in `scratch`. */
async function makeFile(scratch: string): Promise<{ file: string; keys: number }> {
  const server = await startRedisServer({ readyTimeoutMs: 60_000 });
  try {
    const clients = [0, 1, 2, 3].map((db) => {
      const c = server.client();
      void c.select(db);
      return c;
    });
    const dataset = await populate((db) => clients[db]!, KEYS, 55, log);
    const rdb = Buffer.from(readFileSync(await bgsave(server, clients[0]!)));
    // The same bytes as a Redis 7.2 file (RDB 10's encodings are RDB 11's): a 7.0 target cannot read it as it is.
    rdb.write('0011', 5, 'latin1');
    rdb.writeBigUInt64LE(new Crc64().update(rdb, 0, rdb.length - 8).value, rdb.length - 8);
    const file = join(scratch, 'v11.rdb');
    writeFileSync(file, rdb);
    return { file, keys: dataset.keys };
  } finally {
    await server.stop();
  }
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
