import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { type VerdictObject, verdictObjectBody } from '../../../../lambdas/domain/points/verdict-objects.js';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { handler } from '../../../../lambdas/handlers/verify-rdb.js';
import { ALARM_KINDS } from '../../../../lambdas/domain/alerting/catalog.js';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import {
  corruptAlert,
  MAX_VERIFY_RESTARTS,
  s3ObjectEventSchema,
  verifyStep,
  verifyStepSchema,
  type S3ObjectEvent,
  type VerifyDeps,
  type VerifyOutcome,
  type VerifyStepInput,
  type VerifyStepResult,
} from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { parseRdbSummary } from '../../../../lambdas/domain/points/rdb-summary.js';
import { NOT_CHECKPOINTABLE, STEP_FUNCTIONS_MAX_STATE_BYTES, stateBytes, VERIFY_STATE_MAX_BYTES } from '../../../../lambdas/domain/dr-copies/verify-state.js';
import { awsError, MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { file, str } from '../../../support/rdb-bytes.js';
import { serveObject } from '../../../support/s3-object-mock.js';
import { serveVerdicts, type VerdictStore } from '../../../support/verdict-store.js';
import { kmsEvidenceKey } from '../../../support/kms-evidence.js';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { VERIFY_GAVE_UP } from '../../../../lambdas/domain/dr-copies/verify-errors.js';
import { restoreEnvAfterFile } from '../../../support/env.js';

// The handlers set the SDK's defaults in the environment when they load: put it back for the next file.
restoreEnvAfterFile();

const BUCKET = 'redis-dr-prod-123456789012-eu-central-1';
const KEY = 'rdr-sessions-prod-20261121-0200-0002.rdb';
/** `n` as an RDB 64-bit length's 8 big-endian bytes (after 0x81). */
const big = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * (7 - i))) & 0xffn));
/** An ok verdict object on KEY's version `versionId` (ETag "e1"), as the verifier writes it. */
const okVerdict = (versionId: string): VerdictObject => ({
  verdict: 'ok',
  replica: { key: KEY, versionId, etag: '"e1"', size: 100 },
  keys: { version: 11, keys: 1, expires: 0, byType: { string: 1 } },
  checkedAt: '2026-11-21T02:07:00.000Z',
});
/** The settings the DR stack's verify task sends (one plan, its collapse threshold). */
const SETTINGS = { collapseThresholdPct: { sessions: 50 } };

function event(detailType: S3ObjectEvent['detail-type'] = 'Object Created', key = KEY, versionId = 'v1'): S3ObjectEvent {
  return {
    'detail-type': detailType,
    source: 'aws.s3',
    detail: { bucket: { name: BUCKET }, object: { key, size: 100, 'version-id': versionId } },
  };
}

/**
 * Invokes the step as the verify state machine does, until it is done: each
 * result goes through JSON (the execution state) and is validated again as
 * the next invocation's input. Returns the outcome and every step's result.
 */
async function runToEnd(e: S3ObjectEvent, deps: VerifyDeps, maxSteps = 10_000): Promise<VerifyOutcome & { steps: VerifyStepResult[] }> {
  let input: VerifyStepInput = { event: e };
  const steps: VerifyStepResult[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const result = await verifyStep(input, deps);
    steps.push(result);
    if (result.done) return { ...result.outcome, steps };
    input = verifyStepSchema.parse(JSON.parse(JSON.stringify(result)));
  }
  throw new Error(`not done after ${maxSteps} steps`);
}

