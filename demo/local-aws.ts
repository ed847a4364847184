/**
 * The local provider of `npm run demo`: the AWS calls of the real jobs and
 * of the drill state machine's SDK tasks, answered on this machine, behind
 * the SDK client port. Every client is a real AWS SDK v3 client (S3,
 * ElastiCache, Secrets Manager, SNS, Resource Groups Tagging) with one
 * middleware added at the `initialize` step: it answers the command from
 * local state and never calls `next`, so nothing is serialized, signed or
 * sent (the clients carry placeholder credentials; no request can leave the
 * machine). A command the provider does not answer fails with
 * {@link NotAnsweredLocally} naming it. Errors are the SDK's own exception
 * types with the names AWS gives them (`NoSuchKey`,
 * `ReplicationGroupNotFoundFault`, …), so the jobs' error handling and the
 * state machine's Retry/Catch see what they would see on AWS.
 *
 * What it holds and answers:
 * - S3: buckets as folders (object key = path in the folder; files whose
 *   name starts with a dot are not objects), object tags in a sidecar
 *   `.s3-tags.json` per folder. ListObjectsV2 (Prefix, pages of 1,000),
 *   HeadObject, GetObject (single `Range`, `If-Match` on the ETag, the body
 *   a stream with the SDK's stream mixin), PutObject (a string or bytes
 *   body), GetObjectTagging,
 *   PutObjectTagging (at most 10 tags). The ETag is the MD5 of the bytes, as
 *   S3's for a single-part upload; the VersionId changes with every write
 *   of the file (one version per key is held). Object Lock (the vault's buckets): a
 *   retention per object in a sidecar `.s3-retention.json`,
 *   GetObjectRetention (`NoSuchObjectLockConfiguration` without one),
 *   PutObjectRetention (COMPLIANCE: never shortened nor changed to another
 *   mode), DeleteObject (refused with `AccessDenied` while a retention holds,
 *   as S3 refuses deleting a locked version; a folder holds one version per
 *   key, so every delete names that version). `ExpectedBucketOwner` on any
 *   S3 call is refused with `AccessDenied` unless it names the bucket's owner
 *   (`owners`, else `account`).
 * - ElastiCache: CreateReplicationGroup seeded from `SnapshotArns` (S3 ARNs
 *   of this provider's buckets) with an `AuthToken` starts a throwaway
 *   redis-server from that `.rdb` with the token as its password
 *   (lambdas/adapters/redis/local-server.ts); DescribeReplicationGroups answers
 *   `creating` while it loads, then `available` with its endpoint (or
 *   `restore-failed` when the server refused the file);
 *   ListTagsForResource gives the tags of the create; DeleteReplicationGroup
 *   (refused with InvalidReplicationGroupStateFault while creating, as
 *   ElastiCache does) stops the server and removes its directory. One shard,
 *   cluster mode disabled, token auth: what a DR drill of a single-shard
 *   group sends; anything else is refused with InvalidParameterCombination.
 * - Secrets Manager: a map per region. GetRandomPassword, CreateSecret,
 *   GetSecretValue (by ARN or name), DeleteSecret.
 * - SNS: Publish, captured in {@link LocalAws.published}; ListSubscriptionsByTopic,
 *   the subscriptions given (the config's alerts.emails).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { copyFileSync, createReadStream, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { ElastiCacheClient, ElastiCacheServiceException } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { LocalRedis } from '../lambdas/adapters/redis/local-server.js';
import { MAX_OBJECT_TAGS } from '../lambdas/domain/plans/types.js';

/** A command the provider has no answer for: the demo would otherwise call AWS. */
export class NotAnsweredLocally extends Error {
  override readonly name = 'NotAnsweredLocally';
}

/** A message published to a topic. */
export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** A replication group the provider made. */
export interface LocalGroup {
  readonly id: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The `.rdb` it was seeded from (a file of a bucket folder). */
  readonly rdb: string;
  status: 'creating' | 'available' | 'restore-failed' | 'deleting' | 'deleted';
  /** The server, once it loaded the file. */
  server?: LocalRedis;
  /** Why the server could not start (`restore-failed`). */
  failure?: string;
  /** Wall-clock times (ms) of the create, of `available`, and of the delete. */
  readonly createdAtMs: number;
  availableAtMs?: number;
  deletedAtMs?: number;
}

