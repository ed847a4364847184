/**
 * Finding the `.rdb` copies of recovery points for `status` and `restore`
 * (their text is cli/rdb-copies.ts):
 * the primary region's export bucket and the DR bucket, listed by prefix and
 * their objects' tags read, each at most once per run (and not at all when
 * the freshness run of `status` already did). The decisions are
 * lambdas/domain/dr-copies/rdb-copies.ts.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { recoveryBucketName } from '../../../lib/deployment.js';
import { describeError, errorName } from '../../adapters/aws/errors.js';
import { getObjectTags, listObjects } from '../../adapters/aws/s3/objects.js';
import { currentVaultVerdict, drCopyTags } from '../../adapters/records/verdict-objects.js';
import { isVerdictObjectKey } from '../../domain/points/verdict-objects.js';
import { trustedVaultTags } from '../../domain/vault/vault-verdict.js';
import { drExportsUnder, type DrExport } from '../../domain/points/choice.js';
import { parseSnapshotName } from '../../domain/plans/naming.js';
import {
  describeCopy,
  exportOf,
  fastPathOf,
  NO_RDB_COPY,
  pointCopies,
  TEMPORARY_CLUSTER_PATH,
  type CopyWhere,
  type FastPath,
  type PointCopies,
  type RdbCopy,
} from '../../domain/dr-copies/rdb-copies.js';
import type { OperatorClients } from '../kernel/clients.js';

/** What S3 answers for an object that is not there: HeadObject's 404 (no body, so no code) and GetObjectTagging's. */
const OBJECT_GONE = new Set(['NotFound', 'NoSuchKey']);

/**
 * DR listings by prefix and object tags by key (of the run's bucket), read
 * once per run whichever plans ask. A caller that passes its own to
 * {@link runFreshness} reads them afterwards instead of listing again
 * (`redis-dr status`).
 */
export interface FreshnessReads {
  readonly listings: Map<string, Promise<string[]>>;
  readonly objectTags: Map<string, Promise<Record<string, string>>>;
}

/** A vault replica as the CLI may use it: its tags with the verdict object's in place of any verdict tag, and why it has no verdict. */
export interface VaultReplicaReading {
  readonly tags: Record<string, string>;
  /** Why the replica has no verdict (`no verdict object …`, `the verdict … is about version X, not the current Y`); undefined when it has one. */
  readonly absent?: string;
}

/**
 * Reads a vault replica as adapters/records/verdict-objects.ts's vaultReplicaTags
 * does (tags replicate from the workload account, so a `redis-dr:verified`
 * tag is never a verdict: only the verdict object naming the current version
 * is), keeping the reason there is no verdict for the operator.
 */
export async function readVaultReplica(s3: S3Client, bucket: string, key: string, expectedOwner: string | undefined): Promise<VaultReplicaReading> {
  const [tags, stored] = await Promise.all([
    getObjectTags(s3, bucket, key, undefined, undefined, expectedOwner),
    currentVaultVerdict(s3, bucket, key, { expectedOwner }),
  ]);
  return { tags: trustedVaultTags(tags, stored.verdict), ...(stored.verdict ? {} : { absent: stored.absent }) };
}

/** A bucket that may hold copies, read through caches (a freshness run's, when it read this bucket). */
export class CopyBucket {
  private readonly verdictReads = new Map<string, Promise<VaultReplicaReading>>();

  /** `expectedOwner`: the vault account, for the vault bucket (S3 refuses a bucket of that name owned by anyone else). */
  constructor(
    readonly where: CopyWhere,
    readonly region: string,
    readonly bucket: string,
    private readonly s3: S3Client,
    private readonly reads: FreshnessReads = { listings: new Map(), objectTags: new Map() },
    private readonly expectedOwner?: string,
    /** Where the copies lie in the bucket: an organization's vault keeps an account's under `<account>/<primary region>/` (vaultKeyPrefix). */
    readonly under = '',
  ) {}

