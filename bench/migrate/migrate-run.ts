import path from 'node:path';
import { type TimedProcess, timedProcess } from '../support.js';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redis-dr.cjs');
const MB = 1e6;

/** The parts of `migrate --json`'s report the big-value benches read. */
export interface MigrateReport {
  copied?: number;
  error?: string | null;
  verify?: { equal?: boolean };
}

/** One run of {@link migrateFromRdb}: the process as measured, its report, and its peak RSS in MB (10^6 bytes). */
export interface MigrateRun {
  readonly process: TimedProcess;
  /** Empty when the command printed no JSON: its exit code and output say why. */
  readonly report: MigrateReport;
  readonly maxRssMB: number | null;
}

/**
 * `node bin/redis-dr.cjs migrate --from-rdb <file> --to <target> --json [--verify]` under /usr/bin/time (the
 * benches bench/migrate/big-keys.ts and bench/migrate/big-types.ts measure the same command).
 */
export async function migrateFromRdb(file: string, targetUrl: string, verify: boolean, scratch: string): Promise<MigrateRun> {
  const p = await timedProcess(
    process.execPath,
    [BIN, 'migrate', '--from-rdb', file, '--to', targetUrl, '--json', ...(verify ? ['--verify'] : [])],
    scratch,
    path.join(__dirname, '..', '..'),
  );
  let report: MigrateReport = {};
  try {
    report = JSON.parse(p.stdout) as MigrateReport;
  } catch {
    // reported through the exit code
  }
  return { process: p, report, maxRssMB: p.maxRssMiB === null ? null : (p.maxRssMiB * 1024 * 1024) / MB };
}
