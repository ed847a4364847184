/**
 * The vault verifier's verdict on a replica, kept as an object of the vault
 * bucket rather than as tags. S3 replication copies object tags (and every
 * later tag change) from the workload account's export bucket onto the
 * replicas, so a `redis-dr:verified=ok` tag on a replica may have been
 * written by the very account the vault exists against. The verdict object
 * lives under {@link VAULT_VERDICT_PREFIX}, which the vault bucket's policy
 * lets nobody but the vault verifier's role write (and replication not at
 * all): the readers of the vault (its verifier, the drill from the vault, the
 * vault's freshness monitor, the CLI) take a verdict from there only, and
 * only when it names the replica's current version. Pure.
 */
import { z } from 'zod';
import { TAGS } from '../plans/types.js';
import { rdbVerdict, type RdbReport } from '../rdb/report.js';
import { formatRdbSummary, parseRdbSummary } from '../points/rdb-summary.js';

/** The reserved prefix of verdict objects in the vault bucket (exports are `rdr-…` at the root: never in it). */
export const VAULT_VERDICT_PREFIX = 'redis-dr-vault-verdicts/';

/** The key of the verdict object of the replica `replicaKey`: `redis-dr-vault-verdicts/<replica key>.json`. */
export function vaultVerdictKey(replicaKey: string): string {
  return `${VAULT_VERDICT_PREFIX}${replicaKey}.json`;
}

/**
 * The verifier's counts of an intact replica: what the `redis-dr:rdb` tag of
 * a DR copy carries (domain/points/rdb-summary.ts), field for field.
 */
export const vaultVerdictKeysSchema = z.object({
  /** RDB format version. */
  version: z.number().int().nonnegative(),
  /** Keys in the file (the drill's restored key count is checked against the sum over the shards). */
  keys: z.number().int().nonnegative(),
  /** Keys with an expiry. */
  expires: z.number().int().nonnegative(),
  /** Keys per type (`string`, `hash`, …). */
  byType: z.record(z.string(), z.number().int().nonnegative()),
  /** When the expiring keys expire (an expiry histogram's text form, domain/rdb/expiry-histogram.ts). */
  expiryHistogram: z.string().min(1).optional(),
  /** The databases holding keys, when not db 0 alone. */
  databases: z.array(z.number().int().nonnegative()).optional(),
});
export type VaultVerdictKeys = z.infer<typeof vaultVerdictKeysSchema>;

/**
 * The body of a verdict object (JSON). `replica` names the exact version
 * judged: a verdict counts only for that version id and ETag
 * ({@link verdictNamesReplica}).
 */
export const vaultVerdictSchema = z.object({
  verdict: z.enum(['ok', 'corrupt', 'unsupported']),
  replica: z.object({
    key: z.string().min(1),
    versionId: z.string().min(1),
    etag: z.string().min(1),
    size: z.number().int().nonnegative(),
  }),
  keys: vaultVerdictKeysSchema,
  /** When the verification finished (ISO instant). */
  checkedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 instant' }),
  /** Corrupt or unsupported: where and why (`at byte N: …`). */
  reason: z.string().optional(),
});
export type VaultVerdict = z.infer<typeof vaultVerdictSchema>;

/** The version of a replica a verdict is about (HeadObject's answer). */
export interface ReplicaVersion {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly size: number;
}

/**
 * The verdict object for `report` on `replica`. Throws when the replica has
 * no version id or ETag (the vault bucket is versioned: a replica without
 * one is not what S3 replication writes).
 */
export function vaultVerdictOf(report: RdbReport, replica: ReplicaVersion, checkedAt: Date): VaultVerdict {
  if (!replica.versionId || !replica.etag) {
    throw new Error(
      `vault replica ${replica.key} has versionId ${JSON.stringify(replica.versionId)} and ETag ${JSON.stringify(replica.etag)}: ` +
        'a verdict must name both (is versioning on for the vault bucket?)',
    );
  }
  const summary = parseRdbSummary(formatRdbSummary(report));
  const keys: VaultVerdictKeys = {
    version: report.version,
    keys: report.keys,
    expires: report.expires,
    byType: report.ok ? { ...(summary?.byType ?? {}) } : {},
    ...(report.ok && summary?.expiryHistogram ? { expiryHistogram: summary.expiryHistogram } : {}),
    ...(report.ok && summary?.databases ? { databases: [...summary.databases] } : {}),
  };
  const reason = report.ok ? undefined : report.error ? `at byte ${report.error.offset}: ${report.error.message}` : 'checksum mismatch';
  return vaultVerdictSchema.parse({
    verdict: rdbVerdict(report),
    replica: { key: replica.key, versionId: replica.versionId, etag: replica.etag, size: replica.size },
    keys,
    checkedAt: checkedAt.toISOString(),
    ...(reason ? { reason } : {}),
  });
}

/** The JSON a verdict object holds (its fields in the schema's order, so two equal verdicts are equal text). */
export function vaultVerdictBody(verdict: VaultVerdict): string {
  return `${JSON.stringify(vaultVerdictSchema.parse(verdict), null, 2)}\n`;
}

/**
 * Parses a verdict object's body; `{ problem }` naming what is wrong for
 * anything that is not one (never a verdict).
 */
export function parseVaultVerdict(body: string): { verdict: VaultVerdict } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  const parsed = vaultVerdictSchema.safeParse(json);
  if (!parsed.success) return { problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
  return { verdict: parsed.data };
}

/**
 * Whether `verdict` is about `current`, the replica's current version: the
 * same key, version id and ETag (both present). A verdict about an older
 * version, or another key, is no verdict.
 */
export function verdictNamesReplica(verdict: VaultVerdict, current: ReplicaVersion): boolean {
  return (
    verdict.replica.key === current.key &&
    current.versionId !== undefined &&
    current.etag !== undefined &&
    verdict.replica.versionId === current.versionId &&
    verdict.replica.etag === current.etag
  );
}

/**
 * A vault replica's tags as readers may use them: every verdict tag
 * (`redis-dr:verified`, `redis-dr:rdb`) dropped, whoever wrote it, and the
 * verdict object's put in their place when `verdict` is given (the caller
 * passes only one that {@link verdictNamesReplica}). The other tags (plan,
 * tier, shard, engine, created) are the export's, replicated as written.
 */
export function trustedVaultTags(tags: Readonly<Record<string, string>>, verdict: VaultVerdict | undefined): Record<string, string> {
  const { [TAGS.verified]: _verified, [TAGS.rdb]: _rdb, ...rest } = tags;
  if (!verdict) return rest;
  return { ...rest, [TAGS.verified]: verdict.verdict, ...(verdict.verdict === 'ok' ? { [TAGS.rdb]: summaryText(verdict.keys) } : {}) };
}

/** A verdict's counts in the `redis-dr:rdb` summary's text (parseRdbSummary reads it back; not cut to a tag's length). */
function summaryText(k: VaultVerdictKeys): string {
  return [
    `v=${k.version} keys=${k.keys} expires=${k.expires}`,
    ...(k.databases ? [`dbs=${k.databases.join('+')}`] : []),
    ...Object.entries(k.byType).map(([type, n]) => `${type}=${n}`),
    ...(k.expiryHistogram ? [`ttl=${k.expiryHistogram}`] : []),
  ].join(' ');
}
