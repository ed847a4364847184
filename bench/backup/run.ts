/**
 * backup benchmark (issue 14; not a test, not part of `npm test`):
 *
 *   npx tsx bench/backup/run.ts [--rdb <existing.rdb>] [--keys 1000000] [--seed 1]
 *       [--repeats 3] [--forms eof,length] [--keep-rdb <path>] [--profile]
 *       [--run-timeout-s 300] [--max-seconds 2400] [--out bench/backup/results.json]
 *
 * Starts redis-server on a free loopback port in a temporary folder and fills
 * it with the ≈500 MB dataset of bench/verify-rdb: generated (dataset.ts,
 * 1,000,000 keys, seed 1) or, with `--rdb`, loaded from an existing dump
 * (linked into the server's folder, `DEBUG RELOAD NOSAVE`). Then, for each
 * sync form the server offers, it times, alternating A B A B, each as whole
 * processes under `/usr/bin/time` (wall from spawn to exit, peak RSS, CPU):
 *
 * - A: `node bin/redis-dr.cjs backup --remote --redis redis://127.0.0.1:<port>
 *   --to file://<fresh dir> --create --name bench --json` (the compiled CLI: `npm run
 *   build` first): pulls the RDB over the replication protocol, verifies every
 *   byte, writes, fsyncs and links it, with its .sha256 and .json beside it;
 * - B: `redis-cli -p <port> --rdb <file>` then `redis-check-rdb <file>`: two
 *   processes, wall times summed, peak RSS the larger; the file removed after.
 *
 * Forms (`--forms`): `eof` = `repl-diskless-sync yes` with
 * `repl-diskless-sync-delay 0` (the server's fork writes the RDB straight to
 * the socket, `$EOF:<mark>`; the default form since Redis 7.0, less its 5 s
 * delay); `length` = `repl-diskless-sync no` (the fork BGSAVEs to disk first,
 * then the server sends the file, `$<len>`). The fork and the save are the
 * server's work and part of both tools' time alike; the server's log gives
 * them per run (timestamps in ms), INFO stats `latest_fork_usec` the fork.
 * Besides the ratio of the median walls (B/A), each form reports the ratio
 * of the time each tool takes beyond its run's save, which the machine's
 * load moves less.
 *
 * Checks per run: A reports `ok: true`, checksum ok, its file is there with
 * the bytes it reports; `redis-check-rdb` says "RDB looks OK"; A's
 * `backup.keys`, redis-check-rdb's "keys read" and the server's key count
 * agree. The first backup of each form is also read by redis-check-rdb
 * (untimed). Exit 1 when a check fails.
 *
 * `--profile` adds one untimed A per form under `node --cpu-prof` and
 * records the functions with the most self time. `--keep-rdb` copies the
 * generated dataset out (SAVE) for later `--rdb` runs.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type Redis from 'ioredis';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { populate, type DatasetSummary } from '../verify-rdb/dataset.js';
import { alternating, intFlags, median, timedProcess, type TimedProcess } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    rdb: { type: 'string' },
    keys: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '3' },
    forms: { type: 'string', default: 'eof,length' },
    'keep-rdb': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'run-timeout-s': { type: 'string', default: '300' },
    'max-seconds': { type: 'string', default: '2400' },
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
  },
  strict: true,
});

type Form = 'eof' | 'length';
const int = intFlags<'keys' | 'seed' | 'repeats' | 'run-timeout-s' | 'max-seconds'>(flags);
const forms = flags.forms!.split(',').map((f) => f.trim());
for (const f of forms) if (f !== 'eof' && f !== 'length') throw new Error(`--forms takes eof and/or length, got ${JSON.stringify(f)}`);
const options = {
  keys: int('keys', 1, 100_000_000),
  seed: int('seed', 0, 2 ** 32 - 1),
  repeats: int('repeats', 1, 100),
  forms: forms as Form[],
  runTimeoutSeconds: int('run-timeout-s', 10, 3600),
  maxSeconds: int('max-seconds', 60, 24 * 3600),
  profile: flags.profile ?? false,
};

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'redis-dr.cjs');
/** Free space the run needs: the server's dump and its BGSAVE temp file, one backup, one redis-cli copy, headroom. */
const MIN_FREE_BYTES = 4 * 1024 ** 3;
const MB = 1e6;
const MIB = 1024 ** 2;
/** Issue 14's memory target: peak RSS under 150 MB, read strictly as 150 × 10^6 bytes (143.1 MiB). */
const RSS_TARGET_MB = 150;
/** The headline form: the server's default since Redis 7.0 (`repl-diskless-sync yes`), measured without its 5 s delay. */
const HEADLINE: Form = 'eof';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The commit measured, and whether the code measured differed from it. */
function gitDescription(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'cli', 'lambdas', 'bin', 'bench/backup', ':(exclude)bench/backup/results*.json').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes to the CLI, lambdas or this benchmark' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** A process run, bounded by coreutils `timeout` (GNU time reports the largest RSS of its children: the command's). */
async function bounded(scratch: string, command: string, args: readonly string[], cwd?: string): Promise<TimedProcess> {
  const r = await timedProcess('timeout', ['--kill-after=10', String(options.runTimeoutSeconds), command, ...args], scratch, cwd);
  if (r.code === 124 || r.code === 137) throw new Error(`${command} ${args.join(' ')} did not finish within ${options.runTimeoutSeconds} s`);
  return r;
}

