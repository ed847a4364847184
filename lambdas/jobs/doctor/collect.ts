/**
 * `redis-dr doctor`'s collection: every check of a deployed config, both
 * regions — the infrastructure checks (checks.ts), the recovery points and
 * drills `status` measures (the freshness monitor's code) and the coverage
 * `status --coverage` lists, turned into checks, and with a vault its
 * copies. The CLI maps the outcome to its exit code and prints
 * (cli/commands/doctor/action.ts).
 */
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { countChecks, type DoctorCheck, doctorExitCode, sortChecks } from '../../domain/doctor/check.js';
import { retentionText } from '../../domain/vault/vault-copies.js';
import { age } from '../../domain/plans/age.js';
import type { VaultReport } from '../vault/vault-copies.js';
import { awsProblem, type OperatorClients } from '../kernel/clients.js';
import { connectionProblem } from '../kernel/connection-problem.js';
import type { JobOutcome } from '../kernel/outcome.js';
import { collectCoverage } from '../status/coverage.js';
import { collectStatus, type DrillStatus, type StatusCopies, type StatusReport, type StatusRow } from '../status/collect.js';
import { type CopyRef, doctorClients, runDoctorChecks } from './checks.js';
import { doctorInput } from './expectations.js';
import { RUNBOOKS } from '../../domain/alerting/catalog.js';

/** Everything doctor found (what `--json` prints, with the exit code the CLI adds). */
export interface DoctorCollection {
  readonly deployment: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly account: string;
  readonly at: string;
  readonly checks: readonly DoctorCheck[];
  readonly counts: { readonly pass: number; readonly warn: number; readonly fail: number };
}

/** ok when every check passed or only warned, failed when any failed (a check that could not look fails). */
export function doctorOutcome(checks: readonly DoctorCheck[]): Extract<JobOutcome, 'ok' | 'failed'> {
  return doctorExitCode(checks) === 0 ? 'ok' : 'failed';
}

const RUNBOOK: Record<string, string> = {
  snapshot: RUNBOOKS.backupsStopped,
  'exported copy': RUNBOOKS.drCopies,
  'verified DR copy': RUNBOOKS.drCopies,
  'last good drill': RUNBOOKS.restoreDrill,
  'scrub record': RUNBOOKS.corruption,
};

/** A recovery point age from `status` as a check: ok passes, late fails, none yet warns (its alarm fails later), not measured fails. */
export function recoveryPointCheck(r: StatusRow): DoctorCheck {
  const base = { section: 'recovery points', region: r.region, subject: `${r.plan}/${r.target} ${r.what}` } as const;
  const limit = `limit ${age(r.limitSeconds)}`;
  switch (r.state) {
    case 'ok':
      return { ...base, state: 'pass', detail: `${r.name ?? 'newest'} is ${age(r.ageSeconds ?? 0)} old (${limit})`, fix: null };
    case 'late':
      return { ...base, state: 'fail', detail: `${r.name ?? 'newest'} is ${age(r.ageSeconds ?? 0)} old, over its ${limit}`, fix: `see ${RUNBOOK[r.what]}` };
    case 'missing':
      return {
        ...base,
        state: 'warn',
        detail: `none yet${r.detail ? ` (${r.detail})` : ''}`,
        fix: 'normal until the first scheduled run after a deploy; its alarm pages if none comes within the limit',
      };
    default:
      return { ...base, state: 'fail', detail: `not measured: ${r.detail ?? 'unknown error'}`, fix: 'see the error (a missing permission is named in it)' };
  }
}

