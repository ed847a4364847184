/**
 * `redis-dr restore` for a serverless cache: a new serverless cache, with the
 * same engine and major version, TLS (always on for serverless), and
 * - primary region: from one of the target's serverless snapshots (`latest`
 *   or a name), the config's subnets and security groups (else the
 *   source's), the source's RBAC user group unless told otherwise;
 * - DR region: from the target's DR copies in the DR bucket (`latest`: the
 *   newest complete, verified export; or a named `s3://` export), every
 *   shard's `.rdb` object, in `dr.network`'s subnets and security groups,
 *   with the user group given (none otherwise: it warns).
 * Like the node-based path it never deletes anything and does not tag the
 * new cache as redis-dr's.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateServerlessCache.html
 */
import {
  CreateServerlessCacheCommand,
  DescribeServerlessCachesCommand,
  DescribeServerlessCacheSnapshotsCommand,
  type CreateServerlessCacheCommandInput,
  type ServerlessCache,
} from '@aws-sdk/client-elasticache';
import { networkIds, type RedisDrConfig } from '../../../lib/config/index.js';
import { listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { describeError, errorName } from '../../adapters/aws/errors.js';
import { newestAvailable } from '../../domain/points/choice.js';
import { TAGS } from '../../domain/plans/types.js';
import type { OperatorClients } from '../kernel/clients.js';
import { chosenCopy, type PointCopiesReport } from '../dr-copies/copy-listing.js';
import { formatRefusals, restorePreflight, type PreflightRefusal } from '../../domain/drills/restore-preflight.js';
import { chooseDr, pointCopiesOrNone, restoreSource, type RestoreOptions, type RestoreResult } from './restore-point.js';
import { UsageError } from '../kernel/usage-error.js';

/** Is `target` one of the config's serverless caches (listed by name in a plan)? */
export function isServerlessTarget(config: RedisDrConfig, target: string): boolean {
  const t = target.toLowerCase();
  return config.plans.some((p) => (p.targets.serverlessCacheNames ?? []).some((n) => n.toLowerCase() === t));
}

/** A recovery point as a serverless restore needs it: a serverless snapshot, or a DR copy's objects. */
export interface ServerlessRestorePoint {
  readonly name: string;
  /** The serverless snapshot's ARN, or the S3 ARNs of a DR copy's `.rdb` objects (shard order). */
  readonly arns: readonly string[];
  readonly engine: string;
  readonly majorEngineVersion?: string;
  readonly source?: string;
  readonly createdAt: Date;
}

/** The CreateServerlessCache request (pure). */
export function createServerlessRequest(
  point: ServerlessRestorePoint,
  o: {
    readonly id: string;
    readonly target: string;
    readonly subnetIds: readonly string[];
    readonly securityGroupIds: readonly string[];
    readonly userGroupId?: string;
  },
): CreateServerlessCacheCommandInput {
  return {
    ServerlessCacheName: o.id,
    Description: `redis-dr restore of ${o.target} from ${point.name}`.slice(0, 255),
    Engine: point.engine,
    ...(point.majorEngineVersion ? { MajorEngineVersion: point.majorEngineVersion } : {}),
    SnapshotArnsToRestore: [...point.arns],
    ...(o.subnetIds.length > 0 ? { SubnetIds: [...o.subnetIds] } : {}),
    ...(o.securityGroupIds.length > 0 ? { SecurityGroupIds: [...o.securityGroupIds] } : {}),
    ...(o.userGroupId ? { UserGroupId: o.userGroupId } : {}),
    Tags: [
      { Key: TAGS.source, Value: o.target },
      { Key: 'redis-dr:restored-from', Value: point.name.slice(0, 256) },
    ],
  };
}

async function describeCache(aws: OperatorClients, region: string, name: string): Promise<ServerlessCache | undefined> {
  try {
    return (await aws.elasticache(region).send(new DescribeServerlessCachesCommand({ ServerlessCacheName: name }))).ServerlessCaches?.[0];
  } catch (err) {
    if (errorName(err) === 'ServerlessCacheNotFoundFault') return undefined;
    throw err;
  }
}

async function choosePoint(aws: OperatorClients, region: string, target: string, from: string): Promise<ServerlessRestorePoint> {
  const ec = aws.elasticache(region);
  let name = from;
  if (from === 'latest') {
    const newest = newestAvailable((await listTargetSnapshots(ec, { kind: 'serverless-cache', id: target })).map((s) => ({ ...s, managed: true })));
    if (!newest) throw new Error(`no available snapshot of serverless cache ${target} in ${region}: check the name`);
    name = newest.name;
  }
  let s;
  try {
    s = (await ec.send(new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheSnapshotName: name }))).ServerlessCacheSnapshots?.[0];
  } catch (err) {
    if (errorName(err) !== 'ServerlessCacheSnapshotNotFoundFault') throw err;
  }
  if (!s) throw new Error(`no serverless snapshot ${name} in ${region}`);
  const status = (s.Status ?? 'unknown').toLowerCase();
  if (status !== 'available') throw new Error(`snapshot ${name} is ${status}, not available`);
  const config = s.ServerlessCacheConfiguration;
  if (!s.ARN || !config?.Engine) throw new Error(`snapshot ${name} records no ARN or engine, so it cannot be restored`);
  if (config.ServerlessCacheName && config.ServerlessCacheName.toLowerCase() !== target.toLowerCase()) {
    throw new UsageError(
      `--from ${name} is a snapshot of ${config.ServerlessCacheName}, not of --target ${target}: pass --target ${config.ServerlessCacheName} if that is meant`,
    );
  }
  return {
    name,
    arns: [s.ARN],
    engine: config.Engine,
    majorEngineVersion: config.MajorEngineVersion,
    source: config.ServerlessCacheName,
    createdAt: s.CreateTime ?? new Date(0),
  };
}

