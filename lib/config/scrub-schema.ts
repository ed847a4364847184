/** The config's `scrub` section: the daily scrub of the DR bucket (lib/constructs/dr-scrub.ts). */
import { z } from 'zod';
import { says } from './messages.js';

/** The scheduled scrub of the DR bucket's copies (docs/scrub.md). */
export const scrubSchema = z
  .strictObject({
    days: z
      .number({ error: says('must be a whole number of days', 'e.g. 30') })
      .int({ error: says('must be a whole number of days', 'e.g. 30') })
      .min(1, { error: says('must be at least 1 day', 'e.g. 30') })
      .max(3650, { error: says('must be at most 3650 days', 'e.g. 30') })
      .optional()
      .meta({
        description:
          'Every retained DR copy is re-read (structure, CRC-64, recorded key counts, primary-region twin) within this many days by the daily scrub. Default: 30.',
      }),
  })
  .meta({ description: 'The daily scrub of the DR bucket (docs/scrub.md): stored copies tested again, as NIST 800-53 CP-9(1) and SOC 2 A1.3 ask.' });