/** Options of {@link LocalAws}. */
export interface LocalAwsOptions {
  /** The account ARNs name. */
  readonly account: string;
  /** Bucket name → folder. */
  readonly buckets: Readonly<Record<string, string>>;
  /** Bucket name → owning account, for buckets of another account than `account` (the vault's). */
  readonly owners?: Readonly<Record<string, string>>;
  /** Starts a server loading `rdb` that requires `password` (the drill cluster). */
  readonly startServer: (rdb: string, password: string) => Promise<LocalRedis>;
  /**
   * The subscriptions every topic has (ListSubscriptionsByTopic): the config's
   * alerts.emails, as the stacks subscribe them.
   * @default - none
   */
  readonly subscriptions?: readonly { readonly protocol: string; readonly endpoint: string; readonly confirmed: boolean }[];
}

// biome-ignore lint/suspicious/noExplicitAny: the inputs of every SDK command the demo answers arrive here; each answer reads its own command's members
type Input = Record<string, any>;
type Answer = (command: string, input: Input) => Promise<object>;

/** The part of a client's middleware stack used here (every SDK v3 client has it). */
interface MiddlewareStackLike {
  add(middleware: unknown, options: { step: 'initialize'; priority: 'high'; name: string }): void;
}

const TAGS_FILE = '.s3-tags.json';
const RETENTION_FILE = '.s3-retention.json';

/** An object's Object Lock retention, as S3's API spells it. */
export interface LocalRetention {
  readonly Mode: 'COMPLIANCE' | 'GOVERNANCE';
  /** ISO instant. */
  readonly RetainUntilDate: string;
}

/** The AWS calls of the demo, answered locally (see the module comment). */
export class LocalAws {
  /** Every call answered or refused, in order: `S3 GetObject`, `ElastiCache CreateReplicationGroup`, … */
  readonly calls: string[] = [];
  readonly published: PublishedMessage[] = [];
  /** Every replication group created, deleted ones too. */
  readonly groups: LocalGroup[] = [];
  private readonly secrets = new Map<string, { arn: string; name: string; value: string; region: string; tags: Record<string, string> }>();
  private readonly etags = new Map<string, { stamp: string; etag: string }>();
  /** Each group's server start (settles when it is up or failed). */
  private readonly starting = new Map<LocalGroup, Promise<void>>();

  constructor(private readonly options: LocalAwsOptions) {}

  /** An S3 client of `region` answered by this provider. */
  s3(region: string): S3Client {
    return this.attach(new S3Client(clientConfig(region)), 'S3', (c, i) => this.answerS3(c, i));
  }

  /** An ElastiCache client of `region` answered by this provider. */
  elastiCache(region: string): ElastiCacheClient {
    return this.attach(new ElastiCacheClient(clientConfig(region)), 'ElastiCache', (c, i) => this.answerElastiCache(region, c, i));
  }

  /** A Secrets Manager client of `region` answered by this provider. */
  secretsManager(region: string): SecretsManagerClient {
    return this.attach(new SecretsManagerClient(clientConfig(region)), 'SecretsManager', (c, i) => this.answerSecrets(region, c, i));
  }

  /** An SNS client of `region` answered by this provider. */
  sns(region: string): SNSClient {
    return this.attach(new SNSClient(clientConfig(region)), 'SNS', async (c, i) => this.answerSns(c, i));
  }

  /** A Resource Groups Tagging API client: nothing of the demo calls it (DR drills never do), so every command is refused. */
  tagging(region: string): ResourceGroupsTaggingAPIClient {
    return this.attach(new ResourceGroupsTaggingAPIClient(clientConfig(region)), 'Tagging', async (c) => {
      throw new NotAnsweredLocally(`Resource Groups Tagging API ${c} is not answered by the demo's local provider`);
    });
  }

  /** Stores a secret as CreateSecret would (the demo's own setup, e.g. the source's password for the probe). */
  putSecret(region: string, name: string, value: string): string {
    return this.createSecret(region, { Name: name, SecretString: value }).ARN;
  }

  /** Groups not deleted yet. */
  liveGroups(): LocalGroup[] {
    return this.groups.filter((g) => g.status !== 'deleted');
  }

