/**
 * verify-rdb benchmark (not a test; not part of `npm test`):
 *
 *   npx tsx bench/verify-rdb/run.ts [--keys 1000000] [--seed 1] [--repeats 3]
 *       [--high-water-mark 1048576] [--out bench/verify-rdb/results.json]
 *       [--rdb <existing.rdb>] [--keep-rdb <path>] [--no-wasm]
 *       [--dataset mixed|everyday|big-set] [--members 10000000] [--cli]
 *       [--baseline <git revision>]
 *
 * Starts redis-server on a free loopback port in a temporary folder, writes
 * the mixed dataset of dataset.ts, SAVEs, and then times, on the same file and
 * alternating, `redis-check-rdb <file>` and our verifier in its own Node
 * process (verify-file.ts bundled with esbuild, as the Lambda is, streaming
 * the file with `fs.createReadStream`). Both processes run under
 * `/usr/bin/time` for their peak RSS. Reports the median of `--repeats` runs
 * each, checks that both count the same keys, prints a table and writes
 * results.json. `--rdb` skips generation and measures an existing file;
 * `--keep-rdb` copies the generated file out before the temporary folder is
 * removed. `--no-wasm` runs the verifier with WebAssembly disabled
 * (`node --no-expose-wasm`), to measure its JavaScript fallback. Exits 1 when the verifier rejects the file or the key counts differ.
 *
 * `--dataset big-set` (issue 13) writes instead ONE set of `--members`
 * distinct members (big-set.ts) and writes `results-big-set.json` by default;
 * it also times the whole CLI as a user runs it, `node bin/redis-dr.cjs
 * verify-rdb <file> --json` (the compiled dist/: `npm run build` first), with
 * its peak RSS, and reports the verifier's sampled duplicate check. `--cli`
 * adds that CLI timing to the mixed dataset too.
 *
 * `--dataset everyday` (issue 26) writes the everyday shape of dataset.ts
 * (60 % strings of 100–1,000 bytes, small collections, 10 % with TTLs) into
 * `results-everyday.json`, and always times the whole CLI: its target is the
 * whole `verify-rdb` command at >= 2.0x redis-check-rdb. `--baseline <rev>`
 * builds that revision's CLI (git archive into a temporary folder, tsc) and
 * times it in the same runs, alternating which of the two CLIs goes first, so
 * that a change is measured against the code before it on the same file under
 * the same load. Every run's ratios are kept (same-run ratios are steadier
 * than medians on a loaded machine), with the CPU seconds of each process.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type Redis from 'ioredis';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { populate, type DatasetSummary } from './dataset.js';
import { populateBigSet, type BigSetSummary } from './big-set.js';
import { intFlags, median, timedProcess } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '3' },
    'high-water-mark': { type: 'string', default: String(1 << 20) },
    out: { type: 'string' },
    rdb: { type: 'string' },
    'keep-rdb': { type: 'string' },
    'no-wasm': { type: 'boolean', default: false },
    dataset: { type: 'string', default: 'mixed' },
    members: { type: 'string', default: '10000000' },
    cli: { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
  strict: true,
});

const int = intFlags<'keys' | 'seed' | 'repeats' | 'high-water-mark' | 'members'>(flags);
if (flags.dataset !== 'mixed' && flags.dataset !== 'big-set' && flags.dataset !== 'everyday')
  throw new Error(`--dataset must be mixed, everyday or big-set, got ${JSON.stringify(flags.dataset)}`);
const dataset: 'mixed' | 'big-set' | 'everyday' = flags.dataset;

const options = {
  keys: int('keys', 1, 100_000_000),
  seed: int('seed', 0, 2 ** 32 - 1),
  repeats: int('repeats', 1, 100),
  highWaterMark: int('high-water-mark', 1024, 1 << 30),
  noWasm: flags['no-wasm'] ?? false,
  dataset,
  ...(dataset === 'big-set' ? { members: int('members', 1, 100_000_000) } : {}),
};
const out = flags.out ?? path.join(__dirname, dataset === 'mixed' ? 'results.json' : `results-${dataset}.json`);
/** Whether to time the whole CLI too (`node bin/redis-dr.cjs verify-rdb <file> --json`). */
const timeCli = dataset !== 'mixed' || (flags.cli ?? false) || flags.baseline !== undefined;
/** Whole-command ratio to redis-check-rdb issue 26 asks for on the everyday dataset. */
const EVERYDAY_TARGET = 2.0;
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'redis-dr.cjs');
/** Peak RSS issue 13 allows for verifying a 10,000,000-member set, whole command: 300 MB (10^6 bytes), 286.1 MiB. */
const BIG_SET_RSS_LIMIT_MIB = 300e6 / 1024 ** 2;
/** Free space the run needs in the temporary folder: the RDB (~0.5 GB), its temp copy while saving, headroom. */
const MIN_FREE_BYTES = 3 * 1024 ** 3;
const MB = 1e6;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** One timed run of a process. */
interface ProcessRun {
  readonly wallSeconds: number;
  readonly maxRssMiB: number | null;
  readonly cpuSeconds?: number | null;
  readonly stdout: string;
}