/** A plan's newest drill from `status` as a check: its result and RTO against `drill.rtoMinutes`. */
export function drillCheck(d: DrillStatus): DoctorCheck {
  const base = { section: 'drills', region: d.region, subject: `${d.plan} ${d.where} drill` } as const;
  const run = `redis-dr drill run --plan ${d.plan}${d.where === 'dr' ? ' --where dr' : ''}`;
  if (d.status === 'none') return { ...base, state: 'warn', detail: 'no drill has run yet', fix: `wait for the drill schedule, or start one: ${run}` };
  if (d.status === 'RUNNING') return { ...base, state: 'warn', detail: `running since ${d.startedAt ?? '?'}`, fix: 'run doctor again when it has finished' };
  const rto = d.rtoSeconds === null ? 'RTO not reported' : `RTO ${age(d.rtoSeconds)} (objective ${age(d.rtoObjectiveSeconds)})`;
  const what = `${d.status} ${d.stoppedAt ?? d.startedAt ?? ''}${d.target ? `, ${d.target} from ${d.recoveryPoint ?? '?'}` : ''}`;
  if (d.status !== 'SUCCEEDED' || d.passed === false) {
    return {
      ...base,
      state: 'fail',
      detail: `${what}, ${rto}${d.summary ? ` - ${d.summary}` : ''}`,
      fix: `see ${RUNBOOKS.restoreDrill} (${d.executionArn ?? 'the execution'})`,
    };
  }
  if (d.rtoSeconds !== null && d.rtoSeconds > d.rtoObjectiveSeconds) {
    return {
      ...base,
      state: 'fail',
      detail: `${what}, ${rto}: the objective was missed`,
      fix: `see ${RUNBOOKS.restoreDrill}: a larger drill.nodeType, or an RTO objective the restore can meet`,
    };
  }
  return { ...base, state: 'pass', detail: `${what}, ${rto}`, fix: null };
}

/** The recovery point and drill checks from what `status` measured. */
export function statusChecks(report: StatusReport): DoctorCheck[] {
  return [
    ...report.rows.filter((r) => r.what !== 'last good drill').map(recoveryPointCheck),
    ...(report.scrub ? [recoveryPointCheck(report.scrub)] : []),
    ...report.drills.map(drillCheck),
    ...report.problems.map(
      (p): DoctorCheck => ({
        section: 'recovery points',
        region: null,
        subject: 'status',
        state: 'fail',
        detail: `not measured: ${p}`,
        fix: 'see the error (a missing permission is named in it)',
      }),
    ),
  ];
}

/**
 * The vault's copies from what `status` read, as checks: a recovery point
 * within the DR-copy limit passes; late, or copies none of which is a
 * recovery point with one verified corrupt, fail; none yet warns (the first
 * export after a deploy); a vault not read fails with its fix.
 */
export function vaultChecks(v: VaultReport): DoctorCheck[] {
  const checks: DoctorCheck[] = v.targets
    .filter((t) => t.state !== 'error')
    .map((t): DoctorCheck => {
      const base = { section: 'vault', region: v.region, subject: `${t.plan}/${t.target} vault copy` } as const;
      const limit = `limit ${age(t.limitSeconds)}`;
      const p = t.newestRecoveryPoint;
      const held = p ? `${p.exportName} is ${age(p.ageSeconds)} old (${limit}), verified ok, retained until ${retentionText(p)}` : '';
      const newer = t.newer ? `; ${t.newer}` : '';
      if (t.state === 'ok') return { ...base, state: 'pass', detail: `${held}${newer}`, fix: null };
      const replication = `check doctor's "replication to the vault" line and the vault stack's alarms (${RUNBOOKS.drCopies})`;
      if (t.state === 'late') return { ...base, state: 'fail', detail: `${held}: over its limit${newer}`, fix: replication };
      const corrupt = t.copies.some((c) => c.verification === 'corrupt');
      if (t.copies.length > 0 && corrupt) return { ...base, state: 'fail', detail: t.detail, fix: `see ${RUNBOOKS.corruption}` };
      return {
        ...base,
        state: 'warn',
        detail: `none yet: ${t.detail}`,
        fix: `normal until the first export after a deploy reaches the vault and its verifier; else ${replication}`,
      };
    });
  for (const p of v.problems) {
    checks.push({ section: 'vault', region: v.region, subject: `s3://${v.bucket}`, state: 'fail', detail: 'vault copies not read', fix: p });
  }
  return checks;
}

/** A target's newest complete export in the export bucket and newest verified DR copy, from what status listed. */
export function newestCopies(c: StatusCopies): { exported?: CopyRef; verifiedDr?: CopyRef } {
  const all = [...c.points].sort((a, b) => b.recoveryPoint.localeCompare(a.recoveryPoint)).flatMap((p) => p.copies);
  const ref = (x: { region: string; bucket: string; exportName: string } | undefined): CopyRef | undefined =>
    x && { region: x.region, bucket: x.bucket, exportName: x.exportName };
  return {
    exported: ref(all.find((x) => x.where === 'primary' && x.complete)),
    verifiedDr: ref(all.find((x) => x.where === 'dr' && x.verification === 'ok')),
  };
}

