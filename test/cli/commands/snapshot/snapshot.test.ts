import { CreateSnapshotCommand } from '@aws-sdk/client-elasticache';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { recoveryBucketName } from '../../../../lib/deployment.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT } from '../../support/fake-aws.js';
import { accessDenied, fakePipeline } from '../../support/fake-pipeline.js';
import { runInProcess } from '../../support/in-process.js';

const CONFIG = 'test/fixtures/config/selftest.json';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const aws = fakePipeline(recoveryBucketName('st', ACCOUNT, 'eu-central-1'), recoveryBucketName('st', ACCOUNT, 'eu-west-1'));
let clock: FakeClock;
const run = (...args: string[]) => runInProcess(['snapshot', '-c', CONFIG, '--plan', 'app', ...args], { clock });

beforeEach(() => {
  aws.install();
  clock = new FakeClock(NOW);
  aws.state.groups.set('app-cache', { statuses: ['available'], replicas: 1, clusterEnabled: false });
});

describe('redis-dr snapshot', () => {
  it('takes the point through the snapshot job (its name, tags and tier), waits until available, exit 0', async () => {
    const r = await run('--wait');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('app-cache: rdr-app-cache-20261123-1000 available, tier monthly');
    expect(r.stdout).toContain('plan app: 1 recovery point(s) taken');
    const created = aws.ec.commandCalls(CreateSnapshotCommand)[0]!.args[0].input;
    // From a replica (cluster mode disabled), tagged as the scheduled run tags.
    expect(created).toMatchObject({ CacheClusterId: 'app-cache-002', SnapshotName: 'rdr-app-cache-20261123-1000' });
    expect(Object.fromEntries((created.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
      'redis-dr:managed': 'true',
      'redis-dr:deployment': 'st',
      'redis-dr:plan': 'app',
      'redis-dr:source': 'app-cache',
    });
  });

  it('without --wait, a point still being made is said to be started, not taken (exit 0)', async () => {
    aws.state.groups.set('app-cache', { statuses: ['creating', 'available'], replicas: 1, clusterEnabled: false });
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('taken');
    expect(r.stdout).toMatch(/plan app: 1 recovery point\(s\) started, 1 not available yet/);
  });

  it('--json prints the points', async () => {
    const r = await run('--json', '--target', 'app-cache');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      plan: 'app',
      ok: true,
      points: [{ target: 'app-cache', snapshot: 'rdr-app-cache-20261123-1000', outcome: 'created' }],
    });
  });

  it('a refused CreateSnapshot is exit 1 naming the denial', async () => {
    aws.pipeline.faults.denied.set('CreateSnapshot', accessDenied('elasticache:CreateSnapshot'));
    const r = await run('--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('is not authorized to perform: elasticache:CreateSnapshot');
    expect(r.stdout).toContain('FAILED');
  });

  it('a plan that probes: the point is taken without the probe (not reached from here), not a failed probe; exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-snapshot-probe-'));
    try {
      const config = JSON.parse(readFileSync(CONFIG, 'utf8')) as { $schema?: string; plans: Record<string, unknown>[] };
      delete config.$schema;
      config.plans[0]!.probe = { enabled: true };
      writeFileSync(join(dir, 'probing.json'), JSON.stringify(config));
      const r = await runInProcess(['snapshot', '-c', join(dir, 'probing.json'), '--plan', 'app', '--wait'], { clock });
      expect(r.stdout).not.toContain('problem:');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('plan app: 1 recovery point(s) taken');
      const tags = (aws.ec.commandCalls(CreateSnapshotCommand)[0]!.args[0].input.Tags ?? []).map((t) => t.Key);
      expect(tags).not.toContain('redis-dr:keys');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a --target the plan does not name is a usage error (exit 2) naming the field and the fix', async () => {
    const r = await run('--target', 'other');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--target other: not a cache of plan app (targets.replicationGroupIds: app-cache; serverlessCacheNames: none)');
    expect(aws.ec.commandCalls(CreateSnapshotCommand)).toHaveLength(0);
  });

  it('an unknown plan or config: one line, exit 2', async () => {
    expect((await run('--plan', 'nope')).code).toBe(2);
    const r = await runInProcess(['snapshot', '-c', 'test/fixtures/config/no-such.json', '--plan', 'app'], { clock });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('without credentials: exit 2, nothing taken', async () => {
    aws.state.credentials = false;
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no AWS credentials found');
    expect(aws.ec.commandCalls(CreateSnapshotCommand)).toHaveLength(0);
  });
});
