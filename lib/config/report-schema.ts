/** The config's `coverage` and `report` sections: the inventory of unprotected caches and the scheduled DR report. */
import { z } from 'zod';
import { says } from './messages.js';

/** The coverage inventory (docs/deploying.md): caches no plan names. */
export const coverageSchema = z
  .strictObject({
    alarm: z
      .boolean()
      .default(true)
      .meta({
        description:
          'Alarm unprotected-caches in each region (warning): a cache no plan names that could be protected, for about a day, pages. ' +
          'The freshness monitor counts them either way (UnprotectedCaches); `redis-dr status -c <config> --coverage` lists them.',
      }),
  })
  .prefault({})
  .meta({ description: 'Coverage inventory: every ElastiCache cache of both regions against the plans.' });

/** The scheduled DR report (docs/reports.md). */
export const reportSchema = z
  .strictObject({
    periods: z
      .array(
        z.enum(['weekly', 'monthly'], {
          error: says('must be "weekly" or "monthly"', 'weekly writes the last 7 days every Monday 06:00 UTC, monthly the last month on the 1st 06:00 UTC'),
        }),
      )
      .max(2)
      .refine((ps) => new Set(ps).size === ps.length, { error: says('must name each period once', 'remove the repeated period') })
      .optional()
      .meta({
        description:
          'Scheduled DR reports written by the DR stack under reports/ in the DR bucket (and the vault bucket): "weekly" (the last 7 days, Mondays 06:00 UTC), "monthly" (the last month, the 1st 06:00 UTC). [] turns scheduled reports off. Default: ["weekly", "monthly"].',
      }),
    minRetentionDays: z
      .number({ error: says('must be a whole number of days', 'e.g. 30') })
      .int({ error: says('must be a whole number of days', 'e.g. 30') })
      .min(1, { error: says('must be at least 1 day', 'e.g. 30') })
      .max(36500, { error: says('must be at most 36500 days', 'e.g. 365') })
      .optional()
      .meta({ description: "The retention control's floor: each plan must keep recovery points at least this many days. Default: 30." }),
    policyDocument: z
      .string({ error: says('must be a URL or a path', 'e.g. "https://wiki.example.com/backup-policy" or "s3://grc-bucket/redis-dr/policy.html"') })
      .min(1, { error: says('must not be empty', 'leave it out, or name where `redis-dr policy -c <config>` writes the policy document') })
      .max(2048, { error: says('must be at most 2048 characters', 'a shorter URL') })
      .optional()
      .meta({
        description:
          'Where the backup policy document is kept (ISO 27001 A.8.13: the output of `redis-dr policy -c <config>`, regenerated with every config change): the scheduled reports link to it ("Held against the backup policy"), as `report --policy` does. No link when left out.',
      }),
  })
  .meta({ description: 'The DR report (docs/reports.md): its schedule, the floor of its retention control, and the policy document it links to.' });
