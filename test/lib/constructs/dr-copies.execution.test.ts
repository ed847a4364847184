import { readFileSync } from 'node:fs';
import { GetObjectTaggingCommand, ListObjectsV2Command, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionError } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localStateMachine } from '../../../demo/local-machine.js';
import type { Page } from '../../../lambdas/domain/alerting/page.js';
import { settingsDeps, verifyInvocationSchema, verifyStep, type S3ObjectEvent, type VerifyDeps } from '../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { awsError, MemoryLog, MemoryMetrics } from '../../support/fakes.js';
import { populate } from '../../support/rdb-dataset.js';
import { bgsave, startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { serveObject, type ObjectServer } from '../../support/s3-object-mock.js';
import { serveVerdicts } from '../../support/verdict-store.js';
import { stateMachineDefinition, type AslDefinition } from '../../support/state-machine.js';
import { exampleConfig, synthesize } from '../../support/synth.js';

/**
 * The synthesized verify state machine of the DR stack, executed locally: its
 * Lambda task runs the real verify-rdb step (the RDB verifier on a real
 * server's BGSAVE file) against a mocked S3 holding the object, with a budget
 * so small that every invocation pauses after its first part.
 */
const BUCKET = 'redis-dr-example-123456789012-eu-central-1';
const KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';

const s3Event = (): S3ObjectEvent => ({
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: { bucket: { name: BUCKET }, object: { key: KEY, 'version-id': 'v1' } },
});

describe('verify state machine (DR), executed locally', () => {
  const s3 = mockClient(S3Client);
  let definition: AslDefinition;
  let server: RedisServer;
  let rdb: Buffer;
  let object: ObjectServer;

  beforeAll(async () => {
    const synth = synthesize();
    definition = stateMachineDefinition(synth.dr, 'verify');
    synth.cleanup();
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const client = server.client();
    await populate(client);
    rdb = readFileSync(await bgsave(server, client));
  });
  afterAll(async () => server?.stop());

  beforeEach(() => {
    s3.reset();
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:tier', Value: 'daily' }] });
    serveVerdicts(s3); // the verdict objects the verifier writes and reads back
    object = serveObject(s3, { bytes: rdb, etag: '"e1"', versionId: 'v1' });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] }); // the collapse tripwire's listing: no other copies
  });

  /** Runs one execution; `fault(n)` may throw in the n-th Lambda invocation. */
  async function execute(fault?: (invocation: number) => void) {
    let t = 0;
    const alerts: Page[] = [];
    const metrics = new MemoryMetrics();
    const deps: VerifyDeps = {
      s3: new S3Client({ region: 'eu-central-1' }),
      metrics,
      log: new MemoryLog(),
      clock: { now: () => ++t },
      deadline: 0,
      reads: { partBytes: 1024, concurrency: 4 },
      alert: async (page) => void alerts.push(page),
      where: { deployment: 'example', region: 'eu-central-1' },
    };
    const inputs: unknown[] = [];
    const machine = localStateMachine(definition);
    const execution = machine.run(s3Event(), {
      overrides: {
        retryIntervalOverrides: { Verify: 0 },
        taskResourceLocalHandlers: {
          Verify: async (input) => {
            inputs.push(input);
            fault?.(inputs.length);
            // The payload as Lambda receives it (the step and the plans' settings): JSON, validated by the handler's schema.
            const { step, settings } = verifyInvocationSchema.parse(JSON.parse(JSON.stringify(input)));
            return (await verifyStep(step, { ...deps, ...settingsDeps(settings) })) as never;
          },
        },
      },
    });
    try {
      return { output: (await execution.result) as Record<string, any>, inputs, metrics, alerts };
    } catch (err) {
      if (err instanceof ExecutionError) return { failed: err.message, inputs, metrics, alerts };
      throw err;
    }
  }

  it('loops Verify until the verdict is tagged: one verdict, one tagging, the counts of one pass', async () => {
    const { output, inputs, metrics } = await execute();
    expect(output).toMatchObject({ done: true, outcome: { action: 'verified', verdict: 'ok', bytes: rdb.length } });
    expect(inputs.length).toBeGreaterThan(5);
    expect(output!.outcome.invocations).toBe(inputs.length);
    const thresholds = Object.fromEntries(
      exampleConfig()
        .plans.filter((p) => p.export.enabled)
        .map((p) => [p.name, p.collapseThresholdPct]),
    );
    // The first invocation gets the event as EventBridge sent it, the others the progress before; each the plans' settings.
    expect(inputs[0]).toEqual({ step: { event: s3Event() }, settings: { collapseThresholdPct: thresholds } });
    expect((inputs[1] as any).step.progress.checkpoint.offset).toBeGreaterThan(0);
    expect((inputs[1] as any).settings).toEqual((inputs[0] as any).settings);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(1);
    expect(metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(1);
    const tags = Object.fromEntries(s3.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input.Tagging!.TagSet!.map((tag) => [tag.Key, tag.Value]));
    expect(tags).toMatchObject({ 'redis-dr:tier': 'daily', 'redis-dr:verified': 'ok' });
  });

  it('retries a failed invocation with the same input: it resumes from the last checkpoint', async () => {
    const { output, inputs } = await execute((n) => {
      if (n === 4) throw awsError('InternalError', 'S3 had a bad moment', 500);
    });
    expect(output).toMatchObject({ done: true, outcome: { verdict: 'ok' } });
    // The retry got exactly the input of the failed attempt (the checkpoint of invocation 3).
    expect(inputs[4]).toEqual(inputs[3]);
    expect((inputs[4] as any).step.progress.checkpoint.offset).toBeGreaterThan(0);
  });

  it('fails the execution (the verify-failed alarm) when an invocation fails every retry, and tags nothing', async () => {
    const { failed, inputs } = await execute((n) => {
      if (n >= 3) throw awsError('AccessDenied', 'Access Denied', 403);
    });
    expect(failed).toMatch(/Access Denied/);
    // One try and three retries of the same step.
    expect(inputs.length).toBe(2 + 4);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  it('a corrupt copy ends the execution successfully with the corrupt verdict tagged and one page', async () => {
    const damaged = Buffer.from(rdb);
    damaged[Math.floor(damaged.length * 0.6)]! ^= 0x08;
    object.object.bytes = damaged;
    const { output, alerts } = await execute();
    expect(output).toMatchObject({ done: true, outcome: { verdict: 'corrupt' } });
    expect(alerts).toHaveLength(1);
  });
});