  /** Keys under `prefix`: from a listing already made of it (or of a shorter prefix), else listed now, once. A missing bucket holds nothing. */
  keys(prefix: string): Promise<string[]> {
    for (const [listed, keys] of this.reads.listings) {
      if (prefix.startsWith(listed)) return listed === prefix ? keys : keys.then((all) => all.filter((k) => k.startsWith(prefix)));
    }
    const keys = listObjects(this.s3, this.bucket, prefix, undefined, this.expectedOwner).then(
      // Verdict objects are the verifiers', never copies.
      (objects) => objects.map((o) => o.key).filter((k) => !isVerdictObjectKey(k)),
      (err: unknown) => {
        // No plan exports, or the stack is not deployed in this region: no copies. A missing vault is a problem (../vault/vault-copies.ts).
        if (errorName(err) === 'NoSuchBucket' && this.where !== 'vault') return [];
        throw err;
      },
    );
    this.reads.listings.set(prefix, keys);
    return keys;
  }

  /** Exports of snapshots of `target` among the keys under `prefix` (default: all of the target's), newest first. */
  async exports(target: string, prefix = `rdr-${target.toLowerCase()}-`): Promise<DrExport[]> {
    const id = target.toLowerCase();
    return drExportsUnder(await this.keys(`${this.under}${prefix}`), this.under, (t) => t === id).get(id) ?? [];
  }

  /**
   * An object's tags, read once. In the DR bucket and the vault, the tags
   * readers may trust: a verdict only from the verdict object naming the
   * copy's current version ({@link readVaultReplica}, drCopyTags: a DR
   * verdict tag without one reads `unproven`). The primary region's export
   * bucket has no verdicts.
   */
  tags(key: string): Promise<Record<string, string>> {
    if (this.where === 'vault') return this.vaultReplica(key).then((r) => r.tags);
    let tags = this.reads.objectTags.get(key);
    if (!tags) {
      tags = this.where === 'dr' ? drCopyTags(this.s3, this.bucket, key) : getObjectTags(this.s3, this.bucket, key);
      this.reads.objectTags.set(key, tags);
    }
    return tags;
  }

  /** Why a vault replica has no verdict (undefined: it has one, or this is not the vault). */
  async verdictAbsent(key: string): Promise<string | undefined> {
    return this.where === 'vault' ? (await this.vaultReplica(key)).absent : undefined;
  }

  private vaultReplica(key: string): Promise<VaultReplicaReading> {
    let read = this.verdictReads.get(key);
    if (!read) {
      read = readVaultReplica(this.s3, this.bucket, key, this.expectedOwner);
      this.verdictReads.set(key, read);
    }
    return read;
  }

  /**
   * `exp` as a copy in this bucket (the tags of its objects read, once). An object deleted since the listing (a
   * lifecycle rule, a hand: its tag or version read answers 404) is a shard this copy lacks, so the copy reads
   * incomplete, naming it; not a bucket that could not be read.
   */
  async copy(exp: DrExport): Promise<RdbCopy> {
    const read = await Promise.all(
      exp.objects.map(async (o) => {
        try {
          return [o.key, await this.tags(o.key)] as const;
        } catch (err) {
          if (OBJECT_GONE.has(errorName(err))) return undefined;
          throw err;
        }
      }),
    );
    const tags = new Map(read.filter((r) => r !== undefined));
    const at = { where: this.where, region: this.region, bucket: this.bucket };
    if (tags.size === exp.objects.length) return describeCopy(exp, tags, at);
    const copy = describeCopy({ ...exp, objects: exp.objects.filter((o) => tags.has(o.key)) }, tags, at);
    const gone = exp.objects.filter((o) => !tags.has(o.key)).map((o) => o.shard);
    return {
      ...copy,
      complete: false,
      missingShards: [...new Set([...copy.missingShards, ...gone])].sort((a, b) => a - b),
      problem: `incomplete: shard(s) ${gone.map((n) => String(n).padStart(4, '0')).join(', ')} deleted since the listing`,
    };
  }

  /** `s3://bucket` and where it is, for messages. */
  label(): string {
    return `${whereText(this.where)} bucket s3://${this.bucket}`;
  }
}

/** The deployment's two buckets: the primary region's export bucket and the DR bucket it replicates to. */
export async function copyBuckets(config: RedisDrConfig, aws: OperatorClients, reads: Partial<Record<CopyWhere, FreshnessReads>> = {}): Promise<CopyBucket[]> {
  const account = await aws.account();
  return (['primary', 'dr'] as const).map((where) => {
    const region = where === 'primary' ? config.primary.region : config.dr.region;
    return new CopyBucket(where, region, recoveryBucketName(config.name, account, region), aws.s3(region), reads[where]);
  });
}

