/**
 * bench/cli-start: the whole `npx redis-dr` process as a user runs it
 * (node bin/redis-dr.cjs …, compiled dist/ built by `npm ci`), measured from
 * spawn to exit with /usr/bin/time's peak RSS, median of N runs:
 *   --help, --version, verify-rdb of a small fixture (targets: ≤ 0.3 s, ≤ 80 MB);
 * and verify-rdb of the 1,000,000-key dump of bench/verify-rdb against
 * redis-check-rdb on the same file, alternating, in the same run
 * (target: ≥ 1.5× faster, whole process).
 *
 *   npx tsx bench/cli-start/run.ts --rdb /tmp/dump-1m.rdb [--repeats 5] [--cachegrind] [--out bench/cli-start/results.json]
 *
 * Without --rdb the large-file comparison is skipped (make the dump with
 * `npx tsx bench/verify-rdb/run.ts --keep-rdb <path>`).
 *
 * And the installed package: `npm pack` of the repository installed offline
 * with runtime dependencies only (test/support/package.ts, as the package
 * test does), then `redis-dr --help` run as the installed bin itself, not
 * through npm or npx (target: ≤ 0.2 s, ≤ 60 MB). With --cachegrind, also the
 * instructions each `--help` (clone and installed) executes, counted once by
 * valgrind's cachegrind: a figure the machine's load does not move.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { installPackage, packRepository } from '../../test/support/package.js';
import { intFlags, median, timedProcess, type TimedProcess } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    rdb: { type: 'string' },
    cachegrind: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
  },
  strict: true,
});
const repeats = intFlags<'repeats'>(flags)('repeats', 1, 100);
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'redis-dr.cjs');
const SMALL = path.join(ROOT, 'test', 'fixtures', 'rdb', 'encodings.rdb');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

if (!existsSync(path.join(ROOT, 'dist', 'bin', 'redis-dr.js'))) throw new Error('dist/ is missing: run `npm run build` (npm ci does it) first');

interface Row {
  readonly command: string;
  readonly runs: number;
  readonly wallMedianSeconds: number;
  readonly wallMinSeconds: number;
  readonly wallMaxSeconds: number;
  readonly peakRssMedianMiB: number;
  readonly peakRssMaxMiB: number;
  /** User + system CPU, median (less noisy than wall time on a busy machine). */
  readonly cpuMedianSeconds: number;
  readonly exitCodes: readonly (number | null)[];
}

