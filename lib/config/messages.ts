/**
 * Problem texts of the deployment config: every problem reads
 * `<path> <what is wrong>, got <value>[: <fix>]`, with did-you-mean
 * suggestions for unknown settings, regions and time zones.
 */
import type { z } from 'zod';
import { closest } from '../../lambdas/domain/plans/did-you-mean.js';
import { formatPath } from '../../lambdas/domain/plans/problems.js';
import { KNOWN_REGIONS, REGION_SUGGESTIONS } from './defaults.js';

// The grammar of a problem is shared with the Lambdas' inputs (one message for one setting, wherever it is read).
export { defaultMessage, formatPath, says, show } from '../../lambdas/domain/plans/problems.js';

export function regionFix(input: unknown): string {
  const guess = typeof input === 'string' ? closest(input, KNOWN_REGIONS) : undefined;
  const some = `known regions include ${REGION_SUGGESTIONS.join(', ')}`;
  return guess ? `did you mean "${guess}"? (${some})` : `use an AWS region code; ${some}`;
}

export function timeZoneFix(input: unknown): string {
  const zones = ['UTC', ...Intl.supportedValuesOf('timeZone')];
  const guess = typeof input === 'string' ? closest(input, zones) : undefined;
  const some = 'use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"';
  return guess ? `did you mean "${guess}"? (${some})` : some;
}

/** A Secrets Manager secret ARN; group 1 is its region. */
/** A KMS key ARN: `arn:<partition>:kms:<region>:<account>:key/<id>` (groups: region, account). */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]{1,128}$/;
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/;

/** ElastiCache replication group ids and serverless cache names share these rules. */
export const ELASTICACHE_ID = /^(?!.*--)[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export function elastiCacheIdProblem(value: string): string | undefined {
  if (value.length < 1 || value.length > 40) return `must be 1-40 characters long`;
  if (!/^[a-zA-Z]/.test(value)) return 'must start with a letter';
  if (/[A-Z]/.test(value)) return 'must be lowercase';
  if (/[^a-zA-Z0-9-]/.test(value)) return 'may only contain lowercase letters, digits and hyphens';
  if (value.endsWith('-')) return 'must not end with a hyphen';
  if (value.includes('--')) return 'must not contain two hyphens in a row';
  return undefined;
}

/**
 * Settings that existed and were removed, by path: a config that still has
 * one is told why and what to do instead, not "not a known setting".
 */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  'vault.kmsKeyArn':
    'was removed: S3 replicates SSE-S3 objects (every export is SSE-S3: ElastiCache exports and seeds only SSE-S3) as SSE-S3 whatever key the rule names, ' +
    "so the key encrypted no replica, only the vault verifier's verdicts, which the workload account's drills could then not read. " +
    'Remove it: the vault bucket is SSE-S3, and its bucket policy (replicas readable only by the vault account and the drill roles) and Object Lock COMPLIANCE are what protect the replicas',
};

export function formatIssue(issue: z.core.$ZodIssue): string[] {
  const path = formatPath(issue.path);
  // A union the input fits none of (a network by ids or by SSM names): the problems of the form it is closest to,
  // the one with the fewest, so a literal network missing a field is not also told about fromSsm.
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    return closest.flatMap((inner) => formatIssue({ ...inner, path: [...issue.path, ...inner.path] }));
  }
  if (issue.code === 'unrecognized_keys') {
    let known: string[] = [];
    try {
      known = JSON.parse(issue.message) as string[];
    } catch {
      // keep the list empty
    }
    return issue.keys.map((key) => {
      const removed = REMOVED_SETTINGS[formatPath([...issue.path, key])];
      if (removed) return `${formatPath([...issue.path, key])} ${removed}`;
      const guess = closest(key, known);
      const fix = guess ? `did you mean "${guess}"?` : `known settings here are ${known.join(', ')}`;
      return `${formatPath([...issue.path, key])} is not a known setting: ${fix}`;
    });
  }
  return [`${path} ${issue.message}`];
}

/** Node 20 reports JSON errors by character position; add line and column. */
export function jsonErrorWithLine(message: string, text: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = Number(m[1]) - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}