describe('verify-rdb handler', () => {
  const s3 = mockClient(S3Client);
  let deps: VerifyDeps & { metrics: MemoryMetrics; log: MemoryLog; alerts: Page[] };
  let verdicts: VerdictStore;
  let server: RedisServer;
  let rdb: Buffer;
  let keys: number;

  beforeAll(async () => {
    // A real RDB from a real server: several types, expiries, two databases.
    server = await startRedisServer();
    const c = server.client();
    const pipe = c.pipeline();
    for (let i = 0; i < 300; i++) pipe.set(`s:${i}`, `value-${i}`.repeat((i % 7) + 1));
    for (let i = 0; i < 20; i++) pipe.hset(`h:${i}`, { a: '1', b: 'x'.repeat(100) });
    for (let i = 0; i < 20; i++) pipe.rpush(`l:${i}`, 'a', 'b', 'c');
    for (let i = 0; i < 10; i++) pipe.zadd(`z:${i}`, 1, 'one', 2, 'two');
    for (let i = 0; i < 10; i++) pipe.sadd(`set:${i}`, 1, 2, 3);
    pipe.xadd('stream', '*', 'f', 'v');
    for (let i = 0; i < 25; i++) pipe.set(`ttl:${i}`, 'x', 'EX', 3600);
    pipe.select(3);
    pipe.set('db3', 'here');
    await pipe.exec();
    keys = 300 + 20 + 20 + 10 + 10 + 1 + 25 + 1;
    rdb = readFileSync(await bgsave(server, c));
  });
  afterAll(async () => server?.stop());

  beforeEach(() => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] }); // the tripwire's listing: no other copies
    verdicts = serveVerdicts(s3);
    const alerts: Page[] = [];
    deps = {
      s3: new S3Client({ region: 'eu-central-1' }),
      metrics: new MemoryMetrics(),
      log: new MemoryLog(),
      clock: { now: () => 1_000 },
      deadline: Number.POSITIVE_INFINITY,
      alerts,
      alert: async (page) => {
        alerts.push(page);
      },
      where: { deployment: 'prod', region: 'eu-central-1' },
    };
  });

  function putTags(): Record<string, string> {
    const calls = s3.commandCalls(PutObjectTaggingCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ Bucket: BUCKET, Key: KEY, VersionId: 'v1' });
    return Object.fromEntries(input.Tagging!.TagSet!.map((t) => [t.Key, t.Value]));
  }

  it('verifies a real RDB, tags it ok with the counts, keeps the tags already there, and counts it', async () => {
    const existing = [
      { Key: 'redis-dr:tier', Value: 'daily' },
      { Key: 'redis-dr:plan', Value: 'sessions' },
    ];
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: existing });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });

    const outcome = await runToEnd(event(), deps);

    expect(outcome).toMatchObject({ action: 'verified', verdict: 'ok', keys, bytes: rdb.length });
    const tags = putTags();
    expect(tags['redis-dr:tier']).toBe('daily');
    expect(tags['redis-dr:plan']).toBe('sessions');
    expect(tags['redis-dr:verified']).toBe('ok');
    const summary = parseRdbSummary(tags['redis-dr:rdb']);
    expect(summary).toMatchObject({ keys, expires: 25, byType: { string: 326, hash: 20, list: 20, zset: 10, set: 10, stream: 1 } });
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(1);
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(1);
    expect(deps.metrics.sum('RdbKeys', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(keys);
    expect(deps.metrics.sum('RdbCorrupt', { Bucket: BUCKET })).toBe(0);
    expect(deps.alerts).toEqual([]);
  });

  it.each(CORPUS_CASES)(
    'gives the corpus file %s its verdict and key count (a checksum is required of DR copies)',
    async (file, version, checksum, expectedKeys) => {
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes: readFileSync(`${CORPUS_DIR}/${file}`), etag: '"e1"', versionId: 'v1' });
      const outcome = await runToEnd(event(), deps);
      if (checksum === 'ok') {
        expect(outcome).toMatchObject({ verdict: 'ok', keys: expectedKeys });
        expect(parseRdbSummary(putTags()['redis-dr:rdb'])?.keys).toBe(expectedKeys);
      } else {
        // RDB < 5 has no CRC-64: ElastiCache never exports such a file, and a copy without one is not proven intact.
        expect(outcome).toMatchObject({
          verdict: 'corrupt',
          error: { message: `checksum required, but RDB version ${version} files carry none (CRC-64 trailers start with version 5)` },
        });
      }
    },
  );

  it('issue 36: a copy that needs 101 databases and holds a function library is verified (not corrupt, not paged), its tag says both; a key stored twice is corrupt and paged', async () => {
    const big = await startRedisServer({ args: ['--databases', '101'] });
    let saved: Buffer;
    try {
      const c = big.client();
      await c.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('hello', function() return 'hi' end)");
      await c.select(100);
      await c.set('k', 'v');
      saved = readFileSync(await bgsave(big, c));
    } finally {
      await big.stop();
    }
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: saved, etag: '"e1"', versionId: 'v1' });
    const outcome = await runToEnd(event(), deps);
    expect(outcome).toMatchObject({ action: 'verified', verdict: 'ok', keys: 1 });
    const tags = putTags();
    expect(tags['redis-dr:verified']).toBe('ok');
    expect(parseRdbSummary(tags['redis-dr:rdb'])).toMatchObject({ keys: 1, databases: [100], functionLibraries: 1 });
    expect(deps.alerts).toEqual([]);

    s3.reset();
    verdicts = serveVerdicts(s3); // a fresh bucket: no verdict yet
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, {
      bytes: Buffer.from(file('REDIS0010', [0xfe, 0, 0, ...str('k'), ...str('a'), 0, ...str('k'), ...str('b')])),
      etag: '"e1"',
      versionId: 'v1',
    });
    const twice = await runToEnd(event(), deps);
    expect(twice.verdict).toBe('corrupt');
    expect(twice.error?.message).toMatch(/^a key is stored twice in database 0/);
    expect(putTags()['redis-dr:verified']).toBe('corrupt');
    expect(deps.alerts).toHaveLength(1);
  });

  it('tags a copy whose CRC-64 trailer was zeroed corrupt: ElastiCache exports always carry one', async () => {
    const zeroed = Buffer.from(rdb);
    zeroed.fill(0, zeroed.length - 8);
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: zeroed, etag: '"e1"', versionId: 'v1' });
    const outcome = await runToEnd(event(), deps);
    expect(outcome.verdict).toBe('corrupt');
    expect(outcome.error?.message).toMatch(/^checksum required, but the CRC-64 trailer is all zeros/);
    expect(putTags()['redis-dr:verified']).toBe('corrupt');
    expect(deps.alerts).toHaveLength(1);
  });

  /**
   * The copy's stream node listpack as XADD * f v writes it (count 1, deleted 0, 1 field, "f", 0, then the entry) with
   * its byte `offset` made `value` and the CRC-64 made right, verified: the run's outcome.
   */
  async function withStreamNodeByte(offset: number, value: number) {
    const node = Buffer.from([1, 1, 0, 1, 1, 1, 0x81, 0x66, 2, 0, 1, 2, 1, 0, 1, 0, 1, 0x81, 0x76, 2, 4, 1, 0xff]);
    const at = rdb.indexOf(node);
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(rdb);
    bad[at + offset] = value;
    new Crc64().update(bad, 0, bad.length - 8).writeLittleEndian(bad, bad.length - 8);
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: bad, etag: '"e1"', versionId: 'v1' });
    return runToEnd(event(), deps);
  }

  it("review 20: tags corrupt a copy whose stream node's master entry contradicts its entries (a count Redis's deep validation refuses)", async () => {
    // Its count made 2.
    const outcome = await withStreamNodeByte(0, 2);
    expect(outcome.verdict).toBe('corrupt');
    expect(outcome.error?.message).toMatch(/value \(stream, RDB type 19\): stream node \d+-0 says 2 entries and 0 deleted, holds 1 and 0/);
    expect(putTags()['redis-dr:verified']).toBe('corrupt');
    expect(deps.alerts).toHaveLength(1);
  });

  it("review 21: tags corrupt a copy whose stream entry is not at its node's ID (Redis's deep validation loads it)", async () => {
    // The same node; its entry's millisecond delta 0 made 1: the entry lies above its node's ID and the stream's last ID.
    const outcome = await withStreamNodeByte(13, 1);
    expect(outcome.verdict).toBe('corrupt');
    expect(outcome.error?.message).toMatch(/value \(stream, RDB type 19\): stream node (\d+)-0, entry 1 \(\d+-0\): a node's first entry is at the node's ID/);
    expect(putTags()['redis-dr:verified']).toBe('corrupt');
    expect(deps.alerts).toHaveLength(1);
  });

  it('tags a copy in a newer RDB format unsupported: paged as what it is (not corrupt), counted apart, never a verified copy', async () => {
    // A real file whose header says a version newer than the verifier reads (the CRC-64 fixed up): a newer engine's export.
    const newer = Buffer.from(rdb);
    newer.write('REDIS0099', 0, 'latin1');
    newer.writeBigUInt64LE(new Crc64().update(newer, 0, newer.length - 8).value, newer.length - 8);
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:snapshot', Value: 'rdr-sessions-prod-20261121-0200' }] });
    serveObject(s3, { bytes: newer, etag: '"e1"', versionId: 'v1' });

    const outcome = await runToEnd(event(), deps);

    expect(outcome).toMatchObject({ action: 'verified', verdict: 'unsupported' });
    expect(outcome.error?.message).toMatch(/^unsupported format \(version 99, written by a Redis newer than/);
    const tags = putTags();
    expect(tags['redis-dr:verified']).toBe('unsupported');
    const summary = parseRdbSummary(tags['redis-dr:rdb']);
    expect(summary?.unsupported?.message).toMatch(/^unsupported format version 99 written by a Redis newer than/);
    expect(summary?.error).toBeUndefined();
    expect(deps.metrics.sum('RdbUnsupported', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(1);
    expect(deps.metrics.sum('RdbCorrupt', { Bucket: BUCKET })).toBe(0);
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(0);
    expect(deps.alerts).toHaveLength(1);
    const { subject, message, attributes } = deps.alerts[0]!;
    expect(subject).toBe('[WARNING] redis-dr prod: DR copy in an unsupported format - sessions-prod eu-central-1');
    expect(message).toContain(`s3://${BUCKET}/${KEY} (version v1) could not be verified: unsupported format (version 99`);
    expect(message).not.toMatch(/is corrupt/);
    expect(message).toContain('docs/runbooks/dr-copies.md');
    expect(attributes).toEqual({
      kind: 'rdb-unsupported',
      severity: 'warning',
      deployment: 'prod',
      region: 'eu-central-1',
      target: 'sessions-prod',
      bucket: BUCKET,
    });

    // Its own tagging event finds the verdict and keeps it: still unsupported, not corrupt.
    s3.reset();
    verdicts = serveVerdicts(s3, 'dr', verdicts.bodies); // the verdict object written above
    serveObject(s3, { bytes: Buffer.alloc(0), etag: '"e1"', versionId: 'v1' });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:verified', Value: 'unsupported' }] });
    expect(await runToEnd(event('Object Tags Added'), deps)).toMatchObject({ action: 'already-verified', verdict: 'unsupported' });
  });

  it("verifies a copy in Valkey's compressed envelope (rdbcompression lz4) as the RDB it holds; one that cannot finish in one invocation gives up by name", async () => {
    const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc'], { input: rdb });
    const enveloped = Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]);
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: enveloped, etag: '"e1"', versionId: 'v1' });
    expect(await runToEnd(event(), deps)).toMatchObject({ action: 'verified', verdict: 'ok', keys, bytes: enveloped.length });
    expect(putTags()['redis-dr:verified']).toBe('ok');

    // A checkpoint is an offset into the RDB's bytes, which a compressed copy's are not: no pause, a named give-up.
    s3.reset();
    verdicts = serveVerdicts(s3); // a fresh bucket: no verdict yet
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: enveloped, etag: '"e1"', versionId: 'v1' });
    await expect(verifyStep({ event: event() }, { ...deps, deadline: 0, reads: { partBytes: 4096 } })).rejects.toThrow(
      /is LZ4-compressed .* cannot be checkpointed/,
    );
  });

  it.each([
    [
      'a flipped bit',
      (b: Buffer) => {
        const c = Buffer.from(b);
        c[Math.floor(c.length / 2)]! ^= 0x10;
        return c;
      },
    ],
    ['a truncated copy', (b: Buffer) => b.subarray(0, Math.floor(b.length * 0.7))],
  ])('tags %s corrupt, pages on-call with what and where, and deletes nothing', async (_what, damage) => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:snapshot', Value: 'rdr-sessions-prod-20261121-0200' }] });
    serveObject(s3, { bytes: damage(rdb), etag: '"e1"', versionId: 'v1' });

    const outcome = await runToEnd(event(), deps);

    expect(outcome).toMatchObject({ action: 'verified', verdict: 'corrupt' });
    expect(outcome.error?.offset).toBeGreaterThan(0);
    const tags = putTags();
    expect(tags['redis-dr:verified']).toBe('corrupt');
    expect(parseRdbSummary(tags['redis-dr:rdb'])?.error?.offset).toBe(outcome.error!.offset);
    expect(deps.metrics.sum('RdbCorrupt', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(1);
    expect(deps.alerts).toHaveLength(1);
    const { subject, message, attributes } = deps.alerts[0]!;
    // Severity, title and runbook come from the alert catalog, like the rdb-corrupt alarm's page.
    expect(subject).toBe('[CRITICAL] redis-dr prod: corrupt DR copy - sessions-prod eu-central-1');
    expect(message).toContain(`s3://${BUCKET}/${KEY} (version v1) is corrupt at byte ${outcome.error!.offset}`);
    expect(message).toContain('Snapshot: rdr-sessions-prod-20261121-0200');
    expect(message).toContain('docs/runbooks/corruption.md');
    expect(message).toContain('Region: eu-central-1. Deployment: prod.');
    expect(attributes).toEqual({
      kind: 'rdb-corrupt',
      severity: 'critical',
      deployment: 'prod',
      region: 'eu-central-1',
      target: 'sessions-prod',
      bucket: BUCKET,
    });
    expect(attributes.severity).toBe(ALARM_KINDS['rdb-corrupt'].severity);
    // Only reads, the verdict object and one tagging call reached S3.
    expect([...new Set(s3.calls().map((c) => c.args[0].constructor.name))].sort()).toEqual([
      'GetObjectCommand',
      'GetObjectTaggingCommand',
      'HeadObjectCommand',
      'PutObjectCommand',
      'PutObjectTaggingCommand',
    ]);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([`redis-dr-verdicts/${KEY}.json`]);
    expect(verdicts.of(KEY)).toMatchObject({
      verdict: 'corrupt',
      replica: { key: KEY, versionId: 'v1', etag: '"e1"' },
      reason: expect.stringMatching(/^at byte \d+: /),
    });
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(1);
  });

  it('tags a copy Redis loads ok, and logs what only sanitize-dump-payload yes would refuse as a warning', async () => {
    // A small hash listpack with a field twice, and a correct CRC-64 (the DR region requires one).
    const lp = [0x0e, 0, 0, 0, 4, 0, 0x81, 0x66, 2, 0x81, 0x31, 2, 0x81, 0x66, 2, 0x81, 0x32, 2, 0xff].map((b, i) => (i === 0 ? 6 + 12 + 1 : b));
    const bytes = Uint8Array.from([...Buffer.from('REDIS0010'), 0xfe, 0x00, 0x10, 0x01, 0x68, lp.length, ...lp, 0xff]);
    const crc = new Crc64();
    crc.update(bytes, 0, bytes.length);
    const trailer = new Uint8Array(8);
    new DataView(trailer.buffer).setBigUint64(0, crc.value, true);
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: Buffer.concat([bytes, trailer]), etag: '"e1"', versionId: 'v1' });

    const outcome = await runToEnd(event(), deps);

    expect(outcome).toMatchObject({ verdict: 'ok', keys: 1 });
    expect(putTags()['redis-dr:verified']).toBe('ok');
    const line = deps.log.lines.find((l) => l.message === 'DR copy verified, with warnings');
    expect(line?.level).toBe('warn');
    expect(line?.extra).toMatchObject({
      warningCount: 1,
      warnings: [{ message: expect.stringMatching(/duplicate hash fields in a listpack: Redis loads it/) }],
    });
    expect(deps.alerts).toHaveLength(0);
  });

  it('does nothing for a copy whose verdict object names its version (its own tagging event)', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:verified', Value: 'ok' }] });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    verdicts.seed(okVerdict('v1'));
    const outcome = await runToEnd(event('Object Tags Added'), deps);
    expect(outcome).toMatchObject({ action: 'already-verified', verdict: 'ok' });
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([`redis-dr-verdicts/${KEY}.json`]);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  it('issue 53 item 3: a verdict tag without a verdict object (anybody may tag a copy) is verified over, and the object written and read back', async () => {
    // An operator's `retention release` (or a replicated tag change) put an ok verdict with another summary on the copy.
    const forged = { 'redis-dr:tier': 'daily', 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=9999999 expires=0 string=9999999' };
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: Object.entries(forged).map(([Key, Value]) => ({ Key, Value })) });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    const outcome = await runToEnd(event('Object Tags Added'), deps);
    expect(outcome).toMatchObject({ action: 'verified', verdict: 'ok', keys, verdictObject: `redis-dr-verdicts/${KEY}.json` });
    expect(verdicts.of(KEY)).toMatchObject({ verdict: 'ok', replica: { key: KEY, versionId: 'v1', etag: '"e1"', size: rdb.length }, keys: { keys } });
    expect(parseRdbSummary(putTags()['redis-dr:rdb'])?.keys).toBe(keys);
    expect(deps.log.lines.some((l) => l.message.startsWith('copy carries a verdict tag without a verdict object'))).toBe(true);
    // A verdict object about another version is none either: verified again.
    s3.reset();
    verdicts = serveVerdicts(s3, 'dr', new Map([[`redis-dr-verdicts/${KEY}.json`, verdictObjectBody(okVerdict('v0'))]]));
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: Object.entries(forged).map(([Key, Value]) => ({ Key, Value })) });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    expect(await runToEnd(event('Object Tags Added'), deps)).toMatchObject({ action: 'verified', verdict: 'ok' });
    expect(verdicts.of(KEY)?.replica.versionId).toBe('v1');
  });

  it('verifies again when replicated source tags replaced the verdict', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:tier', Value: 'weekly' }] });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    const outcome = await runToEnd(event('Object Tags Added'), deps);
    expect(outcome).toMatchObject({ action: 'verified', verdict: 'ok' });
    expect(putTags()).toMatchObject({ 'redis-dr:tier': 'weekly', 'redis-dr:verified': 'ok' });
  });

  it("issue 58: signs the verdict with the evidence key into the DR bucket's verdict chain; the verdict object is that signed record", async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:tier', Value: 'daily' }] });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const outcome = await runToEnd(event(), { ...deps, signer });
    expect(outcome).toMatchObject({ action: 'verified', verdict: 'ok', verdictObject: `redis-dr-verdicts/${KEY}.json` });
    const chained = verdicts.bodies.get('redis-dr-verdict-chain/000000000001.json');
    expect(chained).toBeDefined();
    // The chain record and the verdict object are the same bytes: one signed record.
    expect(verdicts.bodies.get(`redis-dr-verdicts/${KEY}.json`)).toBe(chained);
    const record = JSON.parse(chained!) as { attestation: { seq: number; previous: null; deployment: string; keyId: string } };
    expect(record.attestation).toMatchObject({ seq: 1, previous: null, deployment: `s3://${BUCKET}/`, keyId: signer.keyId });
    // Put only where no record is (If-None-Match): two verdicts cannot take one place in the chain.
    const put = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === 'redis-dr-verdict-chain/000000000001.json');
    expect(put!.args[0].input.IfNoneMatch).toBe('*');
  });

  it('issue 58: a Sign that fails fails the step: no verdict object, no verdict tag (never a verdict unsigned where records are signed)', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    const signer = { keyId: 'k', sign: () => Promise.reject(new Error('AccessDeniedException: not allowed to kms:Sign')) };
    await expect(runToEnd(event(), { ...deps, signer })).rejects.toThrow(/kms:Sign/);
    expect(verdicts.of(KEY)).toBeUndefined();
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  it("leaves a vault drill's seed copy alone: not read, not tagged, not counted (it is deleted when its drill ends)", async () => {
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    const outcome = await runToEnd(event('Object Created', `redis-dr-drill-seeds/exec-1/${KEY}`), deps);
    expect(outcome).toMatchObject({ action: 'not-a-copy' });
    expect(s3.commandCalls(GetObjectTaggingCommand)).toHaveLength(0);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  it('treats an object deleted since the event as nothing to do', async () => {
    s3.on(GetObjectTaggingCommand).rejects(awsError('NoSuchKey', 'The specified key does not exist.', 404));
    await expect(runToEnd(event(), deps)).resolves.toMatchObject({ action: 'gone' });
    expect(deps.metrics.sum('RdbVerifyErrors', { Bucket: BUCKET })).toBe(0);
  });

  it('fails the invocation (EventBridge retries, then the DLQ) when tagging is refused, and counts the error', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    s3.on(PutObjectTaggingCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    await expect(runToEnd(event(), deps)).rejects.toThrow('Access Denied');
    expect(deps.metrics.sum('RdbVerifyErrors', { Bucket: BUCKET })).toBe(1);
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(0);
  });

  it('pages a corrupt copy before tagging it: a page that cannot be sent fails the invocation with no verdict, so the retry pages again', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    serveObject(s3, { bytes: rdb.subarray(0, 100), etag: '"e1"', versionId: 'v1' });
    deps = { ...deps, alert: async () => Promise.reject(awsError('AuthorizationError', 'not allowed to publish', 403)) };
    await expect(runToEnd(event(), deps)).rejects.toThrow('not allowed to publish');
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  describe('a copy too large for one invocation (resumable: checkpoints carried by the state machine)', () => {
    /** A clock that moves 1 ms per reading and a deadline already past: every invocation pauses right after its first chunk. */
    function tinyBudget(): VerifyDeps & { metrics: MemoryMetrics; log: MemoryLog; alerts: Page[] } {
      let t = 1_000;
      const alerts: Page[] = [];
      return {
        ...deps,
        metrics: new MemoryMetrics(),
        log: new MemoryLog(),
        alerts,
        alert: async (page) => void alerts.push(page),
        clock: { now: () => t++ },
        deadline: 0,
        reads: { partBytes: 1024, concurrency: 3 },
      };
    }

    it('verifies over many invocations with the one-pass verdict, tags and counts, and counts it once', async () => {
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:tier', Value: 'daily' }] });
      serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
      const once = await runToEnd(event(), deps);
      const oneTags = putTags();
      const oneMetrics = deps.metrics;

      s3.reset();
      verdicts = serveVerdicts(s3); // a fresh bucket: no verdict yet

      s3.on(ListObjectsV2Command).resolves({ Contents: [] }); // the tripwire's listing: no other copies
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:tier', Value: 'daily' }] });
      const server = serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
      deps = tinyBudget();
      const many = await runToEnd(event(), deps);

      expect(many.steps.length).toBeGreaterThan(5);
      expect(many).toMatchObject({ action: 'verified', verdict: 'ok', keys, bytes: rdb.length, invocations: many.steps.length });
      expect(many.keys).toBe(once.keys);
      expect(putTags()).toEqual(oneTags);
      // The expiry histogram too (carried in the checkpoints): a drill of this copy subtracts only the keys expired by its check.
      expect(parseRdbSummary(oneTags['redis-dr:rdb'])?.expiryHistogram).toMatch(/^[0-9a-z]+\/[0-9a-z]+\.p$/); // 25 keys, one bucket
      // One verdict: one tagging call, one RdbVerified, one duration measured from the first invocation.
      expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(1);
      expect(deps.metrics.sum('RdbKeys', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(
        oneMetrics.sum('RdbKeys', { Bucket: BUCKET, Target: 'sessions-prod' }),
      );
      expect(many.seconds).toBeGreaterThan(0);
      // Each invocation read on from the checkpoint before: the ranges cover the file once, in order, with no byte read twice.
      const firsts = server.ranges.map((r) => Number(/^bytes=(\d+)-/.exec(r)![1]));
      const resumes = many.steps.slice(0, -1).map((st) => (st.done ? -1 : st.progress!.checkpoint.offset));
      for (const offset of resumes) expect(firsts).toContain(offset);
      expect([...resumes].sort((a, b) => a - b)).toEqual(resumes);
      // Every part of the copy asked for the pinned version and ETag (its verdict object is another key).
      for (const call of s3.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Key === KEY))
        expect(call.args[0].input).toMatchObject({ VersionId: 'v1', IfMatch: '"e1"' });
    });

    it('a corrupt copy found in a later invocation fails at the offset one pass names, and pages once', async () => {
      const damaged = Buffer.from(rdb);
      damaged[Math.floor(damaged.length * 0.8)]! ^= 0x10;
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes: damaged, etag: '"e1"', versionId: 'v1' });
      const once = await runToEnd(event(), deps);
      s3.reset();
      verdicts = serveVerdicts(s3); // a fresh bucket: no verdict yet
      s3.on(ListObjectsV2Command).resolves({ Contents: [] }); // the tripwire's listing: no other copies
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes: damaged, etag: '"e1"', versionId: 'v1' });
      deps = tinyBudget();
      const many = await runToEnd(event(), deps);
      expect(many.steps.length).toBeGreaterThan(3);
      expect(many.verdict).toBe('corrupt');
      expect(many.error).toEqual(once.error);
      expect(deps.alerts).toHaveLength(1);
      expect(deps.metrics.sum('RdbCorrupt', { Bucket: BUCKET })).toBe(1);
    });

    it('resumes a checkpoint written before moduleAux existed (an execution in flight across a deploy)', async () => {
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
      deps = tinyBudget();
      const first = await verifyStep({ event: event() }, deps);
      expect(first.done).toBe(false);
      const older = JSON.parse(JSON.stringify(first));
      delete older.progress.checkpoint.moduleAux;
      let r = await verifyStep(verifyStepSchema.parse(older), deps);
      while (!r.done) r = await verifyStep(verifyStepSchema.parse(JSON.parse(JSON.stringify(r))), deps);
      expect(r.outcome).toMatchObject({ verdict: 'ok', keys });
    });

    it('an invocation that fails mid-way is retried from the last checkpoint, not from byte 0', async () => {
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      const server = serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
      deps = tinyBudget();
      let input: VerifyStepInput = { event: event() };
      for (let i = 0; i < 4; i++) {
        const r = await verifyStep(input, deps);
        expect(r.done).toBe(false);
        input = verifyStepSchema.parse(JSON.parse(JSON.stringify(r)));
      }
      const checkpoint = input.progress!.checkpoint.offset;
      // S3 fails every read from here on (three attempts per part): the step throws, the state machine keeps its input.
      server.fault = () => {
        throw awsError('InternalError', 'We encountered an internal error. Please try again.', 500);
      };
      await expect(verifyStep(input, deps)).rejects.toThrow(/internal error/);
      expect(deps.metrics.sum('RdbVerifyErrors', { Bucket: BUCKET })).toBe(1);
      // The retry (same input) reads on from the checkpoint.
      server.fault = undefined;
      server.ranges.length = 0;
      const next = await verifyStep(input, deps);
      expect(server.ranges[0]).toMatch(new RegExp(`^bytes=${checkpoint}-`));
      expect(next.done ? 0 : next.progress!.checkpoint.offset).toBeGreaterThan(checkpoint);
      let rest: VerifyStepResult = next;
      while (!rest.done) rest = await verifyStep(verifyStepSchema.parse(JSON.parse(JSON.stringify(rest))), deps);
      expect(rest.outcome).toMatchObject({ verdict: 'ok', keys });
    });

    it('never uses a checkpoint on another version of the object: a changed ETag starts again from byte 0', async () => {
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      const server = serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
      deps = tinyBudget();
      const unversioned = (): S3ObjectEvent => {
        const e = event();
        return { ...e, detail: { ...e.detail, object: { key: KEY, size: rdb.length } } };
      };
      let r = await verifyStep({ event: unversioned() }, deps);
      r = await verifyStep(verifyStepSchema.parse(JSON.parse(JSON.stringify(r))), deps);
      expect(r.done).toBe(false);
      // A new upload under the same key: other bytes (the same file, saved again), another ETag.
      server.object.etag = '"e2"';
      server.object.versionId = 'v2';
      server.ranges.length = 0;
      r = await verifyStep(verifyStepSchema.parse(JSON.parse(JSON.stringify(r))), deps);
      expect(server.ranges[0]).toMatch(/^bytes=0-/);
      expect(r).toMatchObject({ done: false, restarts: 1, progress: { etag: '"e2"', invocations: 1 } });
      expect(deps.log.lines.find((l) => l.message.startsWith('the object changed since the last checkpoint'))?.level).toBe('warn');
      while (!r.done) r = await verifyStep(verifyStepSchema.parse(JSON.parse(JSON.stringify(r))), deps);
      expect(r.outcome).toMatchObject({ verdict: 'ok', keys });
    });

    it('an object replaced while it is read (If-Match refused) starts again from byte 0, and gives up after repeated changes', async () => {
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      const server = serveObject(s3, { bytes: rdb, etag: '"e1"' });
      let n = 0;
      // Every GET sees another object than the HeadObject before it.
      server.fault = () => {
        server.object.etag = `"changed-${++n}"`;
      };
      const e = event();
      let input: VerifyStepInput = { event: { ...e, detail: { ...e.detail, object: { key: KEY } } } };
      for (let i = 1; i <= MAX_VERIFY_RESTARTS; i++) {
        const r = await verifyStep(input, deps);
        expect(r).toEqual({ done: false, event: input.event, restarts: i });
        input = verifyStepSchema.parse(JSON.parse(JSON.stringify(r)));
      }
      const gaveUp = await verifyStep(input, deps).catch((e: unknown) => e);
      expect((gaveUp as Error).message).toContain(`changed ${MAX_VERIFY_RESTARTS + 1} times during its verification`);
      // Its name is the Lambda error type the state machine does not retry.
      expect((gaveUp as Error).name).toBe(VERIFY_GAVE_UP);
      expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    });

    /** A REDIS0015 file of `count` templates of one field (ids from `idOf`), a type-32 hash of the first one, a string. */
    function templateFile(count: number, idOf: (i: number) => bigint): Buffer {
      const templates: number[] = [];
      for (let i = 0; i < count; i++) templates.push(0xf2, 0x81, ...big(idOf(i)), 0x01, ...str('f'));
      const body = [0xfe, 0x00, ...templates, 0x20, ...str('h'), 0x81, ...big(idOf(0)), ...str('v'), 0x00, ...str('k'), ...str('v')];
      return Buffer.from(file('REDIS0015', body));
    }

    it('carries the registry of 60,000 templates numbered as a server numbers them (from 0 up) to the verdict, packed', async () => {
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes: templateFile(60_000, BigInt), etag: '"e1"', versionId: 'v1' });
      deps = { ...tinyBudget(), reads: { partBytes: 131_072, concurrency: 2 } };
      const many = await runToEnd(event(), deps);
      const paused = many.steps.filter((st) => !st.done);
      expect(paused.length).toBeGreaterThan(2);
      for (const st of paused) expect(stateBytes(st)).toBeLessThanOrEqual(VERIFY_STATE_MAX_BYTES);
      expect(many).toMatchObject({ action: 'verified', verdict: 'ok', keys: 2 });
    });

    it('a Redis 8.10 copy whose template registry would outgrow the Step Functions state is "not verified", said and paged, never cut and never OK', async () => {
      // 24,000 templates 2^35 apart (each about 9 characters packed): the registry alone passes 192 KiB past the 21,000th.
      const bytes = templateFile(24_000, (i) => BigInt(i) * 2n ** 35n);
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes, etag: '"e1"', versionId: 'v1' });
      // In one invocation the file is read and valid: the format is not the problem.
      expect(await runToEnd(event(), deps)).toMatchObject({ verdict: 'ok', keys: 2 });

      s3.reset();
      verdicts = serveVerdicts(s3); // a fresh bucket: no verdict yet
      s3.on(ListObjectsV2Command).resolves({ Contents: [] });
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes, etag: '"e1"', versionId: 'v1' });
      deps = { ...tinyBudget(), reads: { partBytes: 32_768, concurrency: 2 } };
      const many = await runToEnd(event(), deps);

      // Every state handed to the state machine fits, measured as it carries it; the last one could not be.
      const paused = many.steps.filter((st) => !st.done);
      expect(paused.length).toBeGreaterThan(2);
      for (const st of paused) expect(stateBytes(st)).toBeLessThanOrEqual(VERIFY_STATE_MAX_BYTES);
      expect(VERIFY_STATE_MAX_BYTES).toBeLessThan(STEP_FUNCTIONS_MAX_STATE_BYTES);
      expect(many).toMatchObject({ action: 'verified', verdict: 'unsupported' });
      expect(many.error?.message).toMatch(
        new RegExp(
          `^${NOT_CHECKPOINTABLE}: at byte \\d+ the paused verification's state is \\d+ bytes \\(\\d+ hash templates defined so far\\), over the 196608 bytes`,
        ),
      );
      expect(putTags()['redis-dr:verified']).toBe('unsupported');
      expect(deps.metrics.sum('RdbUnsupported', { Bucket: BUCKET })).toBe(1);
      expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(0);
      expect(deps.alerts).toHaveLength(1);
      expect(deps.alerts[0]!.message).toContain(`judge it in one process with \`redis-dr verify-rdb s3://${BUCKET}/${KEY}\``);
      expect(deps.alerts[0]!.message).not.toMatch(/upgrade redis-dr/);
    });

    it('the handler stops reading when the Lambda has two minutes left and returns the progress', async () => {
      // Stubbed for this test only: the worker runs other files after this one (vitest.config.mts, project `shared`).
      onTestFinished(() => {
        vi.unstubAllEnvs();
      });
      vi.stubEnv('ALERT_TOPIC_ARN', 'arn:aws:sns:eu-central-1:123456789012:alerts');
      vi.stubEnv('REDIS_DR_DEPLOYMENT', 'prod');
      vi.stubEnv('AWS_REGION', 'eu-central-1');
      vi.stubEnv('REDIS_DR_VERIFY_PART_BYTES', '2048');
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
      serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
      const paused = (await handler({ step: { event: event() }, settings: SETTINGS }, {
        getRemainingTimeInMillis: () => 120_000,
      } as never)) as VerifyStepResult;
      expect(paused.done).toBe(false);
      expect(paused.done ? undefined : paused.progress?.checkpoint.offset).toBeGreaterThan(0);
      const finished = (await handler({ step: JSON.parse(JSON.stringify(paused)), settings: SETTINGS }, {
        getRemainingTimeInMillis: () => 900_000,
      } as never)) as VerifyStepResult;
      expect(finished).toMatchObject({ done: true, outcome: { verdict: 'ok', keys, invocations: 2 } });
    });
  });

  it('names foreign keys "unknown" rather than guessing a target', () => {
    const { subject, attributes } = corruptAlert(
      BUCKET,
      'manual/upload.rdb',
      undefined,
      'unknown',
      {},
      {
        ok: false,
        version: 9,
        checksum: 'mismatch',
        keys: 0,
        expires: 0,
        databases: [],
        byType: {},
        auxFields: {},
        functionLibraries: 0,
      },
      { deployment: 'prod', region: 'eu-central-1' },
    );
    expect(subject).toBe('[CRITICAL] redis-dr prod: corrupt DR copy - unknown eu-central-1');
    expect(attributes.target).toBe('unknown');
  });

  it('accepts the EventBridge S3 event shape and refuses other events by name', () => {
    expect(s3ObjectEventSchema.safeParse({ ...event(), account: '123', region: 'eu-central-1', time: 'x' }).success).toBe(true);
    const bad = s3ObjectEventSchema.safeParse({ ...event(), source: 'aws.ec2' });
    expect(bad.success).toBe(false);
  });

  it.each([
    [
      'a collapse threshold above 100',
      { collapseThresholdPct: { sessions: 150 } },
      'invalid input: settings.collapseThresholdPct.sessions must be <= 100, got 150: set a percentage within 0..100; 100 pages only on an empty keyspace',
    ],
    [
      'a collapse threshold given as text',
      { collapseThresholdPct: { sessions: '30' } },
      'invalid input: settings.collapseThresholdPct.sessions must be a number, got "30": write a percentage like 50',
    ],
    [
      'vault days missing a tier',
      { collapseThresholdPct: {}, vaultRetentionDays: { hourly: 3, daily: 8, weekly: 29 } },
      'invalid input: settings.vaultRetentionDays.monthly is required',
    ],
    ['no settings at all (an event sent straight to the function)', undefined, 'invalid input: settings is required'],
  ])('refuses %s before reading a byte, naming the field, the value and the fix', async (_name, settings, message) => {
    await expect(handler({ step: { event: event() }, settings })).rejects.toThrow(message);
    expect(s3.calls()).toHaveLength(0);
  });

  it('refuses to run without its alert topic', async () => {
    const saved = process.env.ALERT_TOPIC_ARN;
    delete process.env.ALERT_TOPIC_ARN;
    try {
      await expect(handler({ step: { event: event() }, settings: SETTINGS })).rejects.toThrow('ALERT_TOPIC_ARN');
    } finally {
      if (saved !== undefined) process.env.ALERT_TOPIC_ARN = saved;
    }
  });
});