function row(command: string, runs: readonly TimedProcess[]): Row {
  const walls = runs.map((r) => r.wallSeconds);
  const rss = runs.map((r) => r.maxRssMiB ?? Number.NaN);
  return {
    command,
    runs: runs.length,
    wallMedianSeconds: median(walls),
    wallMinSeconds: Math.min(...walls),
    wallMaxSeconds: Math.max(...walls),
    peakRssMedianMiB: median(rss),
    peakRssMaxMiB: Math.max(...rss),
    cpuMedianSeconds: median(runs.map((r) => r.cpuSeconds ?? Number.NaN)),
    exitCodes: runs.map((r) => r.code),
  };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'cli-start-'));
  try {
    const startup: Row[] = [];
    for (const [label, args] of [
      ['redis-dr --help', ['--help']],
      ['redis-dr --version', ['--version']],
      ['redis-dr verify-rdb encodings.rdb (667 B)', ['verify-rdb', SMALL]],
    ] as const) {
      await timedProcess(process.execPath, [BIN, ...args], scratch, ROOT); // warm-up (page cache)
      const runs: TimedProcess[] = [];
      for (let i = 0; i < repeats; i++) runs.push(await timedProcess(process.execPath, [BIN, ...args], scratch, ROOT));
      startup.push(row(label, runs));
      const r = startup.at(-1)!;
      log(
        `${label.padEnd(44)} wall ${r.wallMedianSeconds.toFixed(3)} s (${r.wallMinSeconds.toFixed(3)}–${r.wallMaxSeconds.toFixed(3)}), peak RSS ${r.peakRssMedianMiB.toFixed(1)} MiB`,
      );
    }

    // The same --help through tsx from the TypeScript sources (how the CLI started before dist/, and how bin/redis-dr.cjs
    // runs it without one), for comparison: both of tsx's hooks (`--import tsx`), as bin/redis-dr.ts imports the program
    // with import() (with tsx's CommonJS hook alone, `-r tsx/cjs`, every run exited 1 and was timed all the same).
    const viaTsx = ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(ROOT, 'bin', 'redis-dr.ts'), '--help'];
    await timedProcess(process.execPath, viaTsx, scratch, ROOT);
    const tsxRuns: TimedProcess[] = [];
    for (let i = 0; i < repeats; i++) tsxRuns.push(await timedProcess(process.execPath, viaTsx, scratch, ROOT));
    const failed = tsxRuns.find((r) => r.code !== 0);
    if (failed) throw new Error(`--help through tsx exited ${failed.code}: ${failed.stderr}`);
    const tsxRow = row('comparison: --help through tsx from sources', tsxRuns);
    log(
      `${tsxRow.command.padEnd(44)} wall ${tsxRow.wallMedianSeconds.toFixed(3)} s (${tsxRow.wallMinSeconds.toFixed(3)}–${tsxRow.wallMaxSeconds.toFixed(3)}), peak RSS ${tsxRow.peakRssMedianMiB.toFixed(1)} MiB`,
    );

    // The installed package's own bin (a symlink to bin/redis-dr.cjs; its shebang runs node), from a folder outside the repository.
    const packed = packRepository();
    const install = installPackage();
    await timedProcess(install.bin, ['--help'], scratch, scratch);
    const installedRuns: TimedProcess[] = [];
    for (let i = 0; i < repeats; i++) installedRuns.push(await timedProcess(install.bin, ['--help'], scratch, scratch));
    const installedHelp = row('installed redis-dr --help', installedRuns);
    const installed = {
      tarballBytes: packed.size,
      unpackedBytes: packed.unpackedSize,
      files: packed.files.length,
      installSeconds: install.installSeconds,
      help: installedHelp,
      peakRssMedianMB: (installedHelp.peakRssMedianMiB * 1_048_576) / 1e6,
      // Wall time is the target; on a loaded machine it measures the queue for a core, so CPU time is recorded beside it.
      met: {
        wall: installedHelp.wallMedianSeconds <= 0.2,
        cpu: installedHelp.cpuMedianSeconds <= 0.2,
        rss: (installedHelp.peakRssMedianMiB * 1_048_576) / 1e6 <= 60,
      },
    };
    log(
      `${installedHelp.command.padEnd(44)} wall ${installedHelp.wallMedianSeconds.toFixed(3)} s (${installedHelp.wallMinSeconds.toFixed(3)}–${installedHelp.wallMaxSeconds.toFixed(3)}), cpu ${installedHelp.cpuMedianSeconds.toFixed(3)} s, peak RSS ${installedHelp.peakRssMedianMiB.toFixed(1)} MiB = ${installed.peakRssMedianMB.toFixed(1)} MB (targets <= 0.2 s, <= 60 MB: wall ${installed.met.wall ? 'met' : 'not met'}, cpu ${installed.met.cpu ? 'met' : 'not met'}, RSS ${installed.met.rss ? 'met' : 'not met'})`,
    );
    log(`package: ${packed.size} B packed, ${packed.files.length} files; npm ci --offline --omit=dev ${install.installSeconds.toFixed(1)} s`);

    let instructions: { cloneHelp: number; installedHelp: number } | undefined;
    if (flags.cachegrind) {
      const count = (script: string): number => {
        const out = path.join(scratch, 'cachegrind.out');
        const args = ['--tool=cachegrind', '--cache-sim=no', `--cachegrind-out-file=${out}`, process.execPath, realpathSync(script), '--help'];
        // valgrind reports on stderr.
        const r = spawnSync('valgrind', args, { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
        if (r.status !== 0) throw new Error(`valgrind ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
        return Number(/I\s+refs:\s+([\d,]+)/.exec(r.stderr)?.[1]?.replaceAll(',', '') ?? Number.NaN);
      };
      instructions = { cloneHelp: count(BIN), installedHelp: count(install.bin) };
      log(
        `instructions (cachegrind): --help ${instructions.cloneHelp.toLocaleString('en')} in the clone, ${instructions.installedHelp.toLocaleString('en')} installed`,
      );
    }

    let large: { file: string; bytes: number; ours: Row; redisCheckRdb: Row; ratio: number; keysAgree: boolean } | undefined;
    if (flags.rdb) {
      const file = path.resolve(flags.rdb);
      const bytes = statSync(file).size;
      const ours: TimedProcess[] = [];
      const theirs: TimedProcess[] = [];
      // Alternate A B A B …, so a drift in the machine's speed hits both alike.
      for (let i = 0; i < repeats; i++) {
        ours.push(await timedProcess(process.execPath, [BIN, 'verify-rdb', file, '--json'], scratch, ROOT));
        theirs.push(await timedProcess('redis-check-rdb', [file], scratch, ROOT));
      }
      const keys = (JSON.parse(ours[0]!.stdout) as { keys: number; ok: boolean }).keys;
      const checkKeys = Number(/(\d+) keys read/.exec(theirs[0]!.stdout)?.[1] ?? Number.NaN);
      const a = row('redis-dr verify-rdb <dump> --json', ours);
      const b = row('redis-check-rdb <dump>', theirs);
      large = { file: path.basename(file), bytes, ours: a, redisCheckRdb: b, ratio: b.wallMedianSeconds / a.wallMedianSeconds, keysAgree: keys === checkKeys };
      log(`${a.command.padEnd(44)} wall ${a.wallMedianSeconds.toFixed(3)} s, peak RSS ${a.peakRssMedianMiB.toFixed(1)} MiB`);
      log(`${b.command.padEnd(44)} wall ${b.wallMedianSeconds.toFixed(3)} s, peak RSS ${b.peakRssMedianMiB.toFixed(1)} MiB`);
      log(
        `file ${(bytes / 1e6).toFixed(1)} MB: redis-dr is ${large.ratio.toFixed(2)}x faster as a whole process (target >= 1.5x); keys agree: ${large.keysAgree} (${keys} vs ${checkKeys})`,
      );
    }

    const machine = {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      redisCheckRdb: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(),
      loadAverage: os.loadavg(),
    };
    writeFileSync(
      flags.out!,
      `${JSON.stringify({ measuredAt: new Date().toISOString(), repeats, machine, startup, comparison: tsxRow, installed, instructions, large }, null, 2)}\n`,
    );
    log(`results written to ${flags.out}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
