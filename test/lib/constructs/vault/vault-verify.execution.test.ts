import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionError } from 'aws-local-stepfunctions';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localStateMachine } from '../../../../demo/local-machine.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { vaultTierDays } from '../../../../lambdas/domain/vault/vault-retention.js';
import { copyVerificationSettingsSchema } from '../../../../lambdas/domain/plans/settings.js';
import { vaultVerdictKey } from '../../../../lambdas/domain/vault/vault-verdict.js';
import { type S3ObjectEvent, type VerifyDeps, settingsDeps, verifyInvocationSchema, verifyStep } from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { awsError, MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { serveObject } from '../../../support/s3-object-mock.js';
import { type AslDefinition, stateMachineDefinition } from '../../../support/state-machine.js';
import { synthesize } from '../../../support/synth.js';

/**
 * The synthesized verify state machine of the vault stack, executed locally
 * with the real verify-rdb step and a mocked S3: a replica that lands before
 * the export's tags waits for them (the state machine's Await tier), and is
 * kept for the longest tier when they never come.
 */
const BUCKET = 'redis-dr-vaulted-222222222222-eu-central-1';
const KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';
const DAY = 86_400_000;
const LANDED = new Date('2026-11-21T02:05:00Z');
const RDB = readFileSync(`${CORPUS_DIR}/hash-ziplist.rdb`);
const DAYS = vaultTierDays(3, { daily: 8, weekly: 29, monthly: 400 });
const EXPORT_TAGS = [
  { Key: 'redis-dr:tier', Value: 'daily' },
  { Key: 'redis-dr:plan', Value: 'sessions' },
  { Key: 'redis-dr:snapshot', Value: 'rdr-sessions-prod-20261121-0200' },
];

const s3Event = (): S3ObjectEvent => ({
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: { bucket: { name: BUCKET }, object: { key: KEY, 'version-id': 'v1' } },
});

describe('verify state machine (vault), executed locally', () => {
  const s3 = mockClient(S3Client);
  let definition: AslDefinition;
  let held: { mode: string; retainUntil: Date };
  /** The replica's verdict object as the mocked S3 holds it. */
  let verdict: string | undefined;

  beforeAll(() => {
    const config = loadConfig(join(__dirname, '..', '..', '..', 'fixtures', 'config', 'vault.json'));
    // The tiers' days reach the verifier only through the synthesized task's settings: DAYS is what it must be sent.
    const synth = synthesize({ ...config, vault: { ...config.vault!, retentionDays: 3, tierRetentionDays: { daily: 8, weekly: 29, monthly: 400 } } });
    definition = stateMachineDefinition(synth.vault!, 'verify');
    synth.cleanup();
  });

  beforeEach(() => {
    s3.reset();
    serveObject(s3, { bytes: RDB, etag: '"e1"', versionId: 'v1' });
    s3.on(HeadObjectCommand).resolves({ ContentLength: RDB.length, ETag: '"e1"', VersionId: 'v1', LastModified: LANDED });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(PutObjectTaggingCommand).resolves({});
    verdict = undefined;
    s3.on(PutObjectCommand, { Key: vaultVerdictKey(KEY) }).callsFake(async (input: { Body: Uint8Array }) => {
      verdict = Buffer.from(input.Body).toString('utf8');
      return {};
    });
    // The store's read-back: S3's length and SHA-256 of the verdict object.
    s3.on(HeadObjectCommand, { Key: vaultVerdictKey(KEY) }).callsFake(async () => {
      if (verdict === undefined) throw awsError('NotFound', 'Not Found', 404);
      const bytes = Buffer.from(verdict);
      return { ContentLength: bytes.length, ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'), ChecksumType: 'FULL_OBJECT' };
    });
    s3.on(GetObjectCommand, { Key: vaultVerdictKey(KEY) }).callsFake(async () => {
      if (verdict === undefined) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { Body: sdkStreamMixin(Readable.from([Buffer.from(verdict)])) };
    });
    held = { mode: 'COMPLIANCE', retainUntil: new Date(LANDED.getTime() + 3 * DAY) };
    s3.on(GetObjectRetentionCommand).callsFake(async () => ({ Retention: { Mode: held.mode, RetainUntilDate: held.retainUntil } }));
    s3.on(PutObjectRetentionCommand).callsFake(async (input: { Retention: { Mode: string; RetainUntilDate: Date } }) => {
      held = { mode: input.Retention.Mode, retainUntil: input.Retention.RetainUntilDate };
      return {};
    });
  });

  /** Runs one execution; the n-th invocation (1-based) runs 30 minutes after the one before, and `tagsAt(n)` are the replica's tags then. */
  async function execute(tagsAt: (invocation: number) => { Key: string; Value: string }[]) {
    let invocation = 0;
    s3.on(GetObjectTaggingCommand).callsFake(async () => ({ TagSet: tagsAt(invocation) }));
    const deps: VerifyDeps = {
      s3: new S3Client({ region: 'eu-central-1' }),
      metrics: new MemoryMetrics(),
      log: new MemoryLog(),
      clock: { now: () => LANDED.getTime() + invocation * 30 * 60_000 },
      deadline: Number.POSITIVE_INFINITY,
      alert: async () => {},
      where: { deployment: 'vaulted', region: 'eu-central-1' },
      // The tiers' days (and so verdicts as objects) come from the synthesized task's settings, as in the vault's handler.
    };
    const machine = localStateMachine(definition);
    const execution = machine.run(s3Event(), {
      overrides: {
        retryIntervalOverrides: { Verify: 0 },
        waitTimeOverrides: { 'Await tier': 0 },
        taskResourceLocalHandlers: {
          Verify: async (input) => {
            invocation++;
            const { step, settings } = verifyInvocationSchema.parse(JSON.parse(JSON.stringify(input)));
            return (await verifyStep(step, { ...deps, ...settingsDeps(settings) })) as never;
          },
        },
      },
    });
    try {
      return { output: (await execution.result) as Record<string, any>, invocations: invocation };
    } catch (err) {
      if (err instanceof ExecutionError) return { failed: err.message, invocations: invocation };
      throw err;
    }
  }

  it("sends every invocation the vault's tier days, which the verifier's own schema accepts", () => {
    const parameters = definition.States.Verify!.Parameters!;
    expect(copyVerificationSettingsSchema.parse(parameters.settings).vaultRetentionDays).toEqual(DAYS);
  });

  it('waits for the export tags (Await tier, no error), then locks the replica for its tier', async () => {
    const { output, invocations } = await execute((n) => (n >= 4 ? EXPORT_TAGS : []));
    expect(invocations).toBe(4);
    expect(output).toMatchObject({ done: true, outcome: { verdict: 'ok', retention: { tier: 'daily', days: 8, extended: true } } });
    expect(held).toEqual({ mode: 'COMPLIANCE', retainUntil: new Date(LANDED.getTime() + 8 * DAY) });
  });

  it('verifies a replica that arrives with a forged redis-dr:verified=ok tag, and writes the verdict object', async () => {
    const forged = [...EXPORT_TAGS, { Key: 'redis-dr:verified', Value: 'ok' }, { Key: 'redis-dr:rdb', Value: 'v=11 keys=5 expires=0 string=5' }];
    const { output } = await execute(() => forged);
    expect(output).toMatchObject({ done: true, outcome: { action: 'verified', verdict: 'ok', verdictObject: vaultVerdictKey(KEY) } });
    expect(JSON.parse(verdict!)).toMatchObject({ verdict: 'ok', replica: { key: KEY, versionId: 'v1', etag: '"e1"' } });
  });

  it('locks a replica whose tags never come for the longest tier once the grace is over, without failing the execution', async () => {
    const { output, invocations } = await execute(() => []);
    // 30 minutes an invocation: the 12th runs 6 hours after the replica landed, the end of the grace.
    expect(invocations).toBe(12);
    expect(output).toMatchObject({ done: true, outcome: { verdict: 'ok', retention: { tier: 'unknown', days: 400 } } });
    expect(held.retainUntil).toEqual(new Date(LANDED.getTime() + 400 * DAY));
  });

  it('fails the execution (verify-failed-vault pages) when the retention never reads back as asked, and tags no verdict', async () => {
    s3.on(PutObjectRetentionCommand).resolves({});
    const { failed, invocations } = await execute(() => EXPORT_TAGS);
    expect(failed).toMatch(/retention read back is COMPLIANCE until .*, not COMPLIANCE until .*\(tier daily, 8 days\)/);
    // One try and the three retries of any error.
    expect(invocations).toBe(4);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toEqual([]);
    expect(verdict).toBeUndefined();
  });
});
