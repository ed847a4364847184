/**
 * The DR report's facts and what is computed from them: per cache, the
 * recovery points of the period and how well they met the RPO (largest gap,
 * days missed, points per day), the DR and vault copies, the drills and
 * their RTO trend, holds and alarms; and a control summary in AWS Backup
 * Audit Manager's terms, pass / fail / not applicable per cache, each with
 * the reason. Pure: the facts and the period come in, the report goes out.
 */
/** A recovery point (snapshot or self-managed backup) of one cache. */
export interface PointFact {
  readonly name: string;
  readonly at: Date;
  readonly keys?: number;
  readonly tier?: string;
}

/** A copy of a recovery point in the DR region or the vault. */
export interface CopyFact {
  readonly key: string;
  readonly at: Date;
  /**
   * `unproven`: a DR copy carries a verdict tag without the verifier's verdict object (not trusted, never `ok`:
   * domain/points/verdict-objects.ts); `pending`: no verdict yet.
   */
  readonly verdict: 'ok' | 'corrupt' | 'unsupported' | 'unproven' | 'pending';
  /** The vault's COMPLIANCE retain-until, when the copy is locked. */
  readonly retainUntil?: Date;
}

/** One cache's plan and history. */
export interface CacheFacts {
  readonly cache: string;
  readonly plan: string;
  readonly rpoMinutes: number;
  readonly timeZone: string;
  /** How long the plan keeps its longest-kept recovery points, in days (retention counts × tier length). */
  readonly retentionDays: number;
  readonly points: readonly PointFact[];
  /** Absent when the plan does not copy to another region (or the shape cannot: self-managed to a local folder). */
  readonly drCopies?: readonly CopyFact[];
  /** Newest DR copy allowed age, minutes (RPO + the export's allowance). */
  readonly drCopyLimitMinutes?: number;
  /** Absent without a vault. */
  readonly vaultCopies?: readonly CopyFact[];
  /** The plan drills this cache, with this RTO target (seconds). */
  readonly rtoTargetSeconds?: number;
  /** `retentionDays` was read from the recovery points there are (a self-managed destination), not from a plan. */
  readonly retentionObserved?: boolean;
  /** Controls that do not apply to this cache's shape, each with the reason (judged n/a, never pass). */
  readonly notApplicable?: Readonly<Partial<Record<ControlId, string>>>;
}

export interface DrillFact {
  readonly cache: string;
  readonly plan: string;
  readonly region: string;
  readonly startedAt: Date;
  readonly passed: boolean;
  /** Start to verified, seconds; absent when the drill did not get that far. */
  readonly rtoSeconds?: number;
  /** Seconds per phase (create, available, verify…), as the drill report measured them. */
  readonly phases?: Readonly<Record<string, number>>;
  readonly checks?: readonly { readonly name: string; readonly ok: boolean }[];
  readonly reason?: string;
  /** `scheduled` (the plan's schedule) or `manual` (`redis-dr drill run`, the selftest, a local drill); absent: not known. */
  readonly trigger?: 'scheduled' | 'manual';
  /** A manual drill: who started it (the caller's IAM ARN), when the record says. */
  readonly startedBy?: string;
  /** The recovery point restored (snapshot or export name). */
  readonly point?: string;
  /** `random`: the point was drawn among the older retained ones (`drill.pointSelection`); absent: the newest. */
  readonly pointSelection?: 'random';
  /** A drill of the separate drill account (config `drillAccount`): that account's id, read from its signed record; absent: the workload account's. */
  readonly account?: string;
}

export interface AlarmEpisode {
  readonly alarm: string;
  readonly from: Date;
  /** Absent while still in ALARM. */
  readonly to?: Date;
}

export interface HoldFact {
  readonly cache: string;
  readonly point: string;
  readonly since: Date;
  readonly reason: string;
  readonly released?: Date;
}

