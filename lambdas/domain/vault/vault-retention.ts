/**
 * Object Lock retention of the replicas in the vault, per tier. The bucket's
 * default retention (config `vault.retentionDays`) is the floor every replica
 * gets as it lands; the vault's verifier then extends each replica's
 * COMPLIANCE retain-until date to its tier's days (`vault.tierRetentionDays`)
 * after it landed. S3 lets COMPLIANCE retention be extended and never
 * shortened, so a tier that cannot be told gets the longest: too long costs
 * storage, too short cannot be undone. Pure.
 */
import { isTier, TAGS, TIERS, type Tier } from '../plans/types.js';

/** Days of COMPLIANCE retention per tier in the vault. */
export type VaultTierDays = Readonly<Record<Tier, number>>;

/**
 * Hours a replica may wait for the export's tags before it is locked for the
 * longest tier: ElastiCache writes the objects, S3 replicates them at once,
 * and the export function tags them at its next run (every 15 minutes by
 * default), a tag change S3 replicates after the object itself.
 */
export const VAULT_TIER_GRACE_HOURS = 6;

/** Minutes between two looks for the tier tag of a replica that has none yet (the vault verify state machine's wait). */
export const VAULT_TIER_RETRY_MINUTES = 30;

const MS_PER_DAY = 86_400_000;

/** Each tier's days: `tierRetentionDays[tier]`, else `retentionDays` (the bucket default, the floor). */
export function vaultTierDays(retentionDays: number, tierRetentionDays: Partial<Record<Tier, number>> = {}): VaultTierDays {
  return Object.fromEntries(TIERS.map((t) => [t, tierRetentionDays[t] ?? retentionDays])) as Record<Tier, number>;
}

/** The longest of the tiers' days: what a replica of no known tier is kept. */
export function longestVaultDays(days: VaultTierDays): number {
  return Math.max(...TIERS.map((t) => days[t]));
}

/**
 * Days a replica stays in the vault: the lifecycle expires every replica a day after the longest tier's lock ends
 * (lib/constructs/vault/vault-bucket.ts), so a delete marker never lies over a version still locked.
 */
export function vaultReplicaDays(days: VaultTierDays): number {
  return longestVaultDays(days) + 1;
}

/** What the verifier does about one replica's retention. */
export type VaultRetentionDecision =
  | {
      readonly kind: 'retain';
      /** The replica's tier, or `unknown` (kept for the longest). */
      readonly tier: Tier | 'unknown';
      readonly days: number;
      /** The retain-until date the replica must carry at least. */
      readonly retainUntil: Date;
      /** Why an unknown tier is unknown; absent for a known one. */
      readonly why?: string;
    }
  | {
      readonly kind: 'await-tier';
      /** When the grace ends and the replica is kept for the longest. */
      readonly graceEnds: Date;
    };

/**
 * The retention a replica needs: its tier's days after it landed (`landedAt`,
 * the replica version's Last-Modified). The tier is the export's
 * `redis-dr:tier` tag; a value that is no tier (a collapse's `held-<tier>`, a
 * foreign value) gets the longest. A replica that carries none of the
 * export's tags yet waits for them until {@link VAULT_TIER_GRACE_HOURS}
 * after it landed, then gets the longest too.
 */
export function vaultRetentionFor(tags: Readonly<Record<string, string>>, landedAt: Date, now: Date, days: VaultTierDays): VaultRetentionDecision {
  const until = (n: number) => new Date(landedAt.getTime() + n * MS_PER_DAY);
  const tier = tags[TAGS.tier];
  if (isTier(tier)) return { kind: 'retain', tier, days: days[tier], retainUntil: until(days[tier]) };
  const longest = longestVaultDays(days);
  if (tier !== undefined) {
    return { kind: 'retain', tier: 'unknown', days: longest, retainUntil: until(longest), why: `${TAGS.tier} is ${JSON.stringify(tier)}, no tier` };
  }
  const exportTagged = [TAGS.plan, TAGS.snapshot, TAGS.created, TAGS.shard].some((k) => tags[k] !== undefined);
  const graceEnds = new Date(landedAt.getTime() + VAULT_TIER_GRACE_HOURS * 3_600_000);
  if (!exportTagged && now.getTime() < graceEnds.getTime()) return { kind: 'await-tier', graceEnds };
  const why = exportTagged
    ? `the export's tags carry no ${TAGS.tier}`
    : `no export tags ${VAULT_TIER_GRACE_HOURS} h after the replica landed (the export's tags did not replicate)`;
  return { kind: 'retain', tier: 'unknown', days: longest, retainUntil: until(longest), why };
}

/**
 * Whether a retention read back holds a replica for `retainUntil`: COMPLIANCE
 * mode, and a date no earlier. Anything else is not stored as promised.
 */
export function retentionHolds(read: { readonly mode?: string; readonly retainUntil?: Date } | undefined, retainUntil: Date): boolean {
  return read?.mode === 'COMPLIANCE' && read.retainUntil !== undefined && read.retainUntil.getTime() >= retainUntil.getTime();
}