  /** Stops every group's server still running (those a drill did not delete), waiting for starts in flight. */
  async shutdown(): Promise<LocalGroup[]> {
    const left = this.liveGroups();
    await Promise.all(left.map((g) => this.stopGroup(g)));
    return left;
  }

  /** Adds the answering middleware to `client`. */
  private attach<C extends { middlewareStack: unknown }>(client: C, service: string, answer: Answer): C {
    (client.middlewareStack as MiddlewareStackLike).add(
      (_next: unknown, context: { commandName?: string }) => async (args: { input: Input }) => {
        const command = (context.commandName ?? 'UnknownCommand').replace(/Command$/, '');
        this.calls.push(`${service} ${command}`);
        const output = await answer(command, args.input);
        return { output: { $metadata: { httpStatusCode: 200 }, ...output }, response: {} };
      },
      { step: 'initialize', priority: 'high', name: 'redisDrLocalProvider' },
    );
    return client;
  }

  // ---- S3 ---------------------------------------------------------------------

  private folder(bucket: string): string {
    const dir = this.options.buckets[bucket];
    if (!dir) throw s3Error('NoSuchBucket', `The specified bucket does not exist: ${bucket}`, 404);
    return dir;
  }

  /** The object's file and its stats; NoSuchKey (NotFound for HEAD) when there is none. */
  private object(bucket: string, key: string, head = false): { file: string; stats: Stats } {
    const dir = this.folder(bucket);
    const file = join(dir, ...key.split('/'));
    const missing = () => (head ? s3Error('NotFound', 'Not Found', 404) : s3Error('NoSuchKey', 'The specified key does not exist.', 404));
    if (!isObjectKey(key) || relative(dir, file).startsWith('..')) throw missing();
    let stats: Stats;
    try {
      stats = statSync(file);
    } catch {
      throw missing();
    }
    if (!stats.isFile()) throw missing();
    return { file, stats };
  }

  /** A version id per content and write of the file (a folder holds one version per key; a rewrite is a new version). */
  private versionId(file: string, stats: Stats): string {
    return createHash('md5')
      .update(`${this.etag(file, stats)}:${stats.ino}:${stats.mtimeMs}`)
      .digest('hex')
      .slice(0, 32);
  }

  private etag(file: string, stats: Stats): string {
    const stamp = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    const known = this.etags.get(file);
    if (known?.stamp === stamp) return known.etag;
    const etag = `"${createHash('md5').update(readFileSync(file)).digest('hex')}"`;
    this.etags.set(file, { stamp, etag });
    return etag;
  }

  private readTags(bucket: string): Record<string, Record<string, string>> {
    try {
      return JSON.parse(readFileSync(join(this.folder(bucket), TAGS_FILE), 'utf8')) as Record<string, Record<string, string>>;
    } catch {
      return {};
    }
  }

