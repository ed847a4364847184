/**
 * A restore drill's evidence record (docs/attest.md): what the drill found,
 * in a form an auditor reads without the tool (plan, region, target, the
 * point restored and how it was chosen, who started it, whether the data
 * came back and in what time against the objective), signed into the chain
 * of the drills of its plan in its region. Pure.
 */
import { drillTriggerOf } from '../points/freshness.js';
import type { DrillOutcome, DrillReport } from './report.js';

/** `drills/<region>/<plan>/`: one chain per plan and region (drills of two regions and several plans run at once). */
export const DRILL_EVIDENCE_PREFIX = 'drills/';

/** Where the records of one plan's drills in one region are kept, in the DR bucket. */
export function drillChainPrefix(region: string, plan: string): string {
  return `${DRILL_EVIDENCE_PREFIX}${region}/${plan}/`;
}

/** Digits of a record's place in its chain, in its name: names sort as the chain does. */
const SEQ_DIGITS = 8;

/**
 * `redis-dr-drill-00000042.json`: a record is named by its place in the chain, so two drills that read the same
 * head cannot both write the next place (the write is conditional: If-None-Match).
 */
export function drillRecordKey(region: string, plan: string, seq: number): string {
  return `${drillChainPrefix(region, plan)}redis-dr-drill-${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
}

/** The chain (region, plan) and place of a record's key (`drills/<region>/<plan>/redis-dr-drill-<seq>.json`); undefined for any other key. */
export function parseDrillRecordKey(key: string): { readonly region: string; readonly plan: string; readonly seq: number } | undefined {
  if (!key.startsWith(DRILL_EVIDENCE_PREFIX)) return undefined;
  const m = /^([^/]+)\/([^/]+)\/redis-dr-drill-(\d+)\.json$/.exec(key.slice(DRILL_EVIDENCE_PREFIX.length));
  return m ? { region: m[1]!, plan: m[2]!, seq: Number(m[3]) } : undefined;
}

/** The record, before its attestation. */
export interface DrillEvidenceRecord {
  readonly kind: 'redis-dr-drill';
  readonly deployment: string;
  readonly plan: string;
  readonly region: string;
  /** The Step Functions execution (its ARN), when the state machine passed it. */
  readonly execution?: string;
  /** `manual` when the input names who started it (`redis-dr drill run`) or the execution's name is the CLI's or the selftest's, else `scheduled`. */
  readonly trigger: 'scheduled' | 'manual';
  readonly startedBy?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly target?: string;
  /** The recovery point restored (snapshot or export name). */
  readonly point?: string;
  readonly pointCreatedAt?: string;
  /** `newest`, or `random` (drawn among `drawnFrom` older retained points). */
  readonly pointSelection: 'newest' | 'random';
  readonly drawnFrom?: number;
  /** Snapshots of the target not drilled because each is marked a keyspace collapse: how many, and the newest. */
  readonly collapsedPassedOver?: { readonly count: number; readonly newest: string };
  readonly passed: boolean;
  readonly failedStep?: string;
  readonly rtoSeconds?: number;
  readonly rtoTargetSeconds: number;
  readonly rtoMet?: boolean;
  readonly restoreSeconds?: number;
  readonly verifySeconds?: number;
  readonly keys?: number;
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly expected: string; readonly found: string }[];
  /** A drill cluster that was not deleted. */
  readonly leftBehind?: string;
  /** The report's subject line. */
  readonly summary: string;
}

/** The record of a drill from what its report step was given and what it concluded. */
export function drillEvidenceRecord(o: DrillOutcome, report: DrillReport, finishedAt: Date, execution?: string): DrillEvidenceRecord {
  const { input, choice, verify } = o;
  // One rule with the report's (domain/points/freshness.ts): who is named, else the execution's name says.
  const trigger = execution ? drillTriggerOf({ executionArn: execution, input: JSON.stringify(input) }).trigger : input.startedBy ? 'manual' : 'scheduled';
  return {
    kind: 'redis-dr-drill',
    deployment: input.deployment,
    plan: input.plan,
    region: o.region,
    ...(execution ? { execution } : {}),
    trigger,
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
    startedAt: o.timings.startedAt,
    finishedAt: finishedAt.toISOString(),
    ...(choice ? { target: choice.target, point: choice.recoveryPoint, pointCreatedAt: choice.createdAt } : {}),
    pointSelection: choice?.selection?.mode ?? input.pointSelection ?? 'newest',
    ...(choice?.selection ? { drawnFrom: choice.selection.drawnFrom } : {}),
    ...(choice?.collapsedPassedOver ? { collapsedPassedOver: { count: choice.collapsedPassedOver.count, newest: choice.collapsedPassedOver.newest } } : {}),
    passed: report.ok,
    ...(report.failedStep ? { failedStep: report.failedStep } : {}),
    ...(report.rtoSeconds !== undefined ? { rtoSeconds: report.rtoSeconds } : {}),
    rtoTargetSeconds: input.rtoMinutes * 60,
    ...(report.rtoMet !== undefined ? { rtoMet: report.rtoMet } : {}),
    ...(report.restoreSeconds !== undefined ? { restoreSeconds: report.restoreSeconds } : {}),
    ...(report.verifySeconds !== undefined ? { verifySeconds: report.verifySeconds } : {}),
    ...(verify ? { keys: verify.keys } : {}),
    checks: (verify?.checks ?? []).filter((c) => !c.skipped).map((c) => ({ name: c.name, ok: c.ok, expected: c.expected, found: c.found })),
    ...(report.leftBehind ? { leftBehind: report.leftBehind } : {}),
    summary: report.subject,
  };
}