/** Every check of the deployment (the credentials are known good: runAwsCommand checked them). */
export async function collectDoctor(config: RedisDrConfig, aws: OperatorClients, deploy: string): Promise<DoctorCollection> {
  const now = new Date(aws.clock.now());
  const configured = config.primary.account ?? config.dr.account;
  // runAwsCommand refused missing credentials and another account's; STS may still be unreachable.
  const caller = await aws.identity().then(
    (a) => ({ ok: true as const, account: a }),
    (err: unknown) => ({ ok: false as const, problem: awsProblem(err) }),
  );
  const account = caller.ok ? caller.account : await aws.account();
  const checks: DoctorCheck[] = [
    caller.ok
      ? {
          section: 'credentials',
          region: null,
          subject: `account ${account}`,
          state: 'pass',
          detail: configured ? 'the account the config names (primary.account)' : "the config names no account: the caller's is checked",
          fix: null,
        }
      : {
          section: 'credentials',
          region: null,
          subject: `account ${account}`,
          state: 'warn',
          detail: `not confirmed: STS GetCallerIdentity failed in both regions (${caller.problem}); the config's account is assumed`,
          fix: 'check the network route to STS (a VPC endpoint policy, a proxy)',
        },
  ];

  // Recovery points first: the newest snapshot of each target sizes the drill's node type.
  let status: StatusReport | undefined;
  let statusProblem: string | undefined;
  try {
    status = await collectStatus(config, aws);
  } catch (err) {
    statusProblem = awsProblem(err);
  }
  const newestSnapshots = new Map((status?.rows ?? []).filter((r) => r.what === 'snapshot' && r.name).map((r) => [r.target, r.name!]));
  const copies = new Map((status?.copies ?? []).map((c) => [c.target, newestCopies(c)]));
  // Throttled calls are retried for up to 2 minutes from here (status has its own budget).
  const run = await runDoctorChecks({ ...doctorInput(config, account, (r) => aws.partition(r), deploy, now), newestSnapshots, copies }, doctorClients(aws));
  checks.push(...run.checks);

  // With no stack deployed, every age is "missing": one line says why instead. A region AWS did
  // not answer in has its network line; whether its stack is deployed is not known, so no "deploy first".
  if (run.deployed.length === 0) {
    if (run.unreachable.length === 0)
      checks.push({
        section: 'recovery points',
        region: null,
        subject: 'recovery points and drills',
        state: 'fail',
        detail: 'not measured: no stack of the deployment is deployed',
        fix: `deploy first: ${deploy}`,
      });
  } else if (status) {
    checks.push(...statusChecks(status));
    if (status.vault) checks.push(...vaultChecks(status.vault));
  } else {
    checks.push({
      section: 'recovery points',
      region: null,
      subject: 'recovery points and drills',
      state: 'fail',
      detail: `not measured: ${statusProblem}`,
      fix: 'see the error (a missing permission is named in it)',
    });
  }

  const coverage = await collectCoverage(config, aws);
  for (const c of coverage.caches.filter((x) => x.state === 'unprotected')) {
    checks.push({
      section: 'coverage',
      region: c.region,
      subject: `${c.kind} ${c.id}`,
      state: 'warn',
      detail: 'unprotected: no plan protects it',
      fix: "add it to a plan's targets (or tag it for a selectByTags plan; in an organization, set defaultTier or its redis-dr:tier tag) and deploy, if it holds data worth keeping",
    });
  }
  for (const p of coverage.problems)
    checks.push({
      section: 'coverage',
      region: null,
      subject: 'caches',
      state: 'fail',
      detail: `not listed: ${p}`,
      // AWS not reached: the route is the fix, not a permission.
      fix: connectionProblem(p) ? 'fix the route to AWS named (the network line)' : 'grant the permissions named',
    });
  if (coverage.unprotected === 0 && coverage.problems.length === 0) {
    const protectedCount = coverage.caches.filter((c) => c.state === 'protected').length;
    checks.push({
      section: 'coverage',
      region: null,
      subject: 'caches',
      state: 'pass',
      detail: `${protectedCount} protected, none unprotected (${coverage.caches.length} listed in both regions)`,
      fix: null,
    });
  }

  const sorted = sortChecks(checks);
  return {
    deployment: config.name,
    primaryRegion: config.primary.region,
    drRegion: config.dr.region,
    account,
    at: now.toISOString(),
    checks: sorted,
    counts: countChecks(sorted),
  };
}