/** What the server's log says about one sync (times in seconds from the replica's request). */
interface ServerSide {
  /** From the request to the end of the fork's save: the BGSAVE to disk (length form), or the fork writing to the socket (eof form, paced by the reader). */
  readonly saveSeconds: number | null;
  /** From the request to the connection's end. */
  readonly connectionSeconds: number | null;
  readonly latestForkMs: number;
  readonly lines: readonly string[];
}

/** Seconds since midnight of a log line's `HH:MM:SS.mmm` stamp. */
function stamp(line: string): number | undefined {
  const m = / (\d\d):(\d\d):(\d\d)\.(\d{3}) /.exec(line);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000 : undefined;
}

async function serverSide(logPath: string, from: number, client: Redis): Promise<{ side: ServerSide; end: number }> {
  const text = readFileSync(logPath, 'latin1');
  const lines = text
    .slice(from)
    .split('\n')
    .filter((l) => l.length > 0);
  const at = (pattern: RegExp): number | undefined => {
    const line = lines.find((l) => pattern.test(l));
    return line ? stamp(line) : undefined;
  };
  const since = (start: number | undefined, end: number | undefined): number | null => {
    if (start === undefined || end === undefined) return null;
    return end >= start ? end - start : end + 86_400 - start; // across midnight
  };
  const requested = at(/asks for synchronization/);
  const saved = at(/Background saving terminated with success|Diskless rdb transfer, done reading from pipe/);
  const closed = at(/Connection with replica .* lost/);
  const fork = Number(/latest_fork_usec:(\d+)/.exec(String(await client.info('stats')))?.[1] ?? Number.NaN);
  return { side: { saveSeconds: since(requested, saved), connectionSeconds: since(requested, closed), latestForkMs: fork / 1000, lines }, end: text.length };
}

/** A: one remote backup into a fresh folder; checked, then the folder removed. */
interface BackupRun {
  readonly wallSeconds: number;
  readonly cpuSeconds: number | null;
  readonly maxRssMiB: number | null;
  readonly keys: number;
  readonly bytes: number;
  readonly ok: boolean;
  readonly checksum: string;
  /** The report's own step times (sync: until the payload header, i.e. the server's save in the length form; write: the stream). */
  readonly steps: Readonly<Record<string, number>>;
  readonly syncDetail: string;
  readonly server?: ServerSide;
}

/** B: redis-cli --rdb, then redis-check-rdb on the file. */
interface PairRun {
  readonly wallSeconds: number;
  readonly maxRssMiB: number | null;
  readonly cpuSeconds: number | null;
  readonly redisCli: { wallSeconds: number; cpuSeconds: number | null; maxRssMiB: number | null; bytes: number };
  readonly redisCheckRdb: { wallSeconds: number; cpuSeconds: number | null; maxRssMiB: number | null; keys: number };
  readonly server?: ServerSide;
}