describe('the checkpoint carried between invocations', () => {
  /** `head` then `tail` with a CRC-64 trailer, paused after `head`, its checkpoint through the schema as the state machine hands it on. */
  async function pausedAfter(head: number[], tail: number[]) {
    const { rdbCheckpointSchema } = await import('../../../../lambdas/jobs/dr-copies/verify-rdb.js');
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    const bytes = Buffer.from([...head, ...tail, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.writeBigUInt64LE(new Crc64().update(bytes, 0, bytes.length - 8).value, bytes.length - 8);
    const first = createRdbVerifier({ requireChecksum: true });
    first.push(bytes.subarray(0, head.length));
    first.pause();
    return { bytes, cp: rdbCheckpointSchema.parse(JSON.parse(JSON.stringify(first.checkpoint()))) };
  }

  it('refuses a packed template registry that is damaged, naming what is wrong (never a registry cut short)', async () => {
    const { rdbCheckpointSchema } = await import('../../../../lambdas/jobs/dr-copies/verify-rdb.js');
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    const v = createRdbVerifier({ requireChecksum: true });
    v.push(Buffer.from('REDIS0015'));
    v.pause();
    const cp = { ...v.checkpoint()!, hashTemplates: `t1:${Buffer.from([0x82]).toString('base64')}` };
    const parsed = rdbCheckpointSchema.safeParse(JSON.parse(JSON.stringify(cp)));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['hashTemplates'] });
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/the packed template registry ends inside a number/);
  });

  it("keeps a Redis 8.10 file's hash templates: a key after the resume point still finds its template", async () => {
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    // REDIS0015: template 1 of fields a, b; a string key; then (after the pause) a hash of type 32 using the template.
    const head = [...Buffer.from('REDIS0015'), 0xfe, 0x00, 0xf2, 0x01, 0x02, 0x01, 0x61, 0x01, 0x62, 0x00, 0x01, 0x6b, 0x01, 0x76];
    const { bytes, cp } = await pausedAfter(head, [0x20, 0x01, 0x68, 0x01, 0x01, 0x31, 0x01, 0x32, 0xff]);
    expect(cp.hashTemplates).toEqual([[1, 2]]);
    const second = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
    second.push(bytes.subarray(cp.offset));
    expect(second.end()).toMatchObject({ ok: true, keys: 2, templateHashes: 1, byType: { string: 1, hash: 1 } });
  });

  it('keeps the counts of Redis 8.6 key metadata of ignorable classes through the schema (a conversion names what it leaves out)', async () => {
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    // Class BLES (4 characters of 6 bits, version 0, ALLOW_IGNORE), its value an unsigned integer; a string key after each.
    const spec = (((1 * 64 + 11) * 64 + 4) * 64 + 18) * 256 + 1;
    const meta = [0xf3, 0x01, spec & 0xff, (spec >>> 8) & 0xff, (spec >>> 16) & 0xff, spec >>> 24, 0x02, 0x07, 0x00];
    const kv = (k: string) => [0x00, 0x01, ...Buffer.from(k), 0x01, 0x76];
    const { bytes, cp } = await pausedAfter([...Buffer.from('REDIS0013'), 0xfe, 0x00, ...meta, ...kv('a')], [...meta, ...kv('b'), 0xff]);
    expect(cp.ignorableKeyMeta).toEqual({ BLES: 1 });
    const second = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
    second.push(bytes.subarray(cp.offset));
    expect(second.end()).toMatchObject({ ok: true, keys: 2, ignorableKeyMeta: { BLES: 2 } });
  });

  it("keeps the function libraries' names: a library after the resume point with a name one before it had is refused as one pass refuses it", async () => {
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    const library = (name: string): number[] => {
      const code = Buffer.from(`#!lua name=${name}\nredis.register_function('f', function() return 1 end)`);
      return [0xf5, 0x40, code.length, ...code]; // a 14-bit length: the code is over 63 bytes
    };
    const kv = (k: string) => [0x00, 0x01, ...Buffer.from(k), 0x01, 0x76];
    const head = [...Buffer.from('REDIS0010'), ...library('mylib'), 0xfe, 0, ...kv('a')];
    for (const [second, verdict] of [
      ['mylib', { ok: false, error: { message: `FUNCTION2 library: Redis refuses it on load ("Failed loading library, Library 'mylib' already exists")` } }],
      ['other', { ok: true, keys: 2, functionLibraries: 2 }],
    ] as const) {
      const { bytes, cp } = await pausedAfter(head, [...library(second), ...kv('b'), 0xff]);
      expect(cp.functionLibraryNames).toEqual(['mylib']);
      const one = createRdbVerifier({ requireChecksum: true });
      one.push(bytes);
      const report = one.end();
      expect(report).toMatchObject(verdict);
      // The names are the checkpoint's state, not a report field (verify-rdb --json, the DR log).
      expect(report).not.toHaveProperty('functionLibraryNames');
      const resumed = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
      resumed.push(bytes.subarray(cp.offset));
      expect(resumed.end()).toMatchObject(verdict);
    }
  });

  it('keeps every field a checkpoint has through the schema (zod drops a key it does not list): the RDB types read before it too', async () => {
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    const kv = (k: string) => [0x00, 0x01, ...Buffer.from(k), 0x01, 0x76];
    const set = (k: string) => [0x02, 0x01, ...Buffer.from(k), 0x01, 0x01, 0x6d];
    const head = [...Buffer.from('REDIS0010'), 0xfa, ...str('ctime'), ...str('1795483532'), 0xfe, 0, ...kv('a'), ...set('s')];
    const tail = [...kv('b'), 0xff];
    const { bytes, cp } = await pausedAfter(head, tail);
    const first = createRdbVerifier({ requireChecksum: true });
    first.push(bytes.subarray(0, head.length));
    first.pause();
    expect(cp).toEqual(first.checkpoint());
    // The engines line (engines.ts requiredFormat) reads the report's rdbTypes: a resumed one names the types of the whole file.
    const one = createRdbVerifier({ requireChecksum: true });
    one.push(bytes);
    const resumed = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
    resumed.push(bytes.subarray(cp.offset));
    expect(resumed.end()).toMatchObject({ ok: true, keys: 3, rdbTypes: [0, 2] });
    expect(one.end().rdbTypes).toEqual([0, 2]);
  });

  it('a ctime beyond any time a double holds in ms (Redis 7.0 loads such a file: it only logs the age): judged as one pass judges it, through the schema', async () => {
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    const kv = (k: string) => [0x00, 0x01, ...Buffer.from(k), 0x01, 0x76];
    const expiring = (k: string) => [0xfc, 0x10, 0x27, 0, 0, 0x9a, 0x01, 0, 0, ...kv(k)]; // 2025-10-20, in ms
    const ctimeAux = (t: string) => [0xfa, ...str('ctime'), ...(t.length < 64 ? [t.length] : [0x40 | (t.length >> 8), t.length & 0xff]), ...Buffer.from(t)];
    // 400 digits: Infinity as a double (JSON null, which the schema refuses); 21: finite, but not whole seconds in ms.
    for (const ctime of ['9'.repeat(400), '1'.repeat(21)]) {
      const head = [...Buffer.from('REDIS0010'), ...ctimeAux(ctime), 0xfe, 0, ...expiring('a')];
      const { bytes, cp } = await pausedAfter(head, [...expiring('b'), ...kv('c'), 0xff]);
      const one = createRdbVerifier({ requireChecksum: true });
      one.push(bytes);
      const report = one.end();
      expect(report).toMatchObject({ ok: true, keys: 3, expires: 2 });
      const resumed = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
      resumed.push(bytes.subarray(cp.offset));
      const { duplicateKeyCheck, ...rest } = resumed.end();
      expect(duplicateKeyCheck?.fromOffset).toBe(cp.offset);
      expect(rest).toEqual(report);
    }
  });

  it('keeps the database selected at the checkpoint (a file selecting database 3 again): the keys after it are read there', async () => {
    const { createRdbVerifier } = await import('../../../../lambdas/domain/rdb/verifier.js');
    const kv = (k: string) => [0x00, 0x01, ...Buffer.from(k), 0x01, 0x76];
    // Databases 3, 1, 3 again (the pause after it), then 1: key c in database 3 and in 1 (no duplicate).
    const head = [...Buffer.from('REDIS0010'), 0xfe, 3, ...kv('a'), 0xfe, 1, ...kv('b'), 0xfe, 3];
    const { bytes, cp } = await pausedAfter(head, [...kv('c'), 0xfe, 1, ...kv('c'), 0xff]);
    expect(cp.db).toBe(3);
    const second = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
    second.push(bytes.subarray(cp.offset));
    expect(second.end()).toMatchObject({ ok: true, keys: 4, keysByDb: { 1: 2, 3: 2 } });
  });
});