/** {@link timedProcess}, failing when the process does. */
async function timed(command: string, args: readonly string[], scratch: string): Promise<ProcessRun> {
  const { wallSeconds, cpuSeconds, maxRssMiB, code, stdout, stderr } = await timedProcess(command, args, scratch);
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${stderr.slice(-1000)}${stdout.slice(-1000)}`);
  return { wallSeconds, cpuSeconds, maxRssMiB, stdout };
}

/** The commit measured, and whether the working tree differed from it. */
function gitDescription(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: __dirname, encoding: 'utf8' }).trim();
    // The results files this benchmark writes do not make the measured code differ.
    const dirty = git('status', '--porcelain', '--', '../../lambdas/domain/rdb', '.', ':(exclude)results*.json').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes to the verifier or this benchmark' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** Reads the whole file once so that every timed run finds it in the page cache. */
async function warmPageCache(file: string): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 8 << 20 })) void chunk;
}

/** Writes the dataset into a fresh server, SAVEs, and moves the RDB into `scratch`. */
async function generate(scratch: string): Promise<{ rdb: string; dataset: DatasetSummary | BigSetSummary; dbsize: number[]; saveSeconds: number }> {
  let server: RedisServer | undefined;
  try {
    server = await startRedisServer();
    const clients: Redis[] = [0, 1, 2, 3].map(() => server!.client());
    await Promise.all(clients.map((c, db) => c.select(db)));
    let generated: DatasetSummary | BigSetSummary;
    if (options.dataset === 'big-set') {
      log(`generating one set of ${options.members!.toLocaleString('en-US')} members into redis-server on port ${server.port}`);
      generated = await populateBigSet(clients[0]!, options.members!, log);
      log(`  encoding ${generated.encoding}, server used_memory ${(generated.serverUsedMemory / MB).toFixed(0)} MB`);
    } else {
      log(`generating ${options.keys.toLocaleString('en-US')} keys (seed ${options.seed}) into redis-server on port ${server.port}`);
      generated = await populate((db) => clients[db]!, options.keys, options.seed, log, { shape: options.dataset === 'everyday' ? 'everyday' : 'mixed' });
    }
    const dataset = generated;
    const dbsize = await Promise.all(clients.map((c) => c.dbsize()));
    log(`  written in ${dataset.seconds.toFixed(1)} s; DBSIZE per db ${dbsize.join(' / ')}; SAVE …`);
    const saveStarted = Date.now();
    await clients[0]!.save();
    const saveSeconds = (Date.now() - saveStarted) / 1000;
    const rdb = path.join(scratch, 'bench.rdb');
    renameSync(server.rdbPath, rdb);
    return { rdb, dataset, dbsize, saveSeconds };
  } finally {
    await server?.stop();
  }
}

/** Builds the CLI of git revision `rev` in `dir` (its own dist/, this checkout's node_modules); returns its bin/redis-dr.cjs. */
function buildBaseline(rev: string, dir: string): string {
  log(`building the CLI of ${rev} in ${dir} …`);
  execFileSync('sh', ['-c', `git archive "$1" | tar -x -C "$2"`, 'sh', rev, dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.cli.json'], { cwd: dir, stdio: 'inherit' });
  return path.join(dir, 'bin', 'redis-dr.cjs');
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-verify-rdb-'));
  try {
    const fs = statfsSync(scratch);
    const free = fs.bavail * fs.bsize;
    if (!flags.rdb && free < MIN_FREE_BYTES) {
      throw new Error(`${os.tmpdir()} has ${(free / 1024 ** 3).toFixed(1)} GiB free; the benchmark needs ${MIN_FREE_BYTES / 1024 ** 3} GiB`);
    }

    if (timeCli && !existsSync(path.join(ROOT, 'dist', 'bin', 'redis-dr.js')))
      throw new Error('dist/ is missing: run `npm run build` first (the CLI is timed as compiled)');
    const generated = flags.rdb ? undefined : await generate(scratch);
    const rdb = flags.rdb ?? generated!.rdb;
    if (generated && flags['keep-rdb']) copyFileSync(rdb, flags['keep-rdb']);
    const bytes = statSync(rdb).size;
    log(`RDB: ${rdb}, ${(bytes / MB).toFixed(1)} MB`);

    // The verifier runs as the Lambda does: one esbuild bundle on plain node (no tsx start-up in the timings).
    const bundle = path.join(scratch, 'verify-file.js');
    await build({
      entryPoints: [path.join(__dirname, 'verify-file.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      outfile: bundle,
      logLevel: 'error',
    });
    const baselineRev = flags.baseline;
    const baselineCli = baselineRev === undefined ? undefined : buildBaseline(baselineRev, mkdtempSync(path.join(scratch, 'baseline-')));
    const baselineRuns: (ProcessRun & { cpuSeconds: number | null; keys: number; ok: boolean })[] = [];
    await warmPageCache(rdb);

    const loadAverages: number[] = [];
    const checkCpu: (number | null)[] = [];
    const checkRuns: (ProcessRun & { keys: number })[] = [];
    const ourRuns: (ProcessRun & { keys: number; verifyMs: number; selfMaxRssMiB: number; ok: boolean })[] = [];
    const cliRuns: (ProcessRun & { cpuSeconds: number | null; keys: number; ok: boolean })[] = [];
    let cliReport: Record<string, unknown> | undefined;
    let report: Record<string, unknown> = {};
    let webAssembly = false;
    for (let i = 0; i < options.repeats; i++) {
      loadAverages.push(os.loadavg()[0]!);
      const check = await timed('redis-check-rdb', [rdb], scratch);
      checkCpu.push(check.cpuSeconds ?? null);
      const checkKeys = Number(/(\d+) keys read/.exec(check.stdout)?.[1]);
      if (!/RDB looks OK/.test(check.stdout)) throw new Error(`redis-check-rdb rejected the file: ${check.stdout.slice(-500)}`);
      checkRuns.push({ ...check, keys: checkKeys });

      const nodeFlags = flags['no-wasm'] ? ['--no-expose-wasm'] : [];
      const ours = await timed(process.execPath, [...nodeFlags, bundle, rdb, String(options.highWaterMark)], scratch);
      const out = JSON.parse(ours.stdout) as {
        report: Record<string, unknown> & { ok: boolean; keys: number };
        verifyMs: number;
        maxRssKiB: number;
        webAssembly: boolean;
      };
      webAssembly = out.webAssembly;
      report = out.report;
      ourRuns.push({ ...ours, keys: out.report.keys, ok: out.report.ok, verifyMs: out.verifyMs, selfMaxRssMiB: out.maxRssKiB / 1024 });
      let cliLine = '';
      /** The whole command a user runs, from the repository root as bench/cli-start runs it. */
      const runCli = async (bin: string, cwd: string) => {
        const cli = await timedProcess(process.execPath, [bin, 'verify-rdb', rdb, '--json'], scratch, cwd);
        if (cli.code !== 0) throw new Error(`redis-dr verify-rdb (${bin}) exited with ${cli.code}: ${cli.stderr.slice(-1000)}${cli.stdout.slice(-1000)}`);
        const parsed = JSON.parse(cli.stdout) as Record<string, unknown> & { ok: boolean; keys: number };
        return { cli, parsed };
      };
      if (timeCli) {
        // With a baseline, the two CLIs take turns going first.
        const baselineFirst = baselineCli !== undefined && i % 2 === 1;
        const before = baselineFirst ? await runCli(baselineCli!, path.dirname(path.dirname(baselineCli!))) : undefined;
        const { cli, parsed } = await runCli(CLI, ROOT);
        const after = baselineCli !== undefined && !baselineFirst ? await runCli(baselineCli, path.dirname(path.dirname(baselineCli))) : undefined;
        cliReport = parsed;
        cliRuns.push({
          wallSeconds: cli.wallSeconds,
          cpuSeconds: cli.cpuSeconds,
          maxRssMiB: cli.maxRssMiB,
          stdout: cli.stdout,
          keys: parsed.keys,
          ok: parsed.ok,
        });
        cliLine = `; CLI ${cli.wallSeconds.toFixed(3)} s, ${cli.cpuSeconds?.toFixed(2)} s CPU (${String(parsed.keys)} keys, ok ${String(parsed.ok)}, ${cli.maxRssMiB?.toFixed(1)} MiB)`;
        const base = before ?? after;
        if (base) {
          baselineRuns.push({
            wallSeconds: base.cli.wallSeconds,
            cpuSeconds: base.cli.cpuSeconds,
            maxRssMiB: base.cli.maxRssMiB,
            stdout: base.cli.stdout,
            keys: base.parsed.keys,
            ok: base.parsed.ok,
          });
          cliLine += `; baseline ${baselineRev} CLI ${base.cli.wallSeconds.toFixed(3)} s, ${base.cli.cpuSeconds?.toFixed(2)} s CPU (${base.cli.maxRssMiB?.toFixed(1)} MiB)${baselineFirst ? ', ran first' : ''}`;
        }
      }
      log(
        `run ${i + 1}/${options.repeats}: redis-check-rdb ${check.wallSeconds.toFixed(3)} s (${checkKeys} keys, ${check.maxRssMiB?.toFixed(1)} MiB); ` +
          `ours ${ours.wallSeconds.toFixed(3)} s (${out.report.keys} keys, ok ${out.report.ok}, ${ours.maxRssMiB?.toFixed(1)} MiB)${cliLine}`,
      );
    }

    const checkSeconds = median(checkRuns.map((r) => r.wallSeconds));
    const ourSeconds = median(ourRuns.map((r) => r.wallSeconds));
    const ourVerifySeconds = median(ourRuns.map((r) => r.verifyMs / 1000));
    const ourPeakRss = Math.max(...ourRuns.map((r) => r.maxRssMiB ?? r.selfMaxRssMiB));
    const checkPeakRss = Math.max(...checkRuns.map((r) => r.maxRssMiB ?? Number.NaN));
    const keysAgree =
      ourRuns.every((r) => r.keys === checkRuns[0]!.keys) &&
      checkRuns.every((r) => r.keys === checkRuns[0]!.keys) &&
      cliRuns.every((r) => r.keys === checkRuns[0]!.keys);
    const allOk = ourRuns.every((r) => r.ok) && cliRuns.every((r) => r.ok);
    const ratio = checkSeconds / ourSeconds;
    const cliSeconds = cliRuns.length > 0 ? median(cliRuns.map((r) => r.wallSeconds)) : Number.NaN;
    const cliPeakRss = cliRuns.length > 0 ? Math.max(...cliRuns.map((r) => r.maxRssMiB ?? Number.NaN)) : Number.NaN;
    // Same-run ratios: each run's redis-check-rdb (and baseline CLI) time over the CLI's time in that run.
    const cliRatios = cliRuns.map((r, i) => checkRuns[i]!.wallSeconds / r.wallSeconds);
    const cliRatio = cliRuns.length > 0 ? checkSeconds / cliSeconds : Number.NaN;
    const baselineSeconds = baselineRuns.length > 0 ? median(baselineRuns.map((r) => r.wallSeconds)) : Number.NaN;
    const baselineRatios = baselineRuns.map((r, i) => r.wallSeconds / cliRuns[i]!.wallSeconds);
    const baselinePeakRss = baselineRuns.length > 0 ? Math.max(...baselineRuns.map((r) => r.maxRssMiB ?? Number.NaN)) : Number.NaN;

    const rows: [string, string, string, string, string][] = [
      ['', 'median wall (s)', 'MB/s', 'keys', 'peak RSS (MiB)'],
      ['redis-check-rdb 7.0', checkSeconds.toFixed(3), (bytes / MB / checkSeconds).toFixed(0), String(checkRuns[0]!.keys), checkPeakRss.toFixed(1)],
      ['redis-dr verifier', ourSeconds.toFixed(3), (bytes / MB / ourSeconds).toFixed(0), String(ourRuns[0]!.keys), ourPeakRss.toFixed(1)],
      ...(cliRuns.length > 0
        ? [
            [
              'node bin/redis-dr.cjs verify-rdb',
              cliSeconds.toFixed(3),
              (bytes / MB / cliSeconds).toFixed(0),
              String(cliRuns[0]!.keys),
              cliPeakRss.toFixed(1),
            ] as [string, string, string, string, string],
          ]
        : []),
      ...(baselineRuns.length > 0
        ? [
            [
              `the same at ${baselineRev}`,
              baselineSeconds.toFixed(3),
              (bytes / MB / baselineSeconds).toFixed(0),
              String(baselineRuns[0]!.keys),
              baselinePeakRss.toFixed(1),
            ] as [string, string, string, string, string],
          ]
        : []),
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    const duplicateCheck = (cliReport ?? report).duplicateCheck as { sampledCollections: number; minDetectionProbability: number } | undefined;
    if (options.dataset === 'big-set') {
      const bigSetMet = ourPeakRss < BIG_SET_RSS_LIMIT_MIB && cliPeakRss < BIG_SET_RSS_LIMIT_MIB;
      log(
        `file ${(bytes / MB).toFixed(1)} MB; redis-check-rdb / verifier ${ratio.toFixed(2)}x, / CLI ${(checkSeconds / cliSeconds).toFixed(2)}x; ` +
          `verifier time inside its process ${ourVerifySeconds.toFixed(3)} s; byType ${JSON.stringify(report.byType)}; keys agree: ${keysAgree}`,
      );
      log(
        `duplicate check: ${duplicateCheck ? `sampled (${duplicateCheck.sampledCollections} collection, detection probability of a duplicate pair ${duplicateCheck.minDetectionProbability})` : 'exact (not sampled)'}`,
      );
      log(
        `peak RSS limit 300 MB (${BIG_SET_RSS_LIMIT_MIB.toFixed(1)} MiB): verifier ${ourPeakRss.toFixed(1)} MiB, whole CLI ${cliPeakRss.toFixed(1)} MiB: ${bigSetMet ? 'met' : 'NOT met'}`,
      );
    } else {
      log(
        `file ${(bytes / MB).toFixed(1)} MB; throughput ratio ${ratio.toFixed(2)}x (target >= 1.5x); verifier time inside its process ${ourVerifySeconds.toFixed(3)} s; peak RSS target < 150 MiB; keys agree: ${keysAgree}`,
      );
    }
    if (cliRuns.length > 0) {
      log(
        `whole command: redis-check-rdb / CLI ${cliRatio.toFixed(2)}x (medians; per run ${cliRatios.map((r) => r.toFixed(2)).join(', ')}; median of those ${median(cliRatios).toFixed(2)}x)` +
          `${options.dataset === 'everyday' ? `, target >= ${EVERYDAY_TARGET}x: ${median(cliRatios) >= EVERYDAY_TARGET ? 'met' : 'NOT met'}` : ''}; CLI peak RSS ${cliPeakRss.toFixed(1)} MiB (target < 150)`,
      );
      log(
        `CPU seconds (median): redis-check-rdb ${median(checkCpu.map((c) => c ?? Number.NaN)).toFixed(2)}, CLI ${median(cliRuns.map((r) => r.cpuSeconds ?? Number.NaN)).toFixed(2)}; load averages ${loadAverages.map((l) => l.toFixed(1)).join(', ')}`,
      );
    }
    if (baselineRuns.length > 0) {
      log(
        `against ${baselineRev}: baseline / CLI ${(baselineSeconds / cliSeconds).toFixed(2)}x (per run ${baselineRatios.map((r) => r.toFixed(2)).join(', ')}); baseline CPU ${median(baselineRuns.map((r) => r.cpuSeconds ?? Number.NaN)).toFixed(2)} s`,
      );
    }

    const results = {
      date: new Date().toISOString(),
      code: gitDescription(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
      },
      /** 1-minute load average before each pair of runs: other work on the machine slows both tools. */
      loadAverages,
      options,
      rdbBytes: bytes,
      generated: generated ? { dataset: generated.dataset, dbsize: generated.dbsize, saveSeconds: generated.saveSeconds } : { file: flags.rdb },
      report,
      redisCheckRdb: {
        medianSeconds: checkSeconds,
        mbPerSecond: bytes / MB / checkSeconds,
        peakRssMiB: checkPeakRss,
        runs: checkRuns.map(({ stdout: _, ...r }) => r),
      },
      verifier: {
        webAssembly,
        medianSeconds: ourSeconds,
        medianVerifySeconds: ourVerifySeconds,
        mbPerSecond: bytes / MB / ourSeconds,
        peakRssMiB: ourPeakRss,
        runs: ourRuns.map(({ stdout: _, ...r }) => r),
      },
      ...(cliRuns.length > 0
        ? {
            cli: {
              command: 'node bin/redis-dr.cjs verify-rdb <file> --json',
              medianSeconds: cliSeconds,
              mbPerSecond: bytes / MB / cliSeconds,
              peakRssMiB: cliPeakRss,
              peakRssMB: (cliPeakRss * 1024 ** 2) / MB,
              runs: cliRuns.map(({ stdout: _, ...r }) => r),
              ratioToRedisCheckRdb: cliRatio,
              sameRunRatios: cliRatios,
            },
          }
        : {}),
      ...(baselineRuns.length > 0
        ? {
            baseline: {
              revision: baselineRev,
              medianSeconds: baselineSeconds,
              peakRssMiB: baselinePeakRss,
              runs: baselineRuns.map(({ stdout: _, ...r }) => r),
              /** The baseline CLI's time over this CLI's, per run (above 1: this one is faster). */
              sameRunRatios: baselineRatios,
            },
          }
        : {}),
      ratio,
      keysAgree,
      ...(options.dataset === 'big-set'
        ? {
            duplicateCheck: duplicateCheck ?? null,
            targets: {
              peakRssMBBelow: 300,
              verifierPeakRssMB: (ourPeakRss * 1024 ** 2) / MB,
              cliPeakRssMB: (cliPeakRss * 1024 ** 2) / MB,
              memoryMet: ourPeakRss < BIG_SET_RSS_LIMIT_MIB && cliPeakRss < BIG_SET_RSS_LIMIT_MIB,
            },
          }
        : options.dataset === 'everyday'
          ? {
              targets: {
                wholeCommandRatioAtLeast: EVERYDAY_TARGET,
                peakRssMiBBelow: 150,
                ratioMet: median(cliRatios) >= EVERYDAY_TARGET,
                memoryMet: cliPeakRss < 150 && ourPeakRss < 150,
              },
            }
          : { targets: { ratioAtLeast: 1.5, peakRssMiBBelow: 150, ratioMet: ratio >= 1.5, memoryMet: ourPeakRss < 150 } }),
    };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${out}`);
    if (!keysAgree || !allOk) process.exitCode = 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
