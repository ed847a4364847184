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
const OK = { 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=1000 expires=0 string=1000' };
/** Verified before verdicts were objects: an ok tag, no verdict object. */
const OLD = 'rdr-app-cache-20261101-0800-0001.rdb';
/** Verified since: its verdict object names it. */
const PROVEN = 'rdr-app-cache-20261122-0800-0001.rdb';
/** Its verdict object names an earlier version of the key (replaced since): not the copy's verdict. */
const REPLACED = 'rdr-app-cache-20261102-0800-0001.rdb';
/** A vault drill's seed copy: not a copy. */
const SEED = `redis-dr-drill-seeds/drill-1/${OLD}`;
const aws = fakePipeline(DR_BUCKET, recoveryBucketName('st', ACCOUNT, 'eu-west-1'));
let clock: FakeClock;
const run = (...args: string[]) => runInProcess(['verify-copy', '-c', CONFIG, '--poll-seconds', '5', '--unproven', ...args], { clock });
const keyOf = (input: unknown) => (input as { detail: { object: { key: string } } }).detail.object.key;

/** What the verifier does with each copy it is started on: `SUCCEEDED` with the verdict it writes (tag and object), or `FAILED` writing nothing. */
function verifier(outcome: Record<string, { status: 'SUCCEEDED'; verdict: string } | { status: 'FAILED' }>): void {
  aws.state.onStart = (started) => {
    const key = keyOf(started.input);
    const o = outcome[key];
    if (!o) throw new Error(`the verifier was started on ${key}, which no test expected`);
    aws.state.executions.push(nextExecution(new Date(NOW), { status: o.status }));
    if (o.status === 'FAILED') return;
    // The verifier's verdict object names the current version: the copy is no longer forged or replaced.
    aws.state.objects.get(DR_BUCKET)!.set(key, o.verdict === 'ok' ? OK : { 'redis-dr:verified': o.verdict });
    aws.state.forgedVerdicts.delete(`${DR_BUCKET}/${key}`);
    aws.state.replacedCopies.delete(`${DR_BUCKET}/${key}`);
  };
}

beforeEach(() => {
  aws.install();
  clock = new FakeClock(NOW);
  aws.state.stateMachines = new Set([SM]);
  aws.state.started.length = 0;
  aws.state.executions = [];
  aws.state.forgedVerdicts.clear();
  aws.state.replacedCopies.clear();
  aws.state.onStart = undefined;
  aws.state.objects.set(
    DR_BUCKET,
    new Map<string, Record<string, string>>([
      [OLD, OK],
      [PROVEN, OK],
      [REPLACED, OK],
      [SEED, OK],
    ]),
  );
  for (const k of [OLD, SEED]) aws.state.forgedVerdicts.add(`${DR_BUCKET}/${k}`);
  aws.state.replacedCopies.add(`${DR_BUCKET}/${REPLACED}`);
});

describe('redis-dr verify-copy --unproven (the upgrade path of issue 53)', () => {
  it('--dry-run lists every copy that reads unproven and why (a tag without an object; an object about another version), starts nothing, exit 1', async () => {
    const r = await run('--dry-run');
    expect(r.code).toBe(1);
    expect(aws.state.started).toEqual([]);
    expect(r.stdout).toContain(`2 of 3 copies in s3://${DR_BUCKET} read unproven`);
    expect(r.stdout).toContain(`UNPROVEN s3://${DR_BUCKET}/${OLD}: verdict tag redis-dr:verified=ok without a verdict object (no verdict object`);
    // The negative case: a verdict object that does not name the copy's current version does not make it ok.
    expect(r.stdout).toContain(`UNPROVEN s3://${DR_BUCKET}/${REPLACED}: verdict tag redis-dr:verified=ok without a verdict object (the verdict of`);
    expect(r.stdout).toContain('not the current v2');
    expect(r.stdout).not.toContain(PROVEN);
    expect(r.stdout).not.toContain('redis-dr-drill-seeds/');
  });

  it('starts the verifier on each unproven copy (one execution name each) and is exit 0 once every one has an ok verdict object', async () => {
    verifier({ [OLD]: { status: 'SUCCEEDED', verdict: 'ok' }, [REPLACED]: { status: 'SUCCEEDED', verdict: 'ok' } });
    const r = await run('--concurrency', '2');
    expect(r.code).toBe(0);
    expect(aws.state.started.map((s) => keyOf(s.input)).sort()).toEqual([OLD, REPLACED].sort());
    expect(aws.state.started.every((s) => s.stateMachineArn === SM)).toBe(true);
    expect(new Set(aws.state.started.map((s) => s.name)).size).toBe(2);
    expect(r.stdout).toContain(`OK s3://${DR_BUCKET}/${OLD}: verdict ok (v=11 keys=1000 expires=0 string=1000)`);
    expect(r.stdout).toContain('2 of 2 verified ok now');
    // Verified again: nothing reads unproven any more.
    aws.state.onStart = undefined;
    const again = await run('--dry-run');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`0 of 3 copies in s3://${DR_BUCKET} read unproven`);
  });

  it('a re-verification that fails, or finds the copy corrupt, is not ok: exit 1 naming it, the others still verified', async () => {
    verifier({ [OLD]: { status: 'FAILED' }, [REPLACED]: { status: 'SUCCEEDED', verdict: 'corrupt' } });
    const r = await run('--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; results: { key: string; ok: boolean; verdict?: string; status: string }[] };
    expect(out.ok).toBe(false);
    expect(out.results).toEqual([
      expect.objectContaining({ key: OLD, ok: false, status: 'FAILED', verdict: 'unproven' }),
      expect.objectContaining({ key: REPLACED, ok: false, status: 'SUCCEEDED', verdict: 'corrupt' }),
    ]);
    verifier({ [OLD]: { status: 'FAILED' } });
    const text = await run();
    expect(text.stdout).toContain(`NOT OK s3://${DR_BUCKET}/${OLD}: verdict unproven; execution`);
    expect(text.stdout).toContain('0 of 1 verified ok now; the others are not ok');
  });

  it('a verification that cannot be started is that copy not ok; the other copies go on', async () => {
    verifier({ [REPLACED]: { status: 'SUCCEEDED', verdict: 'ok' } });
    const onStart = aws.state.onStart!;
    aws.state.onStart = (s) => {
      if (keyOf(s.input) === OLD) aws.state.stateMachines = new Set();
      else onStart(s);
    };
    const r = await run('--concurrency', '1');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`NOT OK s3://${DR_BUCKET}/${OLD}: no verdict; execution (unknown): ERROR (`);
  });

  it.each([[[`s3://${DR_BUCKET}/${OLD}`]], [['--newest', '--target', 'app-cache']]])('--unproven with %j is a usage error (exit 2)', async (args) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--unproven takes every unproven copy');
  });

  it('--dry-run without --unproven is a usage error (exit 2)', async () => {
    const r = await runInProcess(['verify-copy', '-c', CONFIG, '--dry-run', `s3://${DR_BUCKET}/${OLD}`], { clock });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dry-run goes with --unproven');
  });
});
