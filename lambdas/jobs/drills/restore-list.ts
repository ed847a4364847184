/**
 * The listing of `redis-dr restore --target <id> --list [--region <r>] [--limit N]`
 * (printed by cli/commands/restore/list-action.ts):
 * the target's recent recovery points, newest first, with their `.rdb`
 * copies (location, shards, verification) and the key-level fast path;
 * what `--from` takes. Creates nothing.
 *
 * - primary region: the target's available manual snapshots (what
 *   `--from <snapshot>` restores), each with its copies in the export bucket
 *   and the DR bucket;
 * - DR region: the exports in the DR bucket (what `--from s3://…` restores;
 *   copies outlive the snapshots pruned in the primary region). The primary
 *   region is not asked: it may be the one lost.
 *
 * AWS calls: one snapshot listing (primary), one listing of each bucket
 * under the target's prefix, and the tags of the listed points' exports
 * only (`--limit` bounds them). With a vault (config `vault`), the
 * target's `--limit` newest copies there too, with their retention and
 * whether each is a recovery point, read with the vault account's
 * credentials (`--vault-profile`). Exit 1 when a bucket (the vault too)
 * could not be read.
 */
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { newestFirst } from '../../domain/dr-copies/rdb-copies.js';
import { anyPlanExports, copiesOf, copyBuckets, type TargetCopies } from '../dr-copies/copy-listing.js';
import { collectVault, type VaultReport } from '../vault/vault-copies.js';
import type { OperatorClients } from '../kernel/clients.js';
import { UsageError } from '../kernel/usage-error.js';
import { isServerlessTarget } from './restore-serverless.js';

/** Recovery points listed by default. */
export const DEFAULT_LIST_LIMIT = 10;

/** What `restore --list` found. */
export interface RecoveryPointList extends TargetCopies {
  readonly target: string;
  readonly region: string;
  readonly where: 'primary' | 'dr';
  /** The target's newest copies in the vault (config `vault`, read with the vault account's credentials); null without a vault. */
  readonly vault: VaultReport | null;
}

/** The plan that names `target` (else the first exporting plan: a target selected by tags), for the vault's age limit. */
function planOf(config: RedisDrConfig, target: string): string {
  const id = target.toLowerCase();
  const named = config.plans.find((p) => [...p.targets.replicationGroupIds, ...p.targets.serverlessCacheNames].some((t) => t.toLowerCase() === id));
  return (named ?? config.plans.find((p) => p.export.enabled) ?? config.plans[0]!).name;
}

/** Lists the target's `limit` newest recovery points in `region` (default: the primary) with their copies. */
export async function listRecoveryPoints(
  config: RedisDrConfig,
  aws: OperatorClients,
  o: { readonly target: string; readonly region?: string; readonly limit?: number },
): Promise<RecoveryPointList> {
  const region = o.region ?? config.primary.region;
  const where = region === config.primary.region ? 'primary' : region === config.dr.region ? 'dr' : undefined;
  if (!where) throw new UsageError(`--region ${region}: list in the primary (${config.primary.region}) or DR (${config.dr.region}) region of this config`);
  const limit = o.limit ?? DEFAULT_LIST_LIMIT;
  const buckets = anyPlanExports(config) ? (await copyBuckets(config, aws)).filter((b) => where === 'primary' || b.where === 'dr') : [];
  let snapshots: { name: string; at: Date }[] = [];
  if (where === 'primary') {
    const kind = isServerlessTarget(config, o.target) ? 'serverless-cache' : 'replication-group';
    const all = await listTargetSnapshots(aws.elasticache(region), { kind, id: o.target });
    snapshots = all.filter((s) => s.status === 'available').map((s) => ({ name: s.name, at: s.createdAt }));
  }
  const found = await copiesOf(o.target, buckets, (exports) => {
    const points =
      where === 'primary'
        ? newestFirst(snapshots, limit)
        : newestFirst(
            (exports.dr ?? []).map((e) => ({ name: e.snapshot })),
            limit,
          );
    return { points, newest: where === 'primary' ? points[0] : undefined };
  });
  const vault =
    config.vault && anyPlanExports(config) ? await collectVault(config, aws, [{ plan: planOf(config, o.target), target: o.target }], { limit }) : null;
  return { target: o.target, region, where, ...found, vault };
}
