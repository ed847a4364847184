import { beforeEach, describe, expect, it } from 'vitest';
import { recoveryBucketName } from '../../../../lib/deployment.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT, nextExecution } from '../../support/fake-aws.js';
import { fakePipeline } from '../../support/fake-pipeline.js';
import { runInProcess } from '../../support/in-process.js';

const CONFIG = 'test/fixtures/config/selftest.json';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const DR_BUCKET = recoveryBucketName('st', ACCOUNT, 'eu-central-1');
const SM = `arn:aws:states:eu-central-1:${ACCOUNT}:stateMachine:redis-dr-st-verify-rdb`;
const KEY = 'rdr-app-cache-20261123-0800-0001.rdb';
const aws = fakePipeline(DR_BUCKET, recoveryBucketName('st', ACCOUNT, 'eu-west-1'));
let clock: FakeClock;
const run = (...args: string[]) => runInProcess(['verify-copy', '-c', CONFIG, '--poll-seconds', '5', ...args], { clock });

/** The verification StartExecution creates: running, then `status`; the copy's verdict tag as given. */
function verification(status: string, verdict?: string): void {
  aws.state.executions.push(nextExecution(new Date(NOW), { status }));
  aws.state.objects.set(
    DR_BUCKET,
    new Map<string, Record<string, string>>([[KEY, verdict ? { 'redis-dr:verified': verdict, 'redis-dr:rdb': 'v=11 keys=1000 expires=0 string=1000' } : {}]]),
  );
}

beforeEach(() => {
  aws.install();
  clock = new FakeClock(NOW);
  aws.state.stateMachines = new Set([SM]);
});

describe('redis-dr verify-copy', () => {
  it('starts the DR verify state machine with the Object Created event of the copy and prints its verdict (exit 0)', async () => {
    verification('SUCCEEDED', 'ok');
    const r = await run(`s3://${DR_BUCKET}/${KEY}`);
    expect(r.code).toBe(0);
    expect(aws.state.started[0]).toMatchObject({
      stateMachineArn: SM,
      input: { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: DR_BUCKET }, object: { key: KEY, size: 1024 } } },
    });
    expect(r.stdout).toContain(`s3://${DR_BUCKET}/${KEY}: verdict ok (v=11 keys=1000 expires=0 string=1000)`);
  });

  it("issue 53 item 3: an ok verdict tag without a verdict object (not the verifier's) is not ok: exit 1, saying what it is", async () => {
    verification('SUCCEEDED', 'ok');
    aws.state.forgedVerdicts.add(`${DR_BUCKET}/${KEY}`);
    const r = await run(`s3://${DR_BUCKET}/${KEY}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`s3://${DR_BUCKET}/${KEY}: verdict unproven`);
    expect(r.stdout).toContain(
      `verdict tag redis-dr:verified=ok without a verdict object (no verdict object s3://${DR_BUCKET}/redis-dr-verdicts/${KEY}.json): not trusted`,
    );
    verification('SUCCEEDED', 'ok');
    const json = await run(`s3://${DR_BUCKET}/${KEY}`, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ verdict: 'unproven', ok: false, untrusted: expect.stringContaining('without a verdict object') });
  });

  it('--newest --target finds the newest copy; a corrupt verdict is exit 1 with the runbook (--json too)', async () => {
    verification('SUCCEEDED', 'corrupt');
    const r = await run('--newest', '--target', 'app-cache', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ key: KEY, verdict: 'corrupt', ok: false });
  });

  it('--newest of an export of two shards verifies both: one corrupt shard is exit 1, naming each shard', async () => {
    const second = KEY.replace('-0001.rdb', '-0002.rdb');
    for (const _ of [1, 2]) {
      aws.state.executions.push(nextExecution(new Date(NOW), { status: 'SUCCEEDED' }));
    }
    aws.state.objects.set(
      DR_BUCKET,
      new Map<string, Record<string, string>>([
        [KEY, { 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=500 expires=0 string=500' }],
        [second, { 'redis-dr:verified': 'corrupt' }],
      ]),
    );
    const r = await run('--newest', '--target', 'app-cache');
    expect(r.code).toBe(1);
    expect(aws.state.started.slice(-2).map((x) => (x.input as { detail: { object: { key: string } } }).detail.object.key)).toEqual([KEY, second]);
    expect(r.stdout).toContain(`s3://${DR_BUCKET}/${KEY}: verdict ok`);
    expect(r.stdout).toContain(`s3://${DR_BUCKET}/${second}: verdict corrupt`);
    expect(r.stdout).toContain('1 of 2 shards verified ok');
  });

  it('a failed verification without a verdict is exit 1', async () => {
    verification('FAILED');
    const r = await run(`s3://${DR_BUCKET}/${KEY}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no verdict');
  });

  it.each([[[]], [['s3://x/y', '--newest', '--target', 'a']], [['--newest']], [['not-a-url']]])('%j is a usage error (exit 2)', async (args) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
  });

  it('a copy outside the DR bucket is a usage error naming the bucket', async () => {
    const r = await run('s3://elsewhere/x.rdb');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`copies are verified in the DR bucket ${DR_BUCKET}`);
  });
});
