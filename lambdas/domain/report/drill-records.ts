/**
 * The drills of the separate drill account (config `drillAccount`) as the
 * DR report counts them: each drill's signed evidence record
 * (domain/drills/evidence-record.ts), kept in the drill account's own bucket,
 * becomes a drill fact named with that account, so the report shows drills
 * on systems segregated from the source as such (DORA art. 12, NIST
 * CP-9(2)). The workload's report never reads the drill account's Step
 * Functions: the record is what that account attests. Pure.
 */
import { z } from 'zod';
import type { DrillFact } from './model.js';

const isoInstant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 instant' });

/** The fields of a drill record the report reads (the record has more; they stay unread). */
const drillRecordSchema = z.object({
  kind: z.literal('redis-dr-drill'),
  deployment: z.string(),
  plan: z.string(),
  region: z.string(),
  trigger: z.enum(['scheduled', 'manual']),
  startedBy: z.string().optional(),
  startedAt: isoInstant,
  finishedAt: isoInstant,
  target: z.string().optional(),
  point: z.string().optional(),
  pointSelection: z.enum(['newest', 'random']),
  passed: z.boolean(),
  failedStep: z.string().optional(),
  rtoSeconds: z.number().nonnegative().optional(),
  restoreSeconds: z.number().nonnegative().optional(),
  verifySeconds: z.number().nonnegative().optional(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean() })).default([]),
  summary: z.string(),
  attestation: z.object({ seq: z.number().int().positive() }).loose(),
});

/** A drill record as the report reads it. */
export type DrillRecordView = z.infer<typeof drillRecordSchema>;

/**
 * Parses a drill record's text; a problem line (naming `where`) instead when
 * it is not a signed drill record of `deployment`.
 */
export function parseDrillRecord(text: string, where: string, deployment: string): DrillRecordView | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `${where} is not JSON (changed or damaged): \`redis-dr attest\` names what is wrong with the chain`;
  }
  const parsed = drillRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${where} is not a signed drill record (${issue.path.join('.') || 'record'}: ${issue.message}): \`redis-dr attest\` names what is wrong with the chain`;
  }
  if (parsed.data.deployment !== deployment)
    return `${where} is a drill record of deployment ${JSON.stringify(parsed.data.deployment)}, not ${JSON.stringify(deployment)}: not counted`;
  return parsed.data;
}

/** A drill of the drill account `account` as the report's drill fact. */
export function drillFactOfRecord(r: DrillRecordView, account: string): DrillFact {
  const phases = {
    ...(r.restoreSeconds !== undefined ? { restore: r.restoreSeconds } : {}),
    ...(r.verifySeconds !== undefined ? { verify: r.verifySeconds } : {}),
  };
  return {
    cache: r.target ?? 'none',
    plan: r.plan,
    region: `${r.region} (drill account ${account})`,
    account,
    startedAt: new Date(r.startedAt),
    passed: r.passed,
    trigger: r.trigger,
    ...(r.startedBy ? { startedBy: r.startedBy } : {}),
    ...(r.point ? { point: r.point } : {}),
    ...(r.pointSelection === 'random' ? { pointSelection: 'random' as const } : {}),
    ...(r.rtoSeconds !== undefined ? { rtoSeconds: r.rtoSeconds } : {}),
    ...(Object.keys(phases).length > 0 ? { phases } : {}),
    ...(r.checks.length > 0 ? { checks: r.checks.map((c) => ({ name: c.name, ok: c.ok })) } : {}),
    ...(r.passed ? {} : { reason: r.summary }),
  };
}
