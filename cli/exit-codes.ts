/**
 * The exit codes every command's help ends with: one shared epilogue (the
 * rule of cli/failure.ts) and, for the commands whose codes mean something
 * more specific, their lines, kept here so that there is one source.
 */
import type { JobOutcome } from '../lambdas/jobs/kernel/outcome.js';
import { EXIT } from './failure.js';

/** The exit code of a job's outcome under the one rule: ok 0, failed 1, refused before doing anything 2. */
export function exitCodeOf(outcome: JobOutcome): 0 | 1 | 2 {
  return outcome === 'ok' ? EXIT.ok : outcome === 'failed' ? EXIT.failed : EXIT.usage;
}

/**
 * `backup`: another run of the same target holds the destination's lease
 * (after `--lease-wait`): this run did nothing, and nothing is wrong — no
 * `/fail` ping, no metric, unless the holder is on another host or
 * container (then the wait is reported: jobs/self-managed/backup-lease-wait.ts).
 * 75 is EX_TEMPFAIL of sysexits.h ("try again later").
 */
export const EXIT_LEASE_HELD = 75;

/** What a code means for one command, added under the shared lines (keyed by the command path: `drill local`). */
const SPECIFIC: Readonly<Record<string, readonly string[]>> = {
  backup: [
    '1: a step failed (named in the output; nothing stored before is deleted), or a keyspace collapse (the backup stored, the earlier ones held)',
    `${EXIT_LEASE_HELD}: another run of this target holds the destination's lease (after --lease-wait): this run did nothing; held on another host or container: the wait goes to the metrics and the heartbeat (/fail with --heartbeat-fail, else /log)`,
  ],
  'convert-rdb': [
    '1: the input or keys of it refused for the target (nothing written), the write failed, or the output failed its read-back (nothing left); --dry-run: a real run would refuse',
    '2: also an output there already (a file, link or object: --force replaces it), or one the run may not write (all before anything is read)',
    "130: Ctrl-C (SIGINT): stopped, its temporary output removed (a recovery point's shards already stored taken back)",
    '143: SIGTERM: the same',
    '129: SIGHUP (its terminal closed, its session dropped): the same',
  ],
  compare: [
    '1: the datasets differ, a database holding keys was not compared (the --a URL names another), the comparison could not finish, or a file side is corrupt',
    '3: a file side in a format the verifier cannot judge (a newer engine: not verified, not corrupt)',
  ],
  serve: [
    "1: the file does not pass the verifier (corrupt or cut), or a backup's bytes are not those its record names (nothing listens)",
    '3: a format the verifier cannot judge (a newer engine: not verified, not corrupt; nothing listens)',
  ],
  export: ['1: the export failed, or (--wait) its replication failed or the DR verifier did not say ok'],
  doctor: ['0: every check passed or only warned; 1: a check failed'],
  'drill run': ['1: the drill failed (with --wait)'],
  'drill local': [
    '1: a check failed, the file is corrupt or the server refused it',
    '3: a format the verifier cannot judge (not verified, not corrupt)',
    '130: Ctrl-C (the server stopped, its directory removed)',
  ],
  migrate: [
    '1: keys failed, were evicted or (--verify) differ, or the run was stopped',
    '1: also a database holding keys left out (the --from URL names another: leave the /<db> out, or map each with --db)',
    '2: also refused before writing (the target could evict: see --allow-eviction; or it has no such database)',
  ],
  prune: ['1: the retention plan could not be computed for every snapshot'],
  restore: ['1: refused by the preflight, or (--wait) the cluster failed to create; --list: a bucket (or the vault) could not be read'],
  'restore-aof': ['1: refused (a gap in the history, a time before the oldest point, no timestamps) or the load failed'],
  'retention release': ['1: a release failed (the ones before it stay done, listed)'],
  'retention hold': ['1: the hold or its release could not be recorded (the destination named)'],
  'ship-aof': [
    '0: also SIGTERM or Ctrl-C after shipping what is complete',
    "1: the last cycle failed or left the history not restorable, or the destination holds another directory's history",
    '2: also not an AOF directory, or a manifest it does not understand',
  ],
  selftest: ['0: every step passed or only warned; 1: a step failed (its cause and fix are printed)'],
  snapshot: ['1: a recovery point failed (or, with --wait, did not become available)'],
  status: [
    '1: a recovery point or drill is late, missing, failed or could not be measured; with a vault, its newest recovery point late or missing, or the vault not read (--coverage: a cache is unprotected)',
  ],
  'verify-copy': [
    '1: the verdict is not ok (corrupt, unsupported, unproven) or the verification failed; with --unproven: any unproven copy not verified ok now (a --dry-run that lists any)',
  ],
  'verify-rdb': ['1: the file is corrupt', '3: a format this verifier cannot judge (a newer engine: not verified, not corrupt)'],
};

/** The shared lines: the rule for every command. */
export const EXIT_CODES_LINES = [
  `${EXIT.ok}  ok`,
  `${EXIT.failed}  the job failed or found a problem (a job that did part of its work says what it did)`,
  `${EXIT.usage}  usage, configuration, credentials or connection (nothing was done; the message names the host and a fix)`,
] as const;

/** The "Exit codes:" epilogue of one command's help (`path`: the command's words after redis-dr). */
export function exitCodesHelp(path: string): string {
  const specific = SPECIFIC[path] ?? [];
  // '1: text' -> '    1  text', under the shared lines.
  const detail = specific.map((l) => `    ${l.replace(/^(\d+): /, (_m, code: string) => `${code.padEnd(3)}  `)}`);
  return ['', 'Exit codes:', ...EXIT_CODES_LINES.map((l) => `  ${l}`), ...(detail.length > 0 ? [`  for ${path}:`, ...detail] : [])].join('\n');
}

/** The command paths with specific lines (a test checks each names a real command). */
export const COMMANDS_WITH_SPECIFIC_EXIT_CODES = Object.keys(SPECIFIC);
