/**
 * The snapshot probe: just before a snapshot, write a canary key to the
 * source and count its keys (and when they expire); they go into the
 * snapshot's tags (the canary and the count also into the exported objects'
 * tags), so a restore drill can prove the restored data is exactly that
 * snapshot's. Pure: shapes and the canary format.
 */
import { z } from 'zod';

/** The key the probe writes (and the drill's verify step reads). */
export const CANARY_KEY = 'redis-dr:canary';

/** Input of the probe Lambda (invoked by the snapshot Lambda). */
export const probeInputSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().positive(),
  tls: z.boolean(),
  clusterMode: z.enum(['enabled', 'disabled']),
  /** Secrets Manager secret with the AUTH token or RBAC user, when the cache requires it. */
  authSecretArn: z.string().optional(),
  /** The canary value to write (see {@link formatCanary}). */
  canary: z.string().min(1).max(256),
  /**
   * Wait (up to 1 s) until this many replicas have the canary: the snapshot
   * is taken from a replica, which must already hold it.
   */
  waitReplicas: z.number().int().min(0).optional(),
});
export type ProbeInput = z.infer<typeof probeInputSchema>;

/** What the probe found. */
export interface ProbeResult {
  readonly canary: string;
  /** Keys in every database (and every primary, cluster mode enabled) right after the canary was written. */
  readonly keys: number;
  /**
   * When the keys with an expiry expire: an expiry histogram (domain/rdb/expiry-histogram.ts
   * text form, at most {@link MAX_TAG_CHARS} characters) based at the count's
   * time, from every key's PEXPIRETIME. A primary drill of the snapshot then
   * subtracts only the keys expired by its check. Absent when the keyspace is
   * larger than {@link PROBE_EXPIRY_SCAN.maxKeys}, the scan outlasted its time,
   * or the server refused it (before 7.0, or a user without SCAN/PEXPIRETIME).
   * As exact as the count itself: the source is live, and keys written or
   * deleted between the count, the scan and the snapshot move both a little
   * (what `keyCountTolerancePct` is for).
   */
  readonly expiries?: string;
}

/** Characters of a snapshot tag value (ElastiCache, as S3). */
export const MAX_TAG_CHARS = 256;

/**
 * Bounds of the probe's expiry scan (every key visited): it runs just before
 * the snapshot, within the probe's 30 s.
 */
export const PROBE_EXPIRY_SCAN = { maxKeys: 1_000_000, maxSeconds: 15 } as const;

/**
 * `<snapshot>/<nonce>/<time>`: unique per snapshot attempt, fits an S3 or
 * ElastiCache tag value (≤ 256 characters of letters, digits, `:/-`), and
 * names the snapshot it belongs to.
 */
export function formatCanary(snapshot: string, nonce: string, at: Date): string {
  return `${snapshot}/${nonce}/${at.toISOString()}`;
}