export interface ReportFacts {
  readonly deployment: string;
  readonly generatedAt: Date;
  readonly since: Date;
  readonly until: Date;
  readonly caches: readonly CacheFacts[];
  readonly unprotected: readonly string[];
  readonly unprotectable: readonly { readonly cache: string; readonly why: string }[];
  readonly drills: readonly DrillFact[];
  readonly alarms: readonly AlarmEpisode[];
  readonly holds: readonly HoldFact[];
  /** Retention every cache must reach for the retention control (days). */
  readonly minRetentionDays: number;
  /** Facts that could not be read, each with why (the report is then partial, and says so). */
  readonly problems?: readonly string[];
  /**
   * Sections whose facts have no source where the report is made (the demo has no CloudWatch alarms), each with why:
   * the report says "not collected", never an empty "none" that reads as a pass.
   */
  readonly notCollected?: NotCollected;
  /** Where the backup policy document this report is held against lives (`redis-dr policy`'s file or URL), linked from the report (ISO 27001 A.8.13). */
  readonly policyDocument?: string;
  /** Set when some facts were made up to show the report (the demo's month of history): what, said on the page's top. */
  readonly simulated?: string;
  /** The scrub's coverage, where copies are re-read on a schedule (a self-managed destination's `redis-dr scrub`). */
  readonly scrub?: ScrubCoverage;
  /** The maximum retention and every copy kept, with its hold (report/max-retention.ts). Absent: no maximum set. */
  readonly maxRetention?: { readonly days: number; readonly copies: readonly RetainedCopy[] };
}

/** Report sections that can be not collected. */
export type CollectedSection = 'coverage' | 'holds' | 'alarms';
/** Sections not collected, each with why. */
export type NotCollected = Readonly<Partial<Record<CollectedSection, string>>>;

export type ControlVerdict = 'pass' | 'fail' | 'n/a';

/** A control, named as AWS Backup Audit Manager names its counterpart. */
export interface ControlResult {
  readonly control: ControlId;
  readonly cache: string;
  readonly verdict: ControlVerdict;
  readonly why: string;
}