/** The DR copy to restore, as a serverless restore point, with its `.rdb` copy. */
async function chooseDrPoint(
  config: RedisDrConfig,
  aws: OperatorClients,
  region: string,
  target: string,
  from: string,
  vault: boolean,
): Promise<ServerlessRestorePoint & { rdbCopies: PointCopiesReport; refusals: PreflightRefusal[] }> {
  const { choice, copy, evidence } = await chooseDr(config, aws, region, target, from, undefined, new Date(aws.clock.now()), 'serverless-cache', vault);
  return {
    // A serverless cache is cluster mode: a copy with keys outside db 0 is refused here, not after the create.
    refusals: restorePreflight(choice, evidence, 'restore'),
    rdbCopies: chosenCopy(copy),
    name: choice.recoveryPoint,
    arns: choice.snapshotArns ?? [],
    engine: choice.engine,
    majorEngineVersion: choice.engineVersion,
    source: choice.target,
    createdAt: new Date(choice.createdAt),
  };
}

/** Restores a serverless target in the primary or the DR region (see the module comment). */
export async function runServerlessRestore(config: RedisDrConfig, aws: OperatorClients, o: RestoreOptions, id: string): Promise<RestoreResult> {
  const { region, where, from, vault } = restoreSource(config, o);
  if (o.authTokenSecret)
    throw new UsageError("--auth-token-secret: serverless caches take no AUTH token; pass --user-group-ids <one RBAC user group> (default: the source's)");
  if ((o.userGroupIds?.length ?? 0) > 1) throw new UsageError(`--user-group-ids ${o.userGroupIds!.join(',')}: a serverless cache takes one user group`);
  for (const [flag, set] of [
    ['--node-type', o.nodeType],
    ['--replicas', o.replicas],
    ['--subnet-group', o.subnetGroup],
    ['--parameter-group', o.parameterGroup],
  ] as const) {
    if (set !== undefined) throw new UsageError(`${flag}: a serverless cache has no ${flag.slice(2).replace('-', ' ')}; leave it out`);
  }
  const dr = where === 'dr' || vault ? await chooseDrPoint(config, aws, region, o.target, from, vault) : undefined;
  const point = dr ?? (await choosePoint(aws, region, o.target, from));
  // The source lives in the primary region: in the DR region its network and user group are the config's or the options'.
  const source = where === 'primary' ? await describeCache(aws, region, o.target).catch(() => undefined) : undefined;
  const sourceUrl = source?.Endpoint?.Address ? `rediss://${source.Endpoint.Address}:${source.Endpoint.Port ?? 6379}` : undefined;
  const rdbCopies = dr?.rdbCopies ?? (await pointCopiesOrNone(config, aws, point.name, sourceUrl));
  const network = networkIds(where === 'primary' ? config.network : where === 'dr' ? config.dr.network : undefined);
  const request = createServerlessRequest(point, {
    id,
    target: o.target,
    subnetIds: network?.subnetIds ?? source?.SubnetIds ?? [],
    securityGroupIds: o.securityGroupIds ?? network?.securityGroupIds ?? source?.SecurityGroupIds ?? [],
    userGroupId: o.userGroupIds?.[0] ?? source?.UserGroupId,
  });
  if (where !== 'primary' && request.SubnetIds === undefined) {
    o.onWarning?.(`no subnets: set dr.network in the config, or the cache goes to ${region}'s default VPC subnets`);
  }
  if (!request.UserGroupId)
    o.onWarning?.('no user group: the new serverless cache accepts the default user; pass --user-group-ids to require RBAC credentials');
  const base = {
    replicationGroupId: null,
    serverlessCacheName: id,
    region,
    recoveryPoint: point.name,
    recoveryPointCreatedAt: point.createdAt.toISOString(),
    request,
    rdbCopies,
  };
  if (dr && dr.refusals.length > 0) {
    return { ...base, status: 'refused', refusals: dr.refusals, endpoint: null, ok: false, message: formatRefusals(point.name, dr.refusals) };
  }
  if (o.dryRun) return { ...base, status: 'dry-run', endpoint: null, ok: true, message: 'dry run: nothing created' };
  try {
    await aws.elasticache(region).send(new CreateServerlessCacheCommand(request));
  } catch (err) {
    if (errorName(err) === 'ServerlessCacheAlreadyExistsFault')
      throw new UsageError(`--new-id ${id}: a serverless cache with this name exists in ${region}; choose another id`);
    throw err;
  }
  o.onCreated?.(`creating serverless cache ${id} in ${region} from ${point.name}`);
  const follow = `aws elasticache describe-serverless-caches --region ${region} --serverless-cache-name ${id}`;
  if (!o.wait) return { ...base, status: 'creating', endpoint: null, ok: true, message: `creating ${id}; follow it with: ${follow}` };
  const deadline = aws.clock.now() + (o.timeoutMinutes ?? 120) * 60_000;
  for (let poll = 1; ; poll++) {
    await aws.clock.sleep((o.pollSeconds ?? 30) * 1000);
    let cache: ServerlessCache | undefined;
    try {
      cache = await describeCache(aws, region, id);
    } catch (err) {
      throw new Error(`${id} was created; watching it failed (${describeError(err)}): follow it with ${follow}`, { cause: err });
    }
    const status = (cache?.Status ?? (poll <= 3 ? 'creating' : 'gone')).toLowerCase();
    o.onStatus?.(status);
    if (status === 'available') {
      const e = cache!.Endpoint;
      return { ...base, status, endpoint: e?.Address ? `rediss://${e.Address}:${e.Port ?? 6379}` : null, ok: true, message: `${id} is available` };
    }
    if (status === 'create-failed') {
      return {
        ...base,
        status,
        endpoint: null,
        ok: false,
        message:
          `${id} is create-failed: ElastiCache could not build it from ${point.name} ` +
          `(why: aws elasticache describe-events --region ${region} --source-type serverless-cache --source-identifier ${id}). ` +
          `Delete it (aws elasticache delete-serverless-cache --region ${region} --serverless-cache-name ${id}) and try an older snapshot with --from.`,
      };
    }
    if (status === 'deleting' || status === 'gone')
      return {
        ...base,
        status,
        endpoint: null,
        ok: false,
        message: `${id} is ${status === 'gone' ? 'gone' : 'being deleted'} (by someone else?): nothing to wait for`,
      };
    if (aws.clock.now() >= deadline)
      return {
        ...base,
        status: 'timeout',
        endpoint: null,
        ok: false,
        message: `${id} is still ${status} after ${o.timeoutMinutes ?? 120} min; follow it with ${follow}`,
      };
  }
}
