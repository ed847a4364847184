/**
 * What the scrub's schedule sends its Lambda (lib/constructs/dr-scrub.ts, the
 * vault stack's too): the bucket, the bound in days, and where the copies' primary-region
 * twins are. Pure.
 */
import { z } from 'zod';
import { isoInstant } from '../plans/plan-input.js';
import { orgEvidenceSchema } from '../points/account-prefix.js';

/** The prefix of the DR scrub's records in the DR bucket (never an `.rdb` key: never listed as a copy). */
export const SCRUB_RECORDS_PREFIX = 'scrub/';

/**
 * The prefix of the vault scrub's records in the vault bucket: reserved like the verdicts' (VaultBucket), so
 * nothing S3 replication brings from a workload account can pose as one.
 */
export const VAULT_SCRUB_RECORDS_PREFIX = 'redis-dr-vault-scrub/';

/** The scheduled scrub's input. */
export const drScrubInputSchema = z.object({
  /** The bucket whose `.rdb` copies are re-read: the DR bucket, or the vault bucket (`place: vault`). */
  bucket: z.string().min(3),
  /** Which bucket it is: the DR bucket (judged by verify-rdb's tags) or the vault (by the vault verifier's verdict objects). */
  place: z.enum(['dr', 'vault']).optional(),
  /** Every copy re-read within this many days (config `scrub.days`). */
  days: z.number().int().positive(),
  /** The primary region's export bucket: each copy's twin (same key) is looked up there. */
  primary: z.object({ bucket: z.string().min(3), region: z.string().min(1) }).optional(),
  /**
   * A vault of an organization (config `vault.organizationId`, the DR scrub only): each run's record is also written
   * under the DR bucket's `<account>/<region>/scrub/` (domain/points/account-prefix.ts), the prefix that replicates
   * into the organization's vault.
   */
  orgEvidence: orgEvidenceSchema.optional(),
  /** The Scheduler's tick, as every schedule sends it (lib/constructs/plan-schedules.ts); the sample is taken at the run's own clock. */
  scheduledTime: isoInstant.optional(),
});
export type DrScrubInput = z.infer<typeof drScrubInputSchema>;