export const CONTROLS = [
  { id: 'resources-protected', title: 'Resources are protected by a backup plan', auditManager: 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN' },
  { id: 'frequency', title: 'Backup frequency meets the RPO', auditManager: 'BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK (frequency)' },
  { id: 'last-recovery-point', title: 'Last recovery point was created within the RPO', auditManager: 'BACKUP_LAST_RECOVERY_POINT_CREATED' },
  { id: 'retention', title: 'Recovery points are kept long enough', auditManager: 'BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK (retention)' },
  { id: 'cross-region-copy', title: 'Recovery points are copied to another region and verified', auditManager: 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION' },
  { id: 'cross-account-copy', title: 'Recovery points are copied to another account', auditManager: 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT' },
  { id: 'vault-lock', title: 'Copies are locked against deletion (COMPLIANCE)', auditManager: 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK' },
  { id: 'restore-time', title: 'Restore time meets the target', auditManager: 'RESTORE_TIME_FOR_RESOURCES_MEET_TARGET' },
] as const;
export type ControlId = (typeof CONTROLS)[number]['id'];

export interface RpoAttainment {
  readonly points: number;
  /** Largest time without a new recovery point in the period (ms), including from the period's start and to its end. */
  readonly largestGapMs: number;
  /** Where it was. */
  readonly largestGapFrom: Date;
  readonly largestGapTo: Date;
  /** Gaps longer than the RPO: from, to. */
  readonly breaches: readonly { readonly from: Date; readonly to: Date }[];
  /** Days (in the plan's time zone) touched by a gap longer than the RPO. */
  readonly daysMissed: readonly string[];
  /** Days of the period (plan's time zone). */
  readonly days: number;
  /** Recovery points per day (plan's time zone), every day of the period listed. */
  readonly perDay: readonly { readonly day: string; readonly points: number }[];
}

export interface CopySummary {
  readonly copies: number;
  readonly verified: number;
  readonly corrupt: number;
  readonly unsupported: number;
  /** Copies whose verdict tag has no verdict object (counted failed in their week). */
  readonly unproven: number;
  readonly pending: number;
  readonly newestVerifiedAt?: Date;
  /** Verified copies per ISO week (YYYY-Www), every week of the period listed. */
  readonly verifiedPerWeek: readonly { readonly week: string; readonly verified: number; readonly failed: number }[];
}

export interface CacheReport {
  readonly facts: CacheFacts;
  readonly rpo: RpoAttainment;
  readonly dr?: CopySummary;
  readonly vault?: CopySummary & { readonly locked: number; readonly earliestRetainUntil?: Date };
  readonly drills: readonly DrillFact[];
  /** RTO trend over the period: seconds per week (least squares over the drills with an RTO), absent with fewer than two. */
  readonly rtoTrendSecondsPerWeek?: number;
  readonly controls: readonly ControlResult[];
}

export interface DrReport {
  readonly deployment: string;
  readonly generatedAt: Date;
  readonly since: Date;
  readonly until: Date;
  readonly caches: readonly CacheReport[];
  readonly unprotected: readonly string[];
  readonly unprotectable: readonly { readonly cache: string; readonly why: string }[];
  readonly alarms: readonly (AlarmEpisode & { readonly minutesInAlarm: number })[];
  readonly holds: readonly HoldFact[];
  /** Every control of every cache, and of the unprotected ones. */
  readonly controls: readonly ControlResult[];
  readonly summary: { readonly pass: number; readonly fail: number; readonly notApplicable: number };
  /** Facts that could not be read: a report with any is partial. */
  readonly problems: readonly string[];
  /** Sections with no source where the report was made, each with why (shown as "not collected"). */
  readonly notCollected: NotCollected;
  /** Where the backup policy document this report is held against lives (`redis-dr policy`'s file or URL), linked from the report (ISO 27001 A.8.13). */
  readonly policyDocument?: string;
  /** Some facts were simulated (the demo's history): what, shown first. */
  readonly simulated?: string;
  /** The scrub's coverage, when the facts had it. */
  readonly scrub?: ScrubCoverage;
  /** Report-wide checks (report/audits.ts): a failed one fails the report as a control does. Absent: none made. */
  readonly audits?: readonly AuditResult[];
}

/** How far the scrub (the scheduled re-read of stored copies) has got at the report's end (domain/scrub/coverage.ts). */
export interface ScrubCoverage {
  /** Every copy is to be read and found good within this many days. */
  readonly days: number;
  readonly copies: number;
  /** Copies read and found good within `days` (a re-read, or the read-back on arrival of a younger copy). */
  readonly readWithinDays: number;
  /** Copies re-read by a scrub at least once and found good. */
  readonly reRead: number;
  /** The copy read longest ago (never re-read: its arrival), and when. */
  readonly oldestRead?: { readonly file: string; readonly at: Date };
  /** Copies whose newest re-read found them bad, with what did not match. */
  readonly failing: readonly { readonly file: string; readonly at: Date; readonly problems: readonly string[] }[];
  /** The newest scrub run; absent when none ran. */
  readonly lastRunAt?: Date;
}

/** A report-wide check beyond the per-cache controls (scrub coverage, maximum retention, holds), one line each. */
export interface AuditResult {
  readonly check: 'scrub' | 'max-retention' | 'hold';
  /** What it is about: a copy, a hold's point, the destination. */
  readonly subject: string;
  readonly verdict: 'pass' | 'fail';
  readonly why: string;
}

/** A copy that is kept: where (primary snapshot, DR copy, vault replica, a destination's backup), since when, and what holds it. */
export interface RetainedCopy {
  readonly cache: string;
  readonly point: string;
  /** `primary`, `dr`, `vault` or the destination's URL. */
  readonly where: string;
  readonly at: Date;
  /** What holds it (plans/holds.ts parseHold): its reason, expiry and, an operator's hold, who put it. */
  readonly hold?: { readonly reason?: string; readonly expiresAt?: Date; readonly by?: string };
  /** This copy's own maximum (its plan's `maxRetentionDays`), when plans differ; else the report's. */
  readonly maxDays?: number;
}