  private writeTags(bucket: string, all: Record<string, Record<string, string>>): void {
    const path = join(this.folder(bucket), TAGS_FILE);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(all, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  private readRetention(bucket: string): Record<string, LocalRetention> {
    try {
      return JSON.parse(readFileSync(join(this.folder(bucket), RETENTION_FILE), 'utf8')) as Record<string, LocalRetention>;
    } catch {
      return {};
    }
  }

  private writeRetention(bucket: string, all: Record<string, LocalRetention>): void {
    const path = join(this.folder(bucket), RETENTION_FILE);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(all, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  /** Locks an object as a bucket's default retention does when the object lands (the vault's COMPLIANCE default). */
  lockObject(bucket: string, key: string, retention: LocalRetention): void {
    this.object(bucket, key);
    const all = this.readRetention(bucket);
    all[key] = retention;
    this.writeRetention(bucket, all);
  }

  /** An object's retention, read directly. */
  objectRetention(bucket: string, key: string): LocalRetention | undefined {
    return this.readRetention(bucket)[key];
  }

  private async answerS3(command: string, i: Input): Promise<object> {
    const owner = this.options.owners?.[String(i.Bucket)] ?? this.options.account;
    if (i.ExpectedBucketOwner !== undefined && i.ExpectedBucketOwner !== owner) {
      // S3 answers 403 when the bucket belongs to another account than the caller expects.
      throw s3Error('AccessDenied', 'Access Denied', 403);
    }
    switch (command) {
      case 'GetObjectRetention': {
        this.object(i.Bucket, i.Key);
        const retention = this.readRetention(i.Bucket)[i.Key];
        if (!retention) throw s3Error('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration', 404);
        return { Retention: { Mode: retention.Mode, RetainUntilDate: new Date(retention.RetainUntilDate) } };
      }
      case 'PutObjectRetention': {
        this.object(i.Bucket, i.Key);
        const all = this.readRetention(i.Bucket);
        const held = all[i.Key];
        const mode = String(i.Retention?.Mode ?? '');
        const until = new Date(i.Retention?.RetainUntilDate ?? Number.NaN);
        if ((mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE') || Number.isNaN(until.getTime())) {
          throw s3Error('MalformedXML', 'The retention needs a Mode (COMPLIANCE or GOVERNANCE) and a RetainUntilDate.', 400);
        }
        // COMPLIANCE: nobody shortens it or changes its mode while it holds (S3 answers 403).
        if (
          held?.Mode === 'COMPLIANCE' &&
          Date.parse(held.RetainUntilDate) > Date.now() &&
          (mode !== 'COMPLIANCE' || until.getTime() < Date.parse(held.RetainUntilDate))
        ) {
          throw s3Error('AccessDenied', 'Access Denied because object protected by object lock.', 403);
        }
        all[i.Key] = { Mode: mode, RetainUntilDate: until.toISOString() };
        this.writeRetention(i.Bucket, all);
        return {};
      }
      case 'DeleteObject': {
        const { file, stats } = this.object(i.Bucket, i.Key);
        // One version per key here: a version id that is not the current one names nothing.
        if (i.VersionId !== undefined && i.VersionId !== this.versionId(file, stats))
          throw s3Error('NoSuchVersion', 'The specified version does not exist.', 404);
        const held = this.readRetention(i.Bucket)[i.Key];
        const bypass = held?.Mode === 'GOVERNANCE' && i.BypassGovernanceRetention === true;
        if (held && Date.parse(held.RetainUntilDate) > Date.now() && !bypass) {
          // What S3 answers for deleting a locked object version.
          throw s3Error('AccessDenied', 'Access Denied because object protected by object lock.', 403);
        }
        rmSync(file);
        return {};
      }
      case 'ListObjectsV2': {
        const dir = this.folder(i.Bucket);
        const prefix = String(i.Prefix ?? '');
        const keys = listKeys(dir).filter((k) => k.startsWith(prefix) && (i.ContinuationToken === undefined || k > String(i.ContinuationToken)));
        const max = Math.min(Number(i.MaxKeys ?? 1000), 1000);
        const page = keys.slice(0, max);
        const truncated = keys.length > page.length;
        return {
          Name: i.Bucket,
          Prefix: prefix,
          KeyCount: page.length,
          MaxKeys: max,
          IsTruncated: truncated,
          ...(truncated ? { NextContinuationToken: page.at(-1) } : {}),
          Contents: page.map((key) => {
            const { file, stats } = this.object(i.Bucket, key);
            return { Key: key, Size: stats.size, LastModified: stats.mtime, ETag: this.etag(file, stats), StorageClass: 'STANDARD' };
          }),
        };
      }
      case 'HeadObject': {
        const { file, stats } = this.object(i.Bucket, i.Key, true);
        return {
          ContentLength: stats.size,
          ETag: this.etag(file, stats),
          VersionId: this.versionId(file, stats),
          LastModified: stats.mtime,
          ContentType: 'application/octet-stream',
          AcceptRanges: 'bytes',
        };
      }
      case 'GetObject': {
        const { file, stats } = this.object(i.Bucket, i.Key);
        const etag = this.etag(file, stats);
        if (i.IfMatch !== undefined && i.IfMatch !== etag)
          throw s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
        let first = 0;
        let last = stats.size - 1;
        let ranged = false;
        if (i.Range !== undefined) {
          const m = /^bytes=(\d+)-(\d*)$/.exec(String(i.Range));
          if (!m) throw s3Error('InvalidArgument', `unsupported Range ${String(i.Range)}`, 400);
          first = Number(m[1]);
          if (first >= stats.size) throw s3Error('InvalidRange', 'The requested range is not satisfiable', 416);
          // As S3: a range past the end is cut at the end.
          last = Math.min(m[2] ? Number(m[2]) : stats.size - 1, stats.size - 1);
          ranged = true;
        }
        const body = stats.size === 0 ? createReadStream(file) : createReadStream(file, { start: first, end: last });
        return {
          Body: sdkStreamMixin(body),
          ContentLength: stats.size === 0 ? 0 : last - first + 1,
          ...(ranged ? { ContentRange: `bytes ${first}-${last}/${stats.size}` } : {}),
          ETag: etag,
          VersionId: this.versionId(file, stats),
          LastModified: stats.mtime,
          ContentType: 'application/octet-stream',
          AcceptRanges: 'bytes',
        };
      }
      case 'PutObject': {
        const dir = this.folder(i.Bucket);
        const key = String(i.Key ?? '');
        const file = join(dir, ...key.split('/'));
        if (!isObjectKey(key) || relative(dir, file).startsWith('..')) throw s3Error('InvalidArgument', `key ${key} cannot be held locally`, 400);
        const body = i.Body;
        if (typeof body !== 'string' && !(body instanceof Uint8Array))
          throw new NotAnsweredLocally('S3 PutObject with a streamed body is not answered locally');
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, body);
        const stats = statSync(file);
        return { ETag: this.etag(file, stats), VersionId: this.versionId(file, stats) };
      }
      case 'CopyObject': {
        // CopySource: `<bucket>/<key>[?versionId=<id>]`, the key URL-encoded.
        const m = /^\/?([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(String(i.CopySource ?? ''));
        if (!m) throw s3Error('InvalidArgument', `CopySource ${String(i.CopySource)} is not <bucket>/<key>[?versionId=<id>]`, 400);
        const [, srcBucket, srcKey, srcVersion] = m as unknown as [string, string, string, string | undefined];
        const srcOwner = this.options.owners?.[srcBucket] ?? this.options.account;
        if (i.ExpectedSourceBucketOwner !== undefined && i.ExpectedSourceBucketOwner !== srcOwner) throw s3Error('AccessDenied', 'Access Denied', 403);
        const src = this.object(srcBucket, decodeURIComponent(srcKey));
        if (srcVersion !== undefined && decodeURIComponent(srcVersion) !== this.versionId(src.file, src.stats))
          throw s3Error('NoSuchVersion', 'The specified version does not exist.', 404);
        if (i.CopySourceIfMatch !== undefined && String(i.CopySourceIfMatch).replace(/"/g, '') !== this.etag(src.file, src.stats).replace(/"/g, ''))
          throw s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
        const dir = this.folder(i.Bucket);
        const key = String(i.Key ?? '');
        const file = join(dir, ...key.split('/'));
        if (!isObjectKey(key) || relative(dir, file).startsWith('..')) throw s3Error('InvalidArgument', `key ${key} cannot be held locally`, 400);
        mkdirSync(dirname(file), { recursive: true });
        copyFileSync(src.file, file);
        // TaggingDirective COPY (the default) copies the tags; REPLACE sets the request's (none without Tagging).
        const tags = this.readTags(i.Bucket);
        if (i.TaggingDirective === 'REPLACE') delete tags[key];
        else tags[key] = { ...(this.readTags(srcBucket)[decodeURIComponent(srcKey)] ?? {}) };
        this.writeTags(i.Bucket, tags);
        const stats = statSync(file);
        return { CopyObjectResult: { ETag: this.etag(file, stats), LastModified: stats.mtime }, VersionId: this.versionId(file, stats) };
      }
      case 'ListObjectVersions': {
        // One version per key, no delete markers: every object under the prefix is its own latest version.
        const dir = this.folder(i.Bucket);
        const prefix = String(i.Prefix ?? '');
        const keys = listKeys(dir).filter((k) => k.startsWith(prefix));
        return {
          Name: i.Bucket,
          Prefix: prefix,
          IsTruncated: false,
          Versions: keys.map((key) => {
            const { file, stats } = this.object(i.Bucket, key);
            return {
              Key: key,
              VersionId: this.versionId(file, stats),
              IsLatest: true,
              Size: stats.size,
              ETag: this.etag(file, stats),
              LastModified: stats.mtime,
            };
          }),
          DeleteMarkers: [],
        };
      }
      case 'GetObjectTagging': {
        this.object(i.Bucket, i.Key);
        const tags = this.readTags(i.Bucket)[i.Key] ?? {};
        return { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
      }
      case 'PutObjectTagging': {
        this.object(i.Bucket, i.Key);
        const set = (i.Tagging?.TagSet ?? []) as { Key: string; Value: string }[];
        if (set.length > MAX_OBJECT_TAGS) throw s3Error('BadRequest', `Object tags cannot be greater than ${MAX_OBJECT_TAGS}`, 400);
        const all = this.readTags(i.Bucket);
        // S3 replaces the whole set.
        all[i.Key] = Object.fromEntries(set.map((t) => [t.Key, t.Value]));
        this.writeTags(i.Bucket, all);
        return {};
      }
      default:
        throw new NotAnsweredLocally(`S3 ${command} is not answered by the demo's local provider`);
    }
  }

  /** Tags of an object, read directly (the demo's own "replication" copies them with the object). */
  objectTags(bucket: string, key: string): Record<string, string> {
    return { ...(this.readTags(bucket)[key] ?? {}) };
  }

  /** Sets an object's whole tag set directly (S3 replication copies the tags with the object). */
  replaceObjectTags(bucket: string, key: string, tags: Readonly<Record<string, string>>): void {
    const all = this.readTags(bucket);
    all[key] = { ...tags };
    this.writeTags(bucket, all);
  }

  /** The folder a bucket is kept in. */
  bucketFolder(bucket: string): string {
    return this.folder(bucket);
  }

  // ---- ElastiCache ------------------------------------------------------------

  private group(region: string, id: string): LocalGroup {
    const g = this.groups.find((x) => x.region === region && x.id === id && x.status !== 'deleted');
    if (!g) throw ecError('ReplicationGroupNotFoundFault', `ReplicationGroup ${id} not found.`, 404);
    return g;
  }

  /** The bucket file an `arn:aws:s3:::bucket/key` names. */
  private s3ArnFile(arn: string): string {
    const m = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/.exec(arn);
    if (!m) throw ecError('InvalidParameterValueException', `The snapshot ARN ${arn} is not an S3 object ARN.`, 400);
    try {
      return this.object(m[1]!, m[2]!).file;
    } catch {
      throw ecError('InvalidParameterValueException', `No object at ${arn}: ElastiCache cannot read the RDB file to seed from.`, 400);
    }
  }

  private async answerElastiCache(region: string, command: string, i: Input): Promise<object> {
    switch (command) {
      case 'CreateReplicationGroup': {
        const id = String(i.ReplicationGroupId ?? '').toLowerCase();
        if (this.groups.some((g) => g.region === region && g.id === id && g.status !== 'deleted')) {
          throw ecError('ReplicationGroupAlreadyExistsFault', 'Replication group already exists.', 400);
        }
        const arns = (i.SnapshotArns ?? []) as string[];
        const unsupported = [
          i.SnapshotName !== undefined && 'SnapshotName (no native snapshots here: seed from SnapshotArns)',
          arns.length !== 1 && `${arns.length} SnapshotArns (one shard only)`,
          (i.NumNodeGroups ?? 1) !== 1 && 'NumNodeGroups > 1',
          i.UserGroupIds !== undefined && 'UserGroupIds (RBAC)',
          typeof i.AuthToken !== 'string' && 'no AuthToken',
        ].filter((x): x is string => typeof x === 'string');
        if (unsupported.length > 0) {
          throw ecError(
            'InvalidParameterCombinationException',
            `the demo's local provider restores single-shard groups from one .rdb with an AUTH token; got ${unsupported.join(', ')}`,
            400,
          );
        }
        // ElastiCache's AUTH token rules: 16-128 printable characters, in-transit encryption on.
        if (i.AuthToken.length < 16 || i.AuthToken.length > 128 || /[\s"/@]/.test(i.AuthToken)) {
          throw ecError('InvalidParameterValueException', 'The AUTH token must be 16 to 128 printable characters, without space, " / or @.', 400);
        }
        if (i.TransitEncryptionEnabled !== true) throw ecError('InvalidParameterCombinationException', 'An AUTH token requires TransitEncryptionEnabled.', 400);
        const rdb = this.s3ArnFile(arns[0]!);
        const tags = Object.fromEntries(((i.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
        const group: LocalGroup = { id, region, tags, rdb, status: 'creating', createdAtMs: Date.now() };
        this.groups.push(group);
        this.starting.set(
          group,
          this.options.startServer(rdb, i.AuthToken).then(
            (server) => {
              group.server = server;
              group.availableAtMs = Date.now();
              if (group.status === 'creating') group.status = 'available';
            },
            (err: unknown) => {
              group.failure = err instanceof Error ? err.message : String(err);
              if (group.status === 'creating') group.status = 'restore-failed';
            },
          ),
        );
        return { ReplicationGroup: this.describe(group, i.ReplicationGroupDescription) };
      }
      case 'DescribeReplicationGroups': {
        if (i.ReplicationGroupId === undefined)
          throw new NotAnsweredLocally('DescribeReplicationGroups without ReplicationGroupId is not answered by the local provider');
        return { ReplicationGroups: [this.describe(this.group(region, String(i.ReplicationGroupId).toLowerCase()))] };
      }
      case 'ListTagsForResource': {
        const m = /^arn:aws[a-z-]*:elasticache:([^:]+):(\d{12}):replicationgroup:(.+)$/.exec(String(i.ResourceName ?? ''));
        if (!m) throw ecError('InvalidARNFault', `${String(i.ResourceName)} is not a replication group ARN this provider knows.`, 400);
        return { TagList: Object.entries(this.group(m[1]!, m[3]!).tags).map(([Key, Value]) => ({ Key, Value })) };
      }
      case 'DeleteReplicationGroup': {
        const group = this.group(region, String(i.ReplicationGroupId ?? '').toLowerCase());
        if (group.status === 'creating') throw ecError('InvalidReplicationGroupStateFault', 'Replication group must be in available state to be deleted.', 400);
        group.status = 'deleting';
        await this.stopGroup(group);
        return { ReplicationGroup: { ...this.describe(group), Status: 'deleting' } };
      }
      default:
        throw new NotAnsweredLocally(`ElastiCache ${command} is not answered by the demo's local provider`);
    }
  }

  private async stopGroup(group: LocalGroup): Promise<void> {
    await this.starting.get(group);
    await group.server?.stop();
    group.status = 'deleted';
    group.deletedAtMs = Date.now();
  }

  private describe(g: LocalGroup, description?: string): object {
    const available = g.status === 'available' && g.server;
    return {
      ReplicationGroupId: g.id,
      ...(description ? { Description: description } : {}),
      Status: g.status,
      ARN: `arn:aws:elasticache:${g.region}:${this.options.account}:replicationgroup:${g.id}`,
      ClusterEnabled: false,
      ClusterMode: 'disabled',
      AuthTokenEnabled: true,
      TransitEncryptionEnabled: true,
      MemberClusters: [`${g.id}-001`],
      NodeGroups: available
        ? [
            {
              NodeGroupId: '0001',
              Status: 'available',
              PrimaryEndpoint: { Address: g.server!.host, Port: g.server!.port },
              NodeGroupMembers: [
                { CacheClusterId: `${g.id}-001`, CacheNodeId: '0001', CurrentRole: 'primary', ReadEndpoint: { Address: g.server!.host, Port: g.server!.port } },
              ],
            },
          ]
        : [],
    };
  }

  // ---- Secrets Manager --------------------------------------------------------

  private findSecret(region: string, id: string) {
    const s = this.secrets.get(id) ?? [...this.secrets.values()].find((x) => x.region === region && x.name === id);
    if (!s || s.region !== region) throw smError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.", 400);
    return s;
  }

  private createSecret(region: string, i: Input): { ARN: string; Name: string; VersionId: string } {
    const name = String(i.Name ?? '');
    if ([...this.secrets.values()].some((s) => s.region === region && s.name === name)) {
      throw smError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`, 400);
    }
    if (typeof i.SecretString !== 'string') throw new NotAnsweredLocally('CreateSecret without SecretString is not answered by the local provider');
    // Secrets Manager appends six random characters to the name in the ARN.
    const arn = `arn:aws:secretsmanager:${region}:${this.options.account}:secret:${name}-${randomAlnum(6)}`;
    const tags = Object.fromEntries(((i.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
    this.secrets.set(arn, { arn, name, value: i.SecretString, region, tags });
    return { ARN: arn, Name: name, VersionId: randomBytes(16).toString('hex') };
  }

  private async answerSecrets(region: string, command: string, i: Input): Promise<object> {
    switch (command) {
      case 'GetRandomPassword': {
        const length = Number(i.PasswordLength ?? 32);
        let alphabet = ALNUM;
        if (!i.ExcludePunctuation) alphabet += PUNCTUATION;
        if (i.IncludeSpace) alphabet += ' ';
        if (i.ExcludeNumbers) alphabet = alphabet.replace(/\d/g, '');
        for (const c of String(i.ExcludeCharacters ?? '')) alphabet = alphabet.split(c).join('');
        return { RandomPassword: Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('') };
      }
      case 'CreateSecret':
        return this.createSecret(region, i);
      case 'GetSecretValue': {
        const s = this.findSecret(region, String(i.SecretId ?? ''));
        return { ARN: s.arn, Name: s.name, SecretString: s.value, VersionId: 'local', VersionStages: ['AWSCURRENT'], CreatedDate: new Date() };
      }
      case 'DeleteSecret': {
        const s = this.findSecret(region, String(i.SecretId ?? ''));
        this.secrets.delete(s.arn);
        return { ARN: s.arn, Name: s.name, DeletionDate: new Date() };
      }
      default:
        throw new NotAnsweredLocally(`Secrets Manager ${command} is not answered by the demo's local provider`);
    }
  }

  /** Secrets stored now (their names): the drill deletes its token secret on every path. */
  secretNames(): string[] {
    return [...this.secrets.values()].map((s) => s.name);
  }

  // ---- SNS ----------------------------------------------------------------------

  private answerSns(command: string, i: Input): object {
    if (command === 'ListSubscriptionsByTopic')
      return {
        Subscriptions: (this.options.subscriptions ?? []).map((sub, n) => ({
          Protocol: sub.protocol,
          Endpoint: sub.endpoint,
          TopicArn: String(i.TopicArn),
          SubscriptionArn: sub.confirmed ? `${String(i.TopicArn)}:local-${n + 1}` : 'PendingConfirmation',
        })),
      };
    if (command !== 'Publish') throw new NotAnsweredLocally(`SNS ${command} is not answered by the demo's local provider`);
    const attributes = Object.fromEntries(
      Object.entries((i.MessageAttributes ?? {}) as Record<string, { StringValue?: string }>).map(([k, v]) => [k, v.StringValue ?? '']),
    );
    this.published.push({ topicArn: String(i.TopicArn), ...(i.Subject ? { subject: String(i.Subject) } : {}), message: String(i.Message), attributes });
    return { MessageId: randomBytes(16).toString('hex') };
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function randomAlnum(n: number): string {
  return Array.from({ length: n }, () => ALNUM[randomInt(ALNUM.length)]).join('');
}

/** Client settings: the region, placeholder credentials (nothing is ever signed), no retries (answers are local). */
function clientConfig(region: string) {
  return { region, credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'local-provider-never-signs' }, maxAttempts: 1 };
}

function isObjectKey(key: string): boolean {
  return key !== '' && !key.split('/').some((part) => part === '' || part === '.' || part === '..' || part.startsWith('.'));
}

/** Object keys of a bucket folder, sorted as S3 lists them (UTF-8 binary order). */
function listKeys(dir: string): string[] {
  const keys: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) keys.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function meta(status: number) {
  return { httpStatusCode: status, requestId: 'local' };
}

function s3Error(name: string, message: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: meta(status), message });
}

function ecError(name: string, message: string, status: number): ElastiCacheServiceException {
  return new ElastiCacheServiceException({ name, $fault: 'client', $metadata: meta(status), message });
}

function smError(name: string, message: string, status: number): SecretsManagerServiceException {
  return new SecretsManagerServiceException({ name, $fault: 'client', $metadata: meta(status), message });
}
