/**
 * The vault account of test/fixtures/config/status-vault.json at the SDK
 * boundary: its bucket answers only a client made with the vault profile
 * (as its policy lets only the vault account read), replicas carry the tags
 * the export left, a version and an Object Lock retention each, and the vault
 * verifier's verdicts are objects under `redis-dr-vault-verdicts/`.
 */
import {
  GetObjectCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { Readable } from 'node:stream';
import { vaultVerdictKey } from '../../../lambdas/domain/vault/vault-verdict.js';
import type { fakeAws } from './fake-aws.js';

export const VAULT_CONFIG = 'test/fixtures/config/status-vault.json';
export const VAULT_ACCOUNT = '444455556666';
export const VAULT_REGION = 'eu-north-1';
export const VAULT_BUCKET = `redis-dr-example-${VAULT_ACCOUNT}-${VAULT_REGION}`;
/** The profile the vault bucket answers. */
export const VAULT_PROFILE = 'vault-ro';

const denied = () =>
  Object.assign(new Error('User is not authorized to perform: s3:ListBucket (explicit deny in a resource-based policy)'), { name: 'AccessDenied' });

/** Retention per vault object key (absent: none). */
export type Retentions = Map<string, { mode: string; until: string }>;

/** The current version of each replica (HeadObject), and the body of each verdict object: reset by {@link installVault}. */
const versions = new Map<string, { versionId: string; etag: string }>();
const bodies = new Map<string, string>();
const notFound = (name: string) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 404 } });

/**
 * Routes the vault bucket's calls: refused unless made with {@link VAULT_PROFILE}
 * (or always, `refuse`), answered from the fake account's objects and `retentions`
 * otherwise; `bucket`: another vault bucket's name. Call after `aws.reset()`.
 */
export function installVault(aws: ReturnType<typeof fakeAws>, retentions: Retentions, o: { refuse?: boolean; bucket?: string } = {}): void {
  const name = o.bucket ?? VAULT_BUCKET;
  const guard = (getClient: () => S3Client) => {
    if (o.refuse || getClient().config.profile !== VAULT_PROFILE) throw denied();
  };
  const objects = () => aws.state.objects.get(name) ?? new Map<string, Record<string, string>>();
  aws.s3.on(ListObjectsV2Command, { Bucket: name }).callsFake((i: { Prefix?: string }, getClient: () => S3Client) => {
    guard(getClient);
    const keys = [...objects().keys()].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
    return { Contents: keys.map((Key) => ({ Key, Size: 1024 })), IsTruncated: false };
  });
  // Every replica's one version, written now (doctor's lifecycle check: nothing is past its expiry yet).
  aws.s3.on(ListObjectVersionsCommand, { Bucket: name }).callsFake((i: { Prefix?: string }, getClient: () => S3Client) => {
    guard(getClient);
    const keys = [...objects().keys()].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
    return { Versions: keys.map((Key) => ({ Key, VersionId: `v-${Key}`, LastModified: new Date() })), DeleteMarkers: [], IsTruncated: false };
  });
  aws.s3.on(GetObjectTaggingCommand, { Bucket: name }).callsFake((i: { Key: string }, getClient: () => S3Client) => {
    guard(getClient);
    return { TagSet: Object.entries(objects().get(i.Key) ?? {}).map(([Key, Value]) => ({ Key, Value })) };
  });
  versions.clear();
  bodies.clear();
  aws.s3.on(HeadObjectCommand, { Bucket: name }).callsFake((i: { Key: string }, getClient: () => S3Client) => {
    guard(getClient);
    const v = versions.get(i.Key);
    if (!v) throw notFound('NotFound');
    return { VersionId: v.versionId, ETag: v.etag, ContentLength: 1024 };
  });
  aws.s3.on(GetObjectCommand, { Bucket: name }).callsFake((i: { Key: string }, getClient: () => S3Client) => {
    guard(getClient);
    const body = bodies.get(i.Key);
    if (body === undefined) throw notFound('NoSuchKey');
    return { Body: sdkStreamMixin(Readable.from([Buffer.from(body)])) };
  });
  aws.s3.on(GetObjectRetentionCommand).callsFake((i: { Bucket: string; Key: string }, getClient: () => S3Client) => {
    guard(getClient);
    const r = retentions.get(i.Key);
    if (!r) throw Object.assign(new Error('The specified object does not have a ObjectLock configuration'), { name: 'NoSuchObjectLockConfiguration' });
    return { Retention: { Mode: r.mode, RetainUntilDate: new Date(r.until) } };
  });
}

