/**
 * What the DR scrub's schedule sends its Lambda (lib/constructs/dr-scrub.ts):
 * the DR bucket, the bound in days, and where the copies' primary-region
 * twins are. Pure.
 */
import { z } from 'zod';
import { isoInstant } from '../plans/plan-input.js';

/** The prefix of the DR scrub's records in the DR bucket (never an `.rdb` key: never listed as a copy). */
export const SCRUB_RECORDS_PREFIX = 'scrub/';

/** The scheduled scrub's input. */
export const drScrubInputSchema = z.object({
  /** The DR bucket whose `.rdb` copies are re-read. */
  bucket: z.string().min(3),
  /** Every copy re-read within this many days (config `scrub.days`). */
  days: z.number().int().positive(),
  /** The primary region's export bucket: each copy's twin (same key) is looked up there. */
  primary: z.object({ bucket: z.string().min(3), region: z.string().min(1) }).optional(),
  /** The Scheduler's tick, as every schedule sends it (lib/constructs/plan-schedules.ts); the sample is taken at the run's own clock. */
  scheduledTime: isoInstant.optional(),
});
export type DrScrubInput = z.infer<typeof drScrubInputSchema>;
