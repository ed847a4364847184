import { z } from 'zod';
import type { Alert } from '../../adapters/aws/alerts.js';
import type { MetricsSink } from '../../adapters/aws/metrics.js';
import type { LogSink } from '../kernel/deps.js';
import { drillInputSchema, expectedDataSchema, recoveryPointChoiceSchema } from '../../domain/drills/drill.js';
import { buildDrillReport, isoInstantSchema, type DrillOutcome } from '../../domain/drills/report.js';
import { drillEvidenceRecord } from '../../domain/drills/evidence-record.js';
import { type DrillEvidence, writeDrillEvidence } from './drill-evidence.js';

/**
 * Drill report (last task of the restore drill state machine, both regions):
 * formats what the drill found, publishes it to the region's alert topic
 * (every drill, passed or failed: subscriptions filter on the `severity` and
 * `outcome` attributes), and emits DrillSucceeded, DrillRtoSeconds,
 * RestoreSeconds and VerifySeconds.
 *
 * With the deployment's evidence key (a DR bucket), the drill's record is
 * then signed into the chain of its plan's drills in its region and written
 * to the DR bucket (jobs/drills/drill-evidence.ts); a record that cannot be
 * signed or stored throws, so the execution fails (DrillReportFailed) and
 * pages: never an unsigned record where records are signed.
 *
 * A failed drill is reported, not thrown: this Lambda succeeds and returns
 * `ok: false`, and the state machine then ends in its Fail state itself, so
 * the failure is both reported and visible as a failed execution. It throws
 * only when it cannot report (bad input, SNS refused), for the state
 * machine's retry.
 */

// Step Functions passes `null` for what a path did not produce: both mean "absent".
const absent = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

const checkResultSchema = z.object({
  name: z.enum(['canary', 'key-count', 'type-histogram', 'expect-keys', 'expect-values', 'sample']),
  ok: z.boolean(),
  skipped: absent(z.boolean()),
  expected: z.string(),
  found: z.string(),
});

/** The verify Lambda's `DrillVerifyReport`. */
const verifyReportSchema = z.object({
  ok: z.boolean(),
  keys: z.number().int().nonnegative(),
  byType: expectedDataSchema.shape.byType.unwrap(),
  checks: z.array(checkResultSchema),
  seconds: z.number().nonnegative(),
});

const accessCleanupSchema = z.object({ id: z.string().min(1), deleted: z.boolean(), error: absent(z.string()) });

/** The report task's input, as the state machine assembles it. */
export const drillReportEventSchema = z.object({
  input: drillInputSchema,
  choice: absent(recoveryPointChoiceSchema),
  verify: absent(verifyReportSchema),
  /** A Catch's `{Error, Cause}` when a step failed. */
  error: absent(z.object({ Error: z.string().min(1), Cause: absent(z.string()) })),
  timings: z.object({
    startedAt: isoInstantSchema,
    createdAt: absent(isoInstantSchema),
    availableAt: absent(isoInstantSchema),
    verifiedAt: absent(isoInstantSchema),
    deletedAt: absent(isoInstantSchema),
  }),
  /** `null` when the drill ended before a cluster could exist (select failed, or a choice the drill cannot restore). */
  cleanup: z
    .object({ deleted: z.boolean(), clusterId: absent(z.string().min(1)), error: absent(z.string()), skipped: absent(z.string()) })
    .nullish()
    .transform((c) => c ?? { deleted: false }),
  /** Serverless drills with the execution's token: `{id, deleted, error}` of its user group and user (null when not made). */
  access: z
    .object({ userGroup: absent(accessCleanupSchema), user: absent(accessCleanupSchema) })
    .nullish()
    .transform((a) => a ?? undefined),
  /** The AUTH token secret's delete (`{deleted: true}` or `{deleted: false, arn, error}`); null when no secret was stored. */
  secretCleanup: absent(z.object({ deleted: z.boolean(), arn: absent(z.string()), error: absent(z.string()) })),
  region: z.string().min(1),
  /** The execution's ARN (`$$.Execution.Id`): named in the drill's evidence record. */
  execution: absent(z.string().min(1)),
  /** Drills from the vault: the seed copies' delete (`{deleted, bucket, keys, versions}` or `{deleted: false, error}`); null when no copy was made. */
  seedCleanup: absent(
    z.object({
      deleted: z.boolean(),
      bucket: absent(z.string()),
      keys: absent(z.array(z.string())),
      versions: absent(z.number().int().nonnegative()),
      error: absent(z.string()),
    }),
  ),
});
export type DrillReportEvent = z.input<typeof drillReportEventSchema>;

/** What the report step returns: whether the drill passed, and the message sent. */
export interface DrillReportResult {
  readonly ok: boolean;
  readonly summary: string;
  /** The signed record's key in the DR bucket, when the drill's evidence is kept. */
  readonly record?: string;
}

/** Everything the report step needs from the outside world. */
export interface DrillReportDeps {
  readonly publish: (alert: Alert) => Promise<void>;
  readonly metrics: MetricsSink;
  readonly log: LogSink;
  /** Where the drill's signed record goes (the DR bucket, the evidence key); none without a DR bucket. */
  readonly evidence?: DrillEvidence;
}

/** Reports one drill: metrics first (they must exist even if SNS fails), then the message. */
export async function reportDrill(outcome: DrillOutcome & { readonly execution?: string }, deps: DrillReportDeps): Promise<DrillReportResult> {
  const report = buildDrillReport(outcome);
  for (const m of report.metrics) deps.metrics.put(m.name, m.value, m.unit, m.dimensions);
  const log = { ...report.attributes, failedStep: report.failedStep, rtoSeconds: report.rtoSeconds, leftBehind: report.leftBehind };
  if (report.ok) deps.log.info('restore drill passed', log);
  else deps.log.error('restore drill failed', log);
  await deps.publish({ subject: report.subject, message: report.body, attributes: report.attributes });
  if (!deps.evidence) return { ok: report.ok, summary: report.body };
  const finishedAt = (deps.evidence.now ?? (() => new Date()))();
  const { key, attestation, orgKey } = await writeDrillEvidence(drillEvidenceRecord(outcome, report, finishedAt, outcome.execution), deps.evidence);
  deps.log.info('drill record signed and stored', { bucket: deps.evidence.bucket, key, seq: attestation.seq, ...(orgKey ? { orgKey } : {}) });
  return { ok: report.ok, summary: report.body, record: key };
}
