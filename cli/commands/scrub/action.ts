import { runScrub } from '../../../lambdas/jobs/scrub/self-managed.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** `redis-dr scrub`'s options (cli/commands/scrub/command.ts). */
export interface ScrubOptions {
  readonly destination: string;
  readonly all?: boolean;
  readonly sample?: number;
  readonly days: number;
  readonly s3Endpoint?: string;
  readonly signingKey?: string;
  readonly vault?: boolean;
  readonly json?: boolean;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Runs one scrub and prints a line per bad copy (`CORRUPT <file>: …`), the
 * run's totals and the coverage; exit 1 when any copy re-read is bad.
 */
export async function scrubAction(o: ScrubOptions): Promise<void> {
  if (o.all && o.sample !== undefined) throw new UsageError('give --all (every copy) or --sample <n>, not both');
  const run = await runScrub({
    destination: o.destination,
    days: o.days,
    ...(o.all ? { all: true } : {}),
    ...(o.sample !== undefined ? { sample: o.sample } : {}),
    ...(o.s3Endpoint ? { s3Endpoint: o.s3Endpoint } : {}),
    ...(o.signingKey !== undefined ? { signingKey: o.signingKey } : {}),
    ...(o.vault ? { vault: true } : {}),
  });
  const bad = run.record.results.filter((r) => !r.ok);
  const c = run.coverage;
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: bad.length === 0, record: run.recordName, ...run.record, coverage: c }, null, 2)}\n`);
  else {
    process.stdout.write(
      `${bad.length === 0 ? 'OK' : 'CORRUPT'} ${run.destination}: re-read ${run.record.results.length} of ${run.record.copies} copies` +
        `${run.due.length > 0 ? ` (${run.due.length} due)` : ''}, ${bad.length} bad\n` +
        bad.map((b) => `  BAD ${b.file}: ${b.problems.join('; ')}\n`).join('') +
        `  coverage: ${c.readWithinDays} of ${c.copies} copies read and found good within ${c.days} days` +
        `${c.oldestRead ? `; read longest ago: ${c.oldestRead.file} (${iso(c.oldestRead.at)})` : ''}\n` +
        (run.recordName
          ? `  recorded: ${run.recordName} in ${run.destination} (report --destination reads it)\n`
          : `  not recorded: the vault keeps its scrub records for the scheduled scrub's role (redis-dr-vault-scrub/)\n`),
    );
  }
  process.exitCode = bad.length === 0 ? 0 : 1;
}