async function main(): Promise<void> {
  const started = Date.now();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-backup-'));
  let server: RedisServer | undefined;
  const cleanup = async (): Promise<void> => {
    await server?.stop().catch(() => undefined);
    server = undefined;
    rmSync(scratch, { recursive: true, force: true });
  };
  const abort = (why: string): void => {
    log(why);
    void cleanup().finally(() => process.exit(1));
  };
  const deadline = setTimeout(() => abort(`the benchmark exceeded --max-seconds ${options.maxSeconds}: stopped`), options.maxSeconds * 1000);
  deadline.unref();
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));

  try {
    if (!existsSync(path.join(ROOT, 'dist', 'bin', 'redis-dr.js')))
      throw new Error('dist/ is missing: run `npm run build` first (the CLI is timed as compiled)');
    const fs = statfsSync(scratch);
    const free = fs.bavail * fs.bsize;
    if (free < MIN_FREE_BYTES)
      throw new Error(`${os.tmpdir()} has ${(free / 1024 ** 3).toFixed(1)} GiB free; the benchmark needs ${MIN_FREE_BYTES / 1024 ** 3} GiB`);

    // The server: its log in a file, so each sync's save can be timed from it.
    const serverLog = path.join(scratch, 'server.log');
    server = await startRedisServer({ args: ['--logfile', serverLog, '--enable-debug-command', 'local'] });
    const client = server.client();
    let dataset: { file: string; bytes: number } | { generated: DatasetSummary; saveSeconds?: number };
    if (flags.rdb) {
      const file = path.resolve(flags.rdb);
      const bytes = statSync(file).size;
      // A link, not a copy (same file system): BGSAVE replaces dump.rdb by rename, never writes into it.
      try {
        linkSync(file, server.rdbPath);
      } catch {
        copyFileSync(file, server.rdbPath);
      }
      log(`loading ${file} (${(bytes / MB).toFixed(1)} MB) into redis-server on port ${server.port} …`);
      const t0 = Date.now();
      await client.call('DEBUG', 'RELOAD', 'NOSAVE');
      log(`  loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      dataset = { file, bytes };
    } else {
      log(`generating ${options.keys.toLocaleString('en-US')} keys (seed ${options.seed}) into redis-server on port ${server.port}`);
      const clients: Redis[] = [0, 1, 2, 3].map(() => server!.client());
      await Promise.all(clients.map((c, db) => c.select(db)));
      const generated = await populate((db) => clients[db]!, options.keys, options.seed, log);
      log(`  written in ${generated.seconds.toFixed(1)} s`);
      dataset = { generated };
      if (flags['keep-rdb']) {
        const t0 = Date.now();
        await client.save();
        dataset.saveSeconds = (Date.now() - t0) / 1000;
        copyFileSync(server.rdbPath, flags['keep-rdb']);
        log(`  SAVE ${dataset.saveSeconds.toFixed(1)} s; kept as ${flags['keep-rdb']}`);
      }
    }
    const keyspace = String(await client.info('keyspace'));
    const serverKeys = [...keyspace.matchAll(/db\d+:keys=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const memory = String(await client.info('memory'));
    const usedMemory = Number(/used_memory:(\d+)/.exec(memory)?.[1]);
    log(
      `server: ${serverKeys.toLocaleString('en-US')} keys, used_memory ${(usedMemory / MB).toFixed(0)} MB; ${keyspace
        .split('\n')
        .filter((l) => l.startsWith('db'))
        .join(' ')
        .replace(/\r/g, '')}`,
    );

    // What loading the backup command costs in memory before a byte moves (for the reading).
    const loadOnly = await bounded(scratch, process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'backup.js'))})`], ROOT);
    const emptyNode = await bounded(scratch, process.execPath, ['-e', ''], ROOT);
    log(
      `peak RSS: empty node ${emptyNode.maxRssMiB?.toFixed(1)} MiB; node loading the backup command's modules (dist/cli/backup.js) ${loadOnly.maxRssMiB?.toFixed(1)} MiB`,
    );

    let logOffset = readFileSync(serverLog, 'latin1').length;
    const ours = async (form: Form, i: number, check: boolean): Promise<BackupRun> => {
      const dest = path.join(scratch, `dest-${form}-${i}`);
      const r = await bounded(
        scratch,
        process.execPath,
        [CLI, 'backup', '--remote', '--redis', `redis://127.0.0.1:${server!.port}`, '--to', `file://${dest}`, '--create', '--name', 'bench', '--json'],
        ROOT,
      );
      const s = await serverSide(serverLog, logOffset, client);
      logOffset = s.end;
      let report: {
        ok: boolean;
        steps: { step: string; seconds: number; detail: string }[];
        backup?: { file: string; bytes: number; keys: number; checksum: string };
        error?: string;
      };
      try {
        report = JSON.parse(r.stdout) as typeof report;
      } catch {
        throw new Error(`redis-dr backup exited with ${r.code} without a JSON report: ${r.stderr.slice(-1000)}${r.stdout.slice(-1000)}`);
      }
      if (r.code !== 0 || !report.ok || !report.backup) throw new Error(`redis-dr backup failed (exit ${r.code}): ${report.error ?? r.stdout.slice(-1000)}`);
      const file = path.join(dest, report.backup.file);
      if (statSync(file).size !== report.backup.bytes) throw new Error(`${file} holds ${statSync(file).size} bytes, the report says ${report.backup.bytes}`);
      if (!existsSync(`${file}.sha256`) || !existsSync(`${file}.json`)) throw new Error(`${file}: .sha256 or .json missing`);
      if (check) {
        // Untimed: the file redis-dr wrote is one redis-check-rdb accepts, with the same keys.
        const c = await bounded(scratch, 'redis-check-rdb', [file]);
        const keys = Number(/(\d+) keys read/.exec(c.stdout)?.[1] ?? Number.NaN);
        if (c.code !== 0 || !/RDB looks OK/.test(c.stdout) || keys !== report.backup.keys)
          throw new Error(`redis-check-rdb on the backup: exit ${c.code}, ${keys} keys: ${c.stdout.slice(-500)}`);
        log(`  (untimed) redis-check-rdb on the backup file: RDB looks OK, ${keys} keys read`);
      }
      rmSync(dest, { recursive: true, force: true });
      const steps = Object.fromEntries(report.steps.map((st) => [st.step, st.seconds]));
      return {
        wallSeconds: r.wallSeconds,
        cpuSeconds: r.cpuSeconds,
        maxRssMiB: r.maxRssMiB,
        keys: report.backup.keys,
        bytes: report.backup.bytes,
        ok: report.ok,
        checksum: report.backup.checksum,
        steps,
        syncDetail: report.steps.find((st) => st.step === 'sync')?.detail ?? '',
        server: s.side,
      };
    };
    const pair = async (): Promise<PairRun> => {
      const file = path.join(scratch, 'cli.rdb');
      const cli = await bounded(scratch, 'redis-cli', ['-p', String(server!.port), '--rdb', file]);
      const s = await serverSide(serverLog, logOffset, client);
      logOffset = s.end;
      if (cli.code !== 0 || !/Transfer finished with success/.test(cli.stderr + cli.stdout))
        throw new Error(`redis-cli --rdb exited with ${cli.code}: ${cli.stderr.slice(-1000)}`);
      const bytes = statSync(file).size;
      const check = await bounded(scratch, 'redis-check-rdb', [file]);
      rmSync(file, { force: true });
      const keys = Number(/(\d+) keys read/.exec(check.stdout)?.[1] ?? Number.NaN);
      if (check.code !== 0 || !/RDB looks OK/.test(check.stdout))
        throw new Error(`redis-check-rdb rejected the file (exit ${check.code}): ${check.stdout.slice(-500)}`);
      const rss = [cli.maxRssMiB, check.maxRssMiB].filter((v): v is number => v !== null);
      return {
        wallSeconds: cli.wallSeconds + check.wallSeconds,
        maxRssMiB: rss.length > 0 ? Math.max(...rss) : null,
        cpuSeconds: cli.cpuSeconds !== null && check.cpuSeconds !== null ? cli.cpuSeconds + check.cpuSeconds : null,
        redisCli: { wallSeconds: cli.wallSeconds, cpuSeconds: cli.cpuSeconds, maxRssMiB: cli.maxRssMiB, bytes },
        redisCheckRdb: { wallSeconds: check.wallSeconds, cpuSeconds: check.cpuSeconds, maxRssMiB: check.maxRssMiB, keys },
        server: s.side,
      };
    };

    const results: Record<string, unknown> = {};
    for (const form of options.forms) {
      await client.config('SET', 'repl-diskless-sync', form === 'eof' ? 'yes' : 'no');
      await client.config('SET', 'repl-diskless-sync-delay', '0');
      log(`\nform ${form}: repl-diskless-sync ${form === 'eof' ? 'yes' : 'no'}, repl-diskless-sync-delay 0`);
      const loadAverages: number[] = [];
      const rounds: { round: number; order: string; ours: BackupRun; pair: PairRun; ratio: number }[] = [];
      for (let i = 0; i < options.repeats; i++) {
        // Round 1 runs A first, round 2 B first, … (alternating() puts ours first on even indexes).
        const r = await alternating(i, pair, () => ours(form, i, i === 0), loadAverages);
        const ratio = r.baseline.wallSeconds / r.ours.wallSeconds;
        rounds.push({ round: i + 1, order: r.oursFirst ? 'A B' : 'B A', ours: r.ours, pair: r.baseline, ratio });
        const o = r.ours;
        const p = r.baseline;
        log(
          `round ${i + 1} (${r.oursFirst ? 'A, B' : 'B, A'}): A ${o.wallSeconds.toFixed(2)} s, ${o.maxRssMiB?.toFixed(1)} MiB, ${o.keys} keys, ${o.syncDetail}, sync step ${o.steps.sync?.toFixed(2)} s + write step ${o.steps.write?.toFixed(2)} s, server save ${o.server?.saveSeconds?.toFixed(2)} s` +
            ` | B ${p.wallSeconds.toFixed(2)} s = redis-cli ${p.redisCli.wallSeconds.toFixed(2)} s (server save ${p.server?.saveSeconds?.toFixed(2)} s) + redis-check-rdb ${p.redisCheckRdb.wallSeconds.toFixed(2)} s, ${p.maxRssMiB?.toFixed(1)} MiB, ${p.redisCheckRdb.keys} keys | B/A ${ratio.toFixed(2)}`,
        );
      }
      let profile: { top: { fn: string; ms: number; share: number }[]; idleMs: number; totalMs: number } | undefined;
      if (options.profile) {
        profile = await profiled(scratch, form, server.port);
        logOffset = readFileSync(serverLog, 'latin1').length; // the profiled sync is not a timed round's
      }

      const a = rounds.map((r) => r.ours);
      const b = rounds.map((r) => r.pair);
      const med = (xs: (number | null | undefined)[]): number | null => {
        const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
        return v.length > 0 ? median(v) : null;
      };
      const aMedian = median(a.map((r) => r.wallSeconds));
      const bMedian = median(b.map((r) => r.wallSeconds));
      const aPeak = Math.max(...a.map((r) => r.maxRssMiB ?? Number.NaN));
      const bPeak = Math.max(...b.map((r) => r.maxRssMiB ?? Number.NaN));
      const keysAgree = a.every((r) => r.keys === serverKeys) && b.every((r) => r.redisCheckRdb.keys === serverKeys);
      const verified = a.every((r) => r.ok && r.checksum === 'ok');
      const ratio = bMedian / aMedian;
      results[form] = {
        settings: { 'repl-diskless-sync': form === 'eof' ? 'yes' : 'no', 'repl-diskless-sync-delay': 0 },
        loadAverages,
        ours: {
          command: 'node bin/redis-dr.cjs backup --remote --redis redis://127.0.0.1:<port> --to file://<fresh dir> --create --name bench --json',
          medianSeconds: aMedian,
          medianCpuSeconds: med(a.map((r) => r.cpuSeconds)),
          medianSyncStepSeconds: med(a.map((r) => r.steps.sync)),
          medianWriteStepSeconds: med(a.map((r) => r.steps.write)),
          medianServerSaveSeconds: med(a.map((r) => r.server?.saveSeconds)),
          medianBeyondSaveSeconds: med(a.map((r) => beyond(r.wallSeconds, r.server))),
          peakRssMiB: aPeak,
          peakRssMB: (aPeak * MIB) / MB,
        },
        pair: {
          command: 'redis-cli -p <port> --rdb <file>; redis-check-rdb <file>',
          medianSeconds: bMedian,
          medianCpuSeconds: med(b.map((r) => r.cpuSeconds)),
          medianRedisCliSeconds: med(b.map((r) => r.redisCli.wallSeconds)),
          medianRedisCheckRdbSeconds: med(b.map((r) => r.redisCheckRdb.wallSeconds)),
          medianServerSaveSeconds: med(b.map((r) => r.server?.saveSeconds)),
          medianBeyondSaveSeconds: med(b.map((r) => beyond(r.wallSeconds, r.server))),
          peakRssMiB: bPeak,
        },
        ratio,
        /** The same ratio on each tool's time beyond the server's save (the save is the server's work, shared, and swings with the machine's load). */
        ratioBeyondSave:
          (med(b.map((r) => beyond(r.wallSeconds, r.server))) ?? Number.NaN) / (med(a.map((r) => beyond(r.wallSeconds, r.server))) ?? Number.NaN),
        roundsWon: rounds.filter((r) => r.ratio > 1).length,
        keys: serverKeys,
        keysAgree,
        verified,
        targets: { faster: ratio > 1, peakRssBelow150MB: (aPeak * MIB) / MB < RSS_TARGET_MB, peakRssBelow150MiB: aPeak < 150 },
        rounds: rounds.map((r) => ({ ...r, ours: { ...r.ours, server: stripLines(r.ours.server) }, pair: { ...r.pair, server: stripLines(r.pair.server) } })),
        ...(profile ? { profile } : {}),
      };
    }

    // Table.
    const rows: string[][] = [
      [
        'form',
        'tool',
        'median wall (s)',
        'each run (s)',
        'server save (s, median)',
        'beyond the save (s, median)',
        'CPU (s, median)',
        'peak RSS (MiB)',
        'keys',
      ],
    ];
    for (const form of options.forms) {
      const f = results[form] as {
        ours: {
          medianSeconds: number;
          medianServerSaveSeconds: number | null;
          medianBeyondSaveSeconds: number | null;
          medianCpuSeconds: number | null;
          peakRssMiB: number;
        };
        pair: {
          medianSeconds: number;
          medianServerSaveSeconds: number | null;
          medianBeyondSaveSeconds: number | null;
          medianCpuSeconds: number | null;
          peakRssMiB: number;
          medianRedisCliSeconds: number;
          medianRedisCheckRdbSeconds: number;
        };
        rounds: { ours: BackupRun; pair: PairRun }[];
        keys: number;
      };
      const fmt = (v: number | null): string => (v === null ? '–' : v.toFixed(2));
      rows.push([
        form,
        'A redis-dr backup --remote',
        fmt(f.ours.medianSeconds),
        f.rounds.map((r) => r.ours.wallSeconds.toFixed(2)).join(', '),
        fmt(f.ours.medianServerSaveSeconds),
        fmt(f.ours.medianBeyondSaveSeconds),
        fmt(f.ours.medianCpuSeconds),
        f.ours.peakRssMiB.toFixed(1),
        String(f.keys),
      ]);
      rows.push([
        form,
        `B redis-cli --rdb (${fmt(f.pair.medianRedisCliSeconds)}) + redis-check-rdb (${fmt(f.pair.medianRedisCheckRdbSeconds)})`,
        fmt(f.pair.medianSeconds),
        f.rounds.map((r) => r.pair.wallSeconds.toFixed(2)).join(', '),
        fmt(f.pair.medianServerSaveSeconds),
        fmt(f.pair.medianBeyondSaveSeconds),
        fmt(f.pair.medianCpuSeconds),
        f.pair.peakRssMiB.toFixed(1),
        String(f.rounds[0]!.pair.redisCheckRdb.keys),
      ]);
    }
    log('');
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) log(r.map((cell, c) => (c < 2 || c === 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    for (const form of options.forms) {
      const f = results[form] as {
        ratio: number;
        ratioBeyondSave: number;
        roundsWon: number;
        keysAgree: boolean;
        verified: boolean;
        ours: { peakRssMiB: number; peakRssMB: number };
      };
      log(
        `${form}${form === HEADLINE ? ' (headline)' : ''}: B/A ${f.ratio.toFixed(2)}x (target > 1), A faster in ${f.roundsWon}/${options.repeats} rounds; beyond the server's save ${f.ratioBeyondSave.toFixed(2)}x; ` +
          `A peak RSS ${f.ours.peakRssMiB.toFixed(1)} MiB = ${f.ours.peakRssMB.toFixed(1)} MB (target < ${RSS_TARGET_MB} MB); keys agree ${f.keysAgree}; verified ${f.verified}`,
      );
    }

    const out = {
      date: new Date().toISOString(),
      code: gitDescription(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(),
      },
      options,
      headline: HEADLINE,
      dataset: { ...dataset, serverKeys, usedMemoryBytes: usedMemory },
      startupRssMiB: { emptyNode: emptyNode.maxRssMiB, backupModulesLoaded: loadOnly.maxRssMiB },
      forms: results,
      totalSeconds: (Date.now() - started) / 1000,
    };
    writeFileSync(flags.out!, `${JSON.stringify(out, null, 2)}\n`);
    log(`results written to ${flags.out}`);
    const failed = options.forms.some((form) => {
      const f = results[form] as { keysAgree: boolean; verified: boolean };
      return !f.keysAgree || !f.verified;
    });
    if (failed) process.exitCode = 1;
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
}

/** Wall time beyond the server's save of that run (null when the log did not say). */
function beyond(wallSeconds: number, s: ServerSide | undefined): number | null {
  return s?.saveSeconds === null || s?.saveSeconds === undefined ? null : wallSeconds - s.saveSeconds;
}

function stripLines(s: ServerSide | undefined): Omit<ServerSide, 'lines'> | undefined {
  if (!s) return undefined;
  const { lines: _, ...rest } = s;
  return rest;
}

/** One untimed A under `node --cpu-prof`: the functions with the most self time. */
async function profiled(
  scratch: string,
  form: Form,
  port: number,
): Promise<{ top: { fn: string; ms: number; share: number }[]; idleMs: number; totalMs: number }> {
  const dir = path.join(scratch, `prof-${form}`);
  const dest = path.join(scratch, `dest-prof-${form}`);
  const r = await bounded(
    scratch,
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      CLI,
      'backup',
      '--remote',
      '--redis',
      `redis://127.0.0.1:${port}`,
      '--to',
      `file://${dest}`,
      '--create',
      '--name',
      'bench',
      '--json',
    ],
    ROOT,
  );
  rmSync(dest, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`profiled backup exited with ${r.code}: ${r.stdout.slice(-500)}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const p = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const d = p.timeDeltas[i] ?? 0;
    total += d;
    const where = n.callFrame.url ? ` ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${n.callFrame.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + d);
  });
  const idle = self.get('(idle)') ?? 0;
  const busy = total - idle;
  const top = [...self]
    .filter(([k]) => k !== '(idle)')
    .sort((x, y) => y[1] - x[1])
    .slice(0, 20)
    .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), share: +(us / busy).toFixed(3) }));
  log(
    `profile (${form}): ${(total / 1e6).toFixed(2)} s sampled, ${(idle / 1e6).toFixed(2)} s idle; busy ${(busy / 1e6).toFixed(2)} s, top: ${top
      .slice(0, 8)
      .map((t) => `${t.fn} ${(t.share * 100).toFixed(1)} %`)
      .join('; ')}`,
  );
  return { top, idleMs: Math.round(idle / 1000), totalMs: Math.round(total / 1000) };
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