/** Does any plan of the config export (else there are no copies to look for)? */
export function anyPlanExports(config: RedisDrConfig): boolean {
  return config.plans.some((p) => p.export.enabled);
}

/** A target's recovery points to show, with their copies in `buckets`, and the fast path. */
export interface TargetCopies {
  readonly points: readonly PointCopies[];
  readonly fastPath: FastPath | null;
  /** Buckets that could not be read, and why: their copies are unknown, not absent. */
  readonly problems: readonly string[];
}

/**
 * The copies of the recovery points `choose` picks from each bucket's
 * exports of `target` (keys under `prefix`). Tags are read only for the
 * exports of the points chosen. A bucket that fails is a problem, not an
 * absence.
 */
export async function copiesOf(
  target: string,
  buckets: readonly CopyBucket[],
  choose: (exports: Partial<Record<CopyWhere, readonly DrExport[]>>) => { points: readonly string[]; newest?: string },
  o: { readonly prefix?: string; readonly to?: string } = {},
): Promise<TargetCopies> {
  const problems: string[] = [];
  const failed = (b: CopyBucket, err: unknown) => problems.push(`${b.label()}: ${describeError(err)}`);
  const listed = await Promise.all(
    buckets.map(async (b) => {
      try {
        return { bucket: b, exports: await b.exports(target, o.prefix) };
      } catch (err) {
        failed(b, err);
        return undefined;
      }
    }),
  );
  const readable = listed.filter((l) => l !== undefined);
  const { points, newest } = choose(Object.fromEntries(readable.map((l) => [l.bucket.where, l.exports])));
  const shown = await Promise.all(
    points.map(async (point) => {
      const copies = await Promise.all(
        readable.map(async ({ bucket, exports }) => {
          const exp = exportOf(exports, point);
          try {
            return exp ? await bucket.copy(exp) : undefined;
          } catch (err) {
            failed(bucket, err);
            return undefined;
          }
        }),
      );
      return pointCopies(
        point,
        copies.filter((c) => c !== undefined),
        point === newest,
      );
    }),
  );
  return { points: shown, fastPath: fastPathOf(shown, o.to), problems: [...new Set(problems)] };
}

/** One recovery point's copies, for `restore`. */
export interface PointCopiesReport {
  /** Its copies, primary bucket first; a bucket without one is left out. */
  readonly copies: readonly RdbCopy[];
  /** Buckets that could not be read, and why. */
  readonly problems: readonly string[];
  readonly fastPath: FastPath | null;
  /** Why there is no fast path, and the way instead; null when there is one. */
  readonly note: string | null;
}

function pointReport(point: PointCopies | undefined, fastPath: FastPath | null, problems: readonly string[]): PointCopiesReport {
  const copies = point?.copies ?? [];
  const note = fastPath
    ? null
    : problems.length > 0
      ? `.rdb copies unknown (a bucket was not read): ${TEMPORARY_CLUSTER_PATH}`
      : copies.length > 0
        ? `no usable .rdb copy: ${TEMPORARY_CLUSTER_PATH}`
        : NO_RDB_COPY;
  return { copies, problems, fastPath, note };
}

/** The copies of one recovery point (a snapshot name), for `restore`: only the keys under its name are listed. */
export async function copiesOfPoint(recoveryPoint: string, buckets: readonly CopyBucket[], to?: string): Promise<PointCopiesReport> {
  const target = parseSnapshotName(recoveryPoint)?.target;
  if (!target || buckets.length === 0) return pointReport(undefined, null, []);
  const found = await copiesOf(target, buckets, () => ({ points: [recoveryPoint], newest: recoveryPoint }), { prefix: recoveryPoint, to });
  return pointReport(found.points[0], found.fastPath, found.problems);
}

/** The copy a DR restore chose (complete and verified), as the recovery point's copies. */
export function chosenCopy(copy: RdbCopy, to?: string): PointCopiesReport {
  const point = pointCopies(copy.exportName, [copy], true);
  return pointReport(point, fastPathOf([point], to), []);
}

/** `primary` / `DR` / `vault`. */
export function whereText(where: CopyWhere): string {
  return where === 'dr' ? 'DR' : where;
}
