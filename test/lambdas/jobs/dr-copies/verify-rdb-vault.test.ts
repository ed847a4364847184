import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  PutObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { type VaultVerdict, vaultVerdictBody, vaultVerdictKey } from '../../../../lambdas/domain/vault/vault-verdict.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import { VAULT_TIER_GRACE_HOURS, vaultRetentionFor, vaultTierDays } from '../../../../lambdas/domain/vault/vault-retention.js';
import { type S3ObjectEvent, type VerifyDeps, verifyStep } from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { awsError, MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { serveObject } from '../../../support/s3-object-mock.js';
import { serveVerdicts, type VerdictStore } from '../../../support/verdict-store.js';
import { VAULT_TEST_BUCKET, VAULT_TEST_KEY, VAULT_TEST_RDB, vaultExportTags } from '../../../support/vault-replica.js';

const BUCKET = VAULT_TEST_BUCKET;
const KEY = VAULT_TEST_KEY;
const DAY = 86_400_000;
/** When the replica landed in the vault (its Last-Modified). */
const LANDED = new Date('2026-11-21T02:05:00Z');
/** The vault's days: floor 3, hourly 3, daily 8, weekly 29, monthly 400. */
const DAYS = vaultTierDays(3, { daily: 8, weekly: 29, monthly: 400 });
/** A real RDB with a CRC-64 (the vault, like the DR region, requires one). */
const RDB = VAULT_TEST_RDB;

const event = (): S3ObjectEvent => ({
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: { bucket: { name: BUCKET }, object: { key: KEY, size: RDB.length, 'version-id': 'v1' } },
});

const exportTags = vaultExportTags;

describe('verify-rdb in the vault: COMPLIANCE retention per tier', () => {
  const s3 = mockClient(S3Client);
  let deps: VerifyDeps & { log: MemoryLog; metrics: MemoryMetrics };
  /** The replica's retention as the mocked S3 holds it: it only grows, as COMPLIANCE does. */
  let held: { mode?: string; retainUntil?: Date };
  let verdicts: VerdictStore;
  let now: number;

  function replica(tags: Record<string, string>, options: { putTakes?: boolean; bytes?: Buffer } = {}): void {
    serveObject(s3, { bytes: options.bytes ?? RDB, etag: '"e1"', versionId: 'v1', tags, lastModified: LANDED });
    s3.on(GetObjectRetentionCommand).callsFake(async () => ({ Retention: { Mode: held.mode, RetainUntilDate: held.retainUntil } }));
    s3.on(PutObjectRetentionCommand).callsFake(async (input: { Retention: { Mode: string; RetainUntilDate: Date } }) => {
      if (held.retainUntil && input.Retention.RetainUntilDate < held.retainUntil) throw awsError('AccessDenied', 'Access Denied', 403);
      // putTakes false: S3 answered 200 but the date read back is the old one (what the read-back is for).
      if (options.putTakes !== false) held = { mode: input.Retention.Mode, retainUntil: input.Retention.RetainUntilDate };
      return {};
    });
  }

  const puts = () => s3.commandCalls(PutObjectRetentionCommand).map((c) => c.args[0].input);

  beforeEach(() => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(PutObjectTaggingCommand).resolves({});
    verdicts = serveVerdicts(s3, 'vault');
    // What the bucket's default retention gave the replica as it landed: the floor.
    held = { mode: 'COMPLIANCE', retainUntil: new Date(LANDED.getTime() + 3 * DAY) };
    now = LANDED.getTime() + 10 * 60_000;
    const alerts: Page[] = [];
    deps = {
      s3: new S3Client({ region: 'eu-central-1' }),
      metrics: new MemoryMetrics(),
      log: new MemoryLog(),
      clock: { now: () => now },
      deadline: Number.POSITIVE_INFINITY,
      alert: async (page) => {
        alerts.push(page);
      },
      where: { deployment: 'prod', region: 'eu-central-1' },
      retention: DAYS,
      vaultVerdicts: true,
    };
  });

  it('extends a monthly replica to 400 days after it landed, reads it back, then verifies and tags it', async () => {
    replica(exportTags('monthly'));
    const result = await verifyStep({ event: event() }, deps);
    const until = new Date(LANDED.getTime() + 400 * DAY);
    expect(puts()).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: 'v1', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until } }]);
    expect(result).toMatchObject({
      done: true,
      outcome: { action: 'verified', verdict: 'ok', retention: { tier: 'monthly', days: 400, retainUntil: until.toISOString(), extended: true } },
    });
    // Read before and after the extension; the verdict only after the read-back.
    expect(s3.commandCalls(GetObjectRetentionCommand)).toHaveLength(2);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(1);
  });

  it('leaves a replica whose tier needs no more than it holds as it is (read, not written)', async () => {
    replica(exportTags('hourly'));
    const result = await verifyStep({ event: event() }, deps);
    expect(puts()).toEqual([]);
    expect(result).toMatchObject({ done: true, outcome: { retention: { tier: 'hourly', days: 3, extended: false } } });
  });

  it('fails when the retention read back is shorter than asked, before any verdict (the state machine retries, then pages)', async () => {
    replica(exportTags('weekly'), { putTakes: false });
    await expect(verifyStep({ event: event() }, deps)).rejects.toThrow(
      /retention read back is COMPLIANCE until 2026-11-24T02:05:00\.000Z, not COMPLIANCE until 2026-12-20T02:05:00\.000Z \(tier weekly, 29 days\)/,
    );
    expect(s3.commandCalls(PutObjectTaggingCommand)).toEqual([]);
    expect(deps.metrics.sum('RdbVerifyErrors', { Bucket: BUCKET })).toBe(1);
  });

  it('fails when the extension is refused (AccessDenied), and when the mode read back is not COMPLIANCE', async () => {
    replica(exportTags('daily'));
    s3.on(PutObjectRetentionCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    await expect(verifyStep({ event: event() }, deps)).rejects.toThrow('Access Denied');
    expect(s3.commandCalls(PutObjectTaggingCommand)).toEqual([]);

    s3.reset();
    held = { mode: 'GOVERNANCE', retainUntil: new Date(LANDED.getTime() + 2 * DAY) };
    replica(exportTags('daily'), { putTakes: false });
    await expect(verifyStep({ event: event() }, deps)).rejects.toThrow(/read back is GOVERNANCE until .*, not COMPLIANCE/);
  });

  it('keeps a replica of no known tier (held by a collapse, or a foreign value) for the longest tier', async () => {
    replica(exportTags('held-daily'));
    const result = await verifyStep({ event: event() }, deps);
    expect(puts()[0]?.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: new Date(LANDED.getTime() + 400 * DAY) });
    expect(result).toMatchObject({ done: true, outcome: { retention: { tier: 'unknown', days: 400 } } });
    expect(deps.log.lines.some((e) => e.message === 'replica of no known tier: kept for the longest tier')).toBe(true);
  });

  it('waits for the export tags of a replica that has none yet, then keeps it for the longest once the grace is over', async () => {
    replica({});
    // Not an error: the state machine waits and invokes the step again.
    expect(await verifyStep({ event: event() }, deps)).toEqual({ done: false, event: event(), awaitTier: '2026-11-21T08:05:00.000Z' });
    // Nothing read, written or counted as an error while it waits.
    expect(puts()).toEqual([]);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toEqual([]);
    expect(deps.metrics.sum('RdbVerifyErrors', { Bucket: BUCKET })).toBe(0);

    now = LANDED.getTime() + VAULT_TIER_GRACE_HOURS * 3_600_000;
    const result = await verifyStep({ event: event() }, deps);
    expect(result).toMatchObject({ done: true, outcome: { verdict: 'ok', retention: { tier: 'unknown', days: 400, extended: true } } });
  });

  it('ensures the retention again when the verdict is already there (a tier changed since), never shortening it', async () => {
    held = { mode: 'COMPLIANCE', retainUntil: new Date(LANDED.getTime() + 400 * DAY) };
    replica({ ...exportTags('hourly'), 'redis-dr:verified': 'ok' });
    verdicts.seed(okOf('v1'));
    const result = await verifyStep({ event: event() }, deps);
    expect(puts()).toEqual([]);
    expect(result).toMatchObject({ done: true, outcome: { action: 'already-verified', retention: { tier: 'hourly', days: 3, extended: false } } });
  });

  /**
   * The vault's verdict object as the mocked S3 holds it: PutObject stores
   * it, GetObject of its key answers it, HeadObject of its key answers its
   * length and SHA-256 (S3's checksum, what the store's read-back matches).
   */
  function verdictStore(initial?: VaultVerdict): { body?: string } {
    const store: { body?: string } = initial ? { body: vaultVerdictBody(initial) } : {};
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: Uint8Array }) => {
      expect(input.Key).toBe(vaultVerdictKey(KEY));
      store.body = Buffer.from(input.Body).toString('utf8');
      return {};
    });
    s3.on(GetObjectCommand, { Key: vaultVerdictKey(KEY) }).callsFake(async () => {
      if (store.body === undefined) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { Body: sdkStreamMixin(Readable.from([Buffer.from(store.body)])) };
    });
    s3.on(HeadObjectCommand, { Key: vaultVerdictKey(KEY) }).callsFake(async () => {
      if (store.body === undefined) throw awsError('NotFound', 'Not Found', 404);
      const bytes = Buffer.from(store.body);
      return { ContentLength: bytes.length, ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'), ChecksumType: 'FULL_OBJECT' };
    });
    // Nobody deletes in the vault (VaultBucket's policy), the verifier neither.
    s3.on(DeleteObjectCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    return store;
  }
  const stored = (store: { body?: string }) => (store.body === undefined ? undefined : JSON.parse(store.body));
  const okOf = (versionId: string): VaultVerdict => ({
    verdict: 'ok',
    replica: { key: KEY, versionId, etag: '"e1"', size: RDB.length },
    keys: { version: 9, keys: 1, expires: 0, byType: { hash: 1 } },
    checkedAt: LANDED.toISOString(),
  });

  it('vault verdicts: a replica arriving with a forged redis-dr:verified=ok tag is verified anyway, and the verdict object written and read back', async () => {
    replica({ ...exportTags('hourly'), 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=999999 expires=0 string=999999' });
    const store = verdictStore();
    const result = await verifyStep({ event: event() }, { ...deps, vaultVerdicts: true });
    expect(result).toMatchObject({ done: true, outcome: { action: 'verified', verdict: 'ok', verdictObject: vaultVerdictKey(KEY) } });
    expect(stored(store)).toMatchObject({ verdict: 'ok', replica: { key: KEY, versionId: 'v1', etag: '"e1"', size: RDB.length }, keys: { keys: 1 } });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      ContentType: 'application/json',
      ChecksumSHA256: createHash('sha256')
        .update(put.Body as Uint8Array)
        .digest('base64'),
    });
    expect(put.IfNoneMatch).toBeUndefined();
    expect(deps.log.lines.some((e) => e.message.startsWith('replica carries a verdict tag the vault did not write'))).toBe(true);
  });

  it('vault verdicts: a corrupt replica with a forged ok tag is judged corrupt (paged, verdict object corrupt)', async () => {
    const corrupt = Buffer.from(RDB);
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff;
    replica({ ...exportTags('hourly'), 'redis-dr:verified': 'ok' }, { bytes: corrupt });
    const store = verdictStore();
    const result = await verifyStep({ event: event() }, { ...deps, vaultVerdicts: true });
    expect(result).toMatchObject({ done: true, outcome: { action: 'verified', verdict: 'corrupt' } });
    expect(stored(store)).toMatchObject({ verdict: 'corrupt', replica: { versionId: 'v1' } });
  });

  it('vault verdicts: a verdict object naming an older version is not a verdict (verified again); one naming this version is', async () => {
    replica(exportTags('hourly'));
    const store = verdictStore(okOf('v0'));
    const again = await verifyStep({ event: event() }, { ...deps, vaultVerdicts: true });
    expect(again).toMatchObject({ done: true, outcome: { action: 'verified', verdict: 'ok' } });
    expect(stored(store).replica.versionId).toBe('v1');
    const kept = await verifyStep({ event: event() }, { ...deps, vaultVerdicts: true });
    expect(kept).toMatchObject({ done: true, outcome: { action: 'already-verified', verdict: 'ok' } });
    // One verdict object (the key index beside the replica, <key>.keys, is put once too, by the verification).
    expect(s3.commandCalls(PutObjectCommand).filter((c) => !c.args[0].input.Key!.endsWith('.keys'))).toHaveLength(1);
  });

  it('vault verdicts: fails (the state machine retries) when the verdict read back is not the one written, the refused cleanup delete hiding nothing', async () => {
    replica(exportTags('hourly'));
    const store = verdictStore();
    // Another verification's verdict lands between this PUT and its read-back.
    s3.on(PutObjectCommand).callsFake(async () => {
      store.body = vaultVerdictBody(okOf('v0'));
      return {};
    });
    const failed = verifyStep({ event: event() }, { ...deps, vaultVerdicts: true });
    await expect(failed).rejects.toThrow(
      /verdict object s3:\/\/.*\/redis-dr-vault-verdicts\/.* written but not read back as written .*does not match what was written/,
    );
    await expect(failed).rejects.toHaveProperty('name', 'Error');
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('vault verdicts: fails when the verdict is not there to read back', async () => {
    replica(exportTags('hourly'));
    verdictStore();
    s3.on(PutObjectCommand).resolves({});
    await expect(verifyStep({ event: event() }, { ...deps, vaultVerdicts: true })).rejects.toThrow(/written but not read back as written/);
  });

  it('touches no retention without deps.retention (the DR region)', async () => {
    replica(exportTags('monthly'));
    const { retention: _, ...dr } = deps;
    const result = await verifyStep({ event: event() }, dr);
    expect(result).toMatchObject({ done: true, outcome: { verdict: 'ok' } });
    expect(s3.commandCalls(GetObjectRetentionCommand)).toEqual([]);
    expect(puts()).toEqual([]);
  });
});

describe('vault retention (domain)', () => {
  it('takes the tier tag, falls back to the floor per tier, and dates from when the replica landed', () => {
    expect(vaultTierDays(30)).toEqual({ hourly: 30, daily: 30, weekly: 30, monthly: 30 });
    expect(vaultRetentionFor(exportTags('weekly'), LANDED, LANDED, DAYS)).toEqual({
      kind: 'retain',
      tier: 'weekly',
      days: 29,
      retainUntil: new Date(LANDED.getTime() + 29 * DAY),
    });
    // Export tags without a tier: not waited for, the longest.
    const { 'redis-dr:tier': _, ...noTier } = exportTags('daily');
    expect(vaultRetentionFor(noTier, LANDED, LANDED, DAYS)).toMatchObject({ tier: 'unknown', days: 400 });
  });
});
