import {
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  type CreateReplicationGroupCommandInput,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { networkIds, type RedisDrConfig } from '../../../lib/config/index.js';
import { describeRestorableSnapshot } from '../../adapters/aws/drill-clusters.js';
import { describeReplicationGroup, listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { describeError, errorName } from '../../adapters/aws/errors.js';
import { getRedisCredentials } from '../../adapters/aws/secrets.js';
import type { RecoveryPointChoice } from '../../domain/drills/drill.js';
import { primaryChoice } from '../../domain/drills/select.js';
import { newestAvailable } from '../../domain/points/choice.js';
import { formatRefusals, isDataTieringNodeType, restorePreflight, snapshotEvidence, type PreflightEvidence } from '../../domain/drills/restore-preflight.js';
import { TAGS } from '../../domain/plans/types.js';
import { chosenCopy } from '../dr-copies/copy-listing.js';
import type { OperatorClients } from '../kernel/clients.js';
import { UsageError } from '../kernel/usage-error.js';
import { isServerlessTarget, runServerlessRestore } from './restore-serverless.js';
import { chooseDr, pointCopiesOrNone, restoreSource, type RestoreOptions, type RestoreResult } from './restore-point.js';
import { RUNBOOKS } from '../../domain/alerting/catalog.js';

export type { RestoreOptions, RestoreResult } from './restore-point.js';

/**
 * The restore of `redis-dr restore --target <id> [--from latest|<snapshot>|s3://…] [--region <r>] --new-id <id> [--wait]`
 * (the command parses and prints, cli/commands/restore/action.ts):
 * builds a new replication group from a recovery point, with the source's
 * engine, version and shard layout, in the config's subnet group with
 * encryption in transit and at rest, and (with --wait) follows it until it is
 * available and prints its endpoint, or fails on `create-failed` /
 * `restore-failed`.
 *
 * - primary region: `latest` is the target's newest available manual
 *   snapshot (ours or anyone's); a snapshot name restores that snapshot.
 * - DR region (`--region` = `dr.region`): `latest` is the target's newest
 *   export in the DR bucket whose shards are all there and verified; an
 *   `s3://bucket/<export>` location restores that export (the same rules).
 * - the vault (config `vault`; `--from vault`, or an `s3://` location in the
 *   vault bucket): the same rules over the vault's copies, read with the
 *   vault account's credentials (`--vault-profile`), the cluster created in
 *   the vault's region. ElastiCache reads the objects as its regional
 *   service principal: the vault bucket's policy must let it (docs/dr-copies.md).
 *
 * Before anything is created (and with --dry-run), the restore preflight
 * (lambdas/domain/drills/restore-preflight.ts, the drills' rules too) refuses a
 * recovery point the new cluster's shape cannot take, with the rule, the
 * reason and the fix: status `refused`, exit 1.
 *
 * A serverless target (listed in a plan's serverlessCacheNames) becomes a
 * new serverless cache from its snapshot: ./restore-serverless.ts.
 *
 * Either way it says whether the chosen recovery point has an `.rdb` copy,
 * where (primary region: the export bucket and the DR bucket, listed under
 * the snapshot's name; DR region: the copy chosen), and the command that
 * restores its keys straight into a server without a new cluster
 * (`migrate --from-rdb`, docs/runbooks/flushall.md).
 *
 * The new cluster is not tagged as redis-dr's: pruning and the drill reaper
 * never touch it. Nothing is deleted, ever.
 */

/** Polls during which a group not found yet counts as being created (describe may lag the create). */
const NOT_FOUND_GRACE_POLLS = 3;

/** ElastiCache replication group ids: 1–40 letters, digits and hyphens, starting with a letter, no `--`, no trailing `-`. */
export function checkNewId(id: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(id) || id.includes('--') || id.endsWith('-')) {
    throw new UsageError(
      `--new-id ${JSON.stringify(id)} is not a valid replication group id: 1-40 letters, digits or hyphens, starting with a letter, no "--", not ending with "-"`,
    );
  }
  return id.toLowerCase();
}

/** The CreateReplicationGroup request for `choice` (pure). */
export function createRequest(
  choice: RecoveryPointChoice,
  o: {
    readonly id: string;
    readonly replicas: number;
    readonly subnetGroup: string;
    readonly securityGroupIds: readonly string[];
    readonly parameterGroup?: string;
    readonly authToken?: string;
    readonly userGroupIds?: readonly string[];
  },
): CreateReplicationGroupCommandInput {
  const source = choice.snapshotName ? { SnapshotName: choice.snapshotName } : { SnapshotArns: choice.snapshotArns };
  const common: CreateReplicationGroupCommandInput = {
    ReplicationGroupId: o.id,
    ReplicationGroupDescription: `redis-dr restore of ${choice.target} from ${choice.recoveryPoint}`.slice(0, 255),
    Engine: choice.engine,
    EngineVersion: choice.engineVersion,
    CacheNodeType: choice.nodeType,
    ...source,
    CacheSubnetGroupName: o.subnetGroup,
    ...(o.securityGroupIds.length > 0 ? { SecurityGroupIds: [...o.securityGroupIds] } : {}),
    TransitEncryptionEnabled: true,
    AtRestEncryptionEnabled: true,
    // Access as production has it: an AUTH token (needs in-transit encryption, on above) or RBAC user groups.
    ...(o.authToken ? { AuthToken: o.authToken } : {}),
    ...(o.userGroupIds && o.userGroupIds.length > 0 ? { UserGroupIds: [...o.userGroupIds] } : {}),
    ...(o.parameterGroup ? { CacheParameterGroupName: o.parameterGroup } : {}),
    // r6gd nodes tier data to SSD, which CreateReplicationGroup requires to be turned on.
    ...(isDataTieringNodeType(choice.nodeType) ? { DataTieringEnabled: true } : {}),
    Tags: [
      { Key: TAGS.source, Value: choice.target },
      { Key: 'redis-dr:restored-from', Value: choice.recoveryPoint.slice(0, 256) },
    ],
  };
  if (choice.clusterMode === 'disabled') {
    return { ...common, NumCacheClusters: 1 + o.replicas, AutomaticFailoverEnabled: o.replicas > 0 };
  }
  return {
    ...common,
    ClusterMode: 'enabled',
    NumNodeGroups: choice.shards,
    ReplicasPerNodeGroup: o.replicas,
    AutomaticFailoverEnabled: true,
    CacheParameterGroupName: o.parameterGroup ?? choice.cacheParameterGroupName,
    ...(choice.nodeGroupConfiguration ? { NodeGroupConfiguration: choice.nodeGroupConfiguration.map((g) => ({ ...g, ReplicaCount: o.replicas })) } : {}),
  };
}

/** Chooses the recovery point, creates the cluster and, with `wait`, follows it. */
export async function runRestore(config: RedisDrConfig, aws: OperatorClients, o: RestoreOptions): Promise<RestoreResult> {
  const id = checkNewId(o.newId);
  if (isServerlessTarget(config, o.target)) return runServerlessRestore(config, aws, o, id);
  const { region, where, from, vault } = restoreSource(config, o);
  // A network given as SSM parameter names has no ids here: the options give them.
  const setting = where === 'primary' ? config.network : where === 'dr' ? config.dr.network : undefined;
  const network = networkIds(setting);
  const subnetGroup = o.subnetGroup ?? network?.cacheSubnetGroupName;
  if (!subnetGroup) {
    const field = where === 'primary' ? 'network' : 'dr.network';
    throw new UsageError(
      where === undefined
        ? `no subnet group for ${region} (the vault's region, neither the primary nor the DR region of this config): pass --subnet-group and --security-group-ids`
        : setting && !network
          ? `no subnet group for ${region}: ${field}.fromSsm names SSM parameters, which restore does not read: pass --subnet-group and --security-group-ids`
          : `no subnet group for ${region}: pass --subnet-group, or set ${field}.cacheSubnetGroupName in the config`,
    );
  }
  if (o.authTokenSecret && o.userGroupIds?.length)
    throw new UsageError('--auth-token-secret and --user-group-ids exclude each other: a cluster uses an AUTH token or RBAC user groups');

  const ec = aws.elasticache(region);
  const now = new Date(aws.clock.now());
  const dr = where === 'dr' || vault ? await chooseDr(config, aws, region, o.target, from, o.nodeType, now, 'replication-group', vault) : undefined;
  const primary = dr ? undefined : await choosePrimary(aws, region, o.target, from, o.nodeType, now);
  const choice = dr?.choice ?? primary!.choice;
  const refusals = restorePreflight(choice, dr?.evidence ?? primary!.evidence, 'restore');
  const source = where === 'primary' ? await describeReplicationGroup(ec, o.target).catch(() => undefined) : undefined;
  const sourceUrl = source?.endpoint ? `${source.tls ? 'rediss' : 'redis'}://${source.endpoint.host}:${source.endpoint.port}` : undefined;
  const rdbCopies = dr ? chosenCopy(dr.copy, sourceUrl) : await pointCopiesOrNone(config, aws, choice.recoveryPoint, sourceUrl);
  const authToken = o.authTokenSecret ? await authTokenFrom(aws, region, o.authTokenSecret) : undefined;
  const request = createRequest(choice, {
    id,
    replicas: o.replicas ?? source?.replicas ?? 0,
    subnetGroup,
    securityGroupIds: o.securityGroupIds ?? network?.securityGroupIds ?? [],
    parameterGroup: o.parameterGroup,
    authToken,
    userGroupIds: o.userGroupIds,
  });
  if (!authToken && !o.userGroupIds?.length)
    o.onWarning?.('no AUTH token and no user group: anyone who reaches the subnet can connect; pass --auth-token-secret or --user-group-ids');
  if (dr && !o.nodeType) o.onWarning?.(`node type ${choice.nodeType}: DR copies do not record the source's node type; pass --node-type for production size`);
  if (o.replicas === undefined && !source) o.onWarning?.('no replicas (the source could not be described): pass --replicas for production');
  // What is printed (--dry-run, --json) never shows the token.
  const shown = request.AuthToken ? { ...request, AuthToken: '***' } : request;
  const base = { replicationGroupId: id, region, recoveryPoint: choice.recoveryPoint, recoveryPointCreatedAt: choice.createdAt, request: shown, rdbCopies };
  // Refused before anything is created (a --dry-run too): ElastiCache would say so only after 20 minutes, as restore-failed.
  if (refusals.length > 0) return { ...base, status: 'refused', refusals, endpoint: null, ok: false, message: formatRefusals(choice.recoveryPoint, refusals) };
  if (o.dryRun) return { ...base, status: 'dry-run', endpoint: null, ok: true, message: 'dry run: nothing created' };

  try {
    await ec.send(new CreateReplicationGroupCommand(request));
  } catch (err) {
    if (errorName(err) === 'ReplicationGroupAlreadyExistsFault')
      throw new UsageError(`--new-id ${id}: a replication group with this id exists in ${region}; choose another id`);
    throw err;
  }
  // Said at once, so a wait that fails or is stopped still leaves the id with the operator.
  o.onCreated?.(`creating ${id} in ${region} from ${choice.recoveryPoint}`);
  if (!o.wait)
    return {
      ...base,
      status: 'creating',
      endpoint: null,
      ok: true,
      message: `creating ${id}; follow it with: aws elasticache describe-replication-groups --region ${region} --replication-group-id ${id}`,
    };

  const deadline = aws.clock.now() + (o.timeoutMinutes ?? 120) * 60_000;
  const follow = `aws elasticache describe-replication-groups --region ${region} --replication-group-id ${id}`;
  for (let poll = 1; ; poll++) {
    await aws.clock.sleep((o.pollSeconds ?? 30) * 1000);
    let g: ReplicationGroup | undefined;
    try {
      g = (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0];
    } catch (err) {
      if (errorName(err) !== 'ReplicationGroupNotFoundFault')
        throw new Error(`${id} was created; watching it failed (${describeError(err)}): follow it with ${follow}`, { cause: err });
    }
    // Describe calls may lag the create: a group not found yet is still being created, for a few polls.
    const status = (g?.Status ?? (poll <= NOT_FOUND_GRACE_POLLS ? 'creating' : 'gone')).toLowerCase();
    o.onStatus?.(status);
    if (status === 'available') {
      const address = g!.ClusterEnabled ? g!.ConfigurationEndpoint : g!.NodeGroups?.[0]?.PrimaryEndpoint;
      const endpoint = address?.Address ? `rediss://${address.Address}:${address.Port ?? 6379}` : null;
      return { ...base, status, endpoint, ok: true, message: `${id} is available` };
    }
    if (status === 'create-failed' || status === 'restore-failed') {
      // A replication group that fails to load its seed ends create-failed (restore-failed is the nodes' word for it).
      const message =
        `${id} is ${status}: ElastiCache could not build it from ${choice.recoveryPoint} ` +
        `(why: aws elasticache describe-events --region ${region} --source-type replication-group --source-identifier ${id}). ` +
        `Delete it (aws elasticache delete-replication-group --region ${region} --replication-group-id ${id} --no-retain-primary-cluster) ` +
        `and try the next older recovery point with --from (${RUNBOOKS.corruption}).`;
      return { ...base, status, endpoint: null, ok: false, message };
    }
    if (status === 'deleting' || status === 'gone') {
      return {
        ...base,
        status,
        endpoint: null,
        ok: false,
        message: `${id} is ${status === 'gone' ? 'gone' : 'being deleted'} (by someone else?): nothing to wait for`,
      };
    }
    if (aws.clock.now() >= deadline) {
      return {
        ...base,
        status: 'timeout',
        endpoint: null,
        ok: false,
        message: `${id} is still ${status} after ${o.timeoutMinutes ?? 120} min; it goes on being created: follow it with ${follow}`,
      };
    }
  }
}

/** The AUTH token in `arn` (read in `region`); an RBAC secret (with a username) is a usage error: pass its user group instead. */
async function authTokenFrom(aws: OperatorClients, region: string, arn: string): Promise<string> {
  const credentials = await getRedisCredentials(aws.secrets(region), arn);
  if (credentials.username) {
    throw new UsageError(`--auth-token-secret ${arn} holds an RBAC user (${credentials.username}): pass --user-group-ids with that user's group instead`);
  }
  return credentials.password;
}

async function choosePrimary(
  aws: OperatorClients,
  region: string,
  target: string,
  from: string,
  nodeType: string | undefined,
  now: Date,
): Promise<{ choice: RecoveryPointChoice; evidence: PreflightEvidence }> {
  const ec = aws.elasticache(region);
  let name = from;
  if (from === 'latest') {
    const summaries = await listTargetSnapshots(ec, { kind: 'replication-group', id: target });
    // Any manual snapshot of the target restores, not only the ones redis-dr manages.
    const newest = newestAvailable(summaries.map((s) => ({ ...s, managed: true })));
    if (!newest) throw new Error(`no available manual snapshot of ${target} in ${region}: check the target id, or restore from the DR region (--region)`);
    name = newest.name;
  }
  const snapshot = await describeRestorableSnapshot(ec, name);
  if (!snapshot) throw new Error(`no snapshot ${name} in ${region}`);
  if (snapshot.status !== 'available') throw new Error(`snapshot ${name} is ${snapshot.status}, not available`);
  if (!snapshot.engine || !snapshot.engineVersion) throw new Error(`snapshot ${name} records no engine or engine version, so it cannot be restored`);
  if (snapshot.source && snapshot.source.toLowerCase() !== target.toLowerCase()) {
    throw new UsageError(`--from ${name} is a snapshot of ${snapshot.source}, not of --target ${target}: pass --target ${snapshot.source} if that is meant`);
  }
  const created = snapshot.createdAt ?? now;
  const choice = primaryChoice(
    {
      name,
      target,
      createdAt: created,
      engine: snapshot.engine,
      engineVersion: snapshot.engineVersion,
      nodeType: snapshot.nodeType,
      shards: snapshot.shards,
      parameterGroup: snapshot.parameterGroup,
      tags: {},
    },
    { nodeType },
    now,
  );
  return { choice, evidence: snapshotEvidence(snapshot) };
}