/**
 * A replica in the vault: `shards` objects of export `name` tagged as the
 * export left them, each with a verdict object as the vault's verifier wrote
 * it (`verified: null`: not yet), each under `retention` (null: none).
 * `forgedTag`: the replicas also carry `redis-dr:verified=ok` and an `rdb`
 * summary as the workload account can make S3 replicate onto them;
 * `verdictOf: 'older'`: the verdict objects name a version before the current one.
 */
export function putVaultCopy(
  aws: ReturnType<typeof fakeAws>,
  retentions: Retentions,
  name: string,
  o: {
    shards?: number;
    verified?: 'ok' | 'corrupt' | null;
    retention?: { mode: string; until: string } | null;
    bucket?: string;
    forgedTag?: boolean;
    verdictOf?: 'current' | 'older';
    /** An organization's vault: the key prefix `<account>/<primary region>/` the replica lies under. */
    under?: string;
  } = {},
): void {
  const bucket = aws.state.objects.get(o.bucket ?? VAULT_BUCKET) ?? new Map<string, Record<string, string>>();
  aws.state.objects.set(o.bucket ?? VAULT_BUCKET, bucket);
  const of = o.shards ?? 1;
  const pad = (n: number) => String(n).padStart(4, '0');
  // rdr-<target>-yyyymmdd-hhmm: the snapshot's time.
  const m = /-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$/.exec(name)!;
  for (let shard = 1; shard <= of; shard++) {
    const key = `${o.under ?? ''}${name}-${pad(shard)}.rdb`;
    const tags: Record<string, string> = {
      'redis-dr:plan': 'sessions',
      'redis-dr:tier': 'daily',
      'redis-dr:created': `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:30.000Z`,
      'redis-dr:shard': `${pad(shard)}/${pad(of)}`,
      'redis-dr:engine': 'valkey 8.0',
    };
    if (o.forgedTag) {
      tags['redis-dr:verified'] = 'ok';
      tags['redis-dr:rdb'] = 'v=11 keys=10 expires=1 string=10';
    }
    bucket.set(key, tags);
    const current = { versionId: `v2.${key}`, etag: `"etag-v2-${key}"` };
    versions.set(key, current);
    if (o.verified !== null) {
      const named = o.verdictOf === 'older' ? { versionId: `v1.${key}`, etag: `"etag-v1-${key}"` } : current;
      const corrupt = o.verified === 'corrupt';
      const verdict = {
        verdict: o.verified ?? 'ok',
        replica: { key, ...named, size: 1024 },
        keys: corrupt ? { version: 11, keys: 0, expires: 0, byType: {} } : { version: 11, keys: 10, expires: 1, byType: { string: 10 } },
        checkedAt: '2026-11-21T09:50:00.000Z',
        ...(corrupt ? { reason: 'at byte 9: bad crc' } : {}),
      };
      bodies.set(vaultVerdictKey(key), JSON.stringify(verdict));
      // Listed like any object (under its own prefix, never a copy's).
      bucket.set(vaultVerdictKey(key), {});
    }
    const retention = o.retention === undefined ? { mode: 'COMPLIANCE', until: '2027-12-26T06:00:00Z' } : o.retention;
    if (retention) retentions.set(key, retention);
    else retentions.delete(key);
  }
}
