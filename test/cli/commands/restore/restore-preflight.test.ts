import { CreateReplicationGroupCommand, CreateServerlessCacheCommand } from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../support/fakes.js';
import { DR_BUCKET, putDrCopy } from '../../support/dr-copies.js';
import { fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * The restore preflight (lambdas/domain/drills/restore-preflight.ts) at the CLI: a
 * recovery point the new cluster's shape cannot take is refused with exit 1,
 * the rule, the reason and the fix, and nothing is created.
 */
const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const aws = fakeAws();
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['restore', '-c', CONFIG, ...args], { clock });

beforeEach(() => {
  aws.install();
  aws.state.snapshots.clear();
  aws.state.groups.clear();
  aws.state.objects.clear();
  aws.state.createdStatuses = ['creating', 'available'];
  clock = new FakeClock(NOW);
});

/** Sets one shard's verifier summary tag, as verify-rdb leaves it. */
function summary(exportName: string, shard: number, value: string): void {
  aws.state.objects.get(DR_BUCKET)!.get(`${exportName}-${String(shard).padStart(4, '0')}.rdb`)!['redis-dr:rdb'] = value;
}

describe('restore preflight', () => {
  it('refuses a sharded DR copy whose files hold keys outside db 0 (exit 1, rule and fix named), creating nothing, --dry-run too', async () => {
    putDrCopy(aws, 'rdr-sessions-prod-20261121-0600', { shards: 2 });
    summary('rdr-sessions-prod-20261121-0600', 2, 'v=11 keys=10 expires=0 dbs=0+3 string=10');

    const r = await run('--target', 'sessions-prod', '--region', 'eu-central-1', '--new-id', 'sessions-dr', '--wait');

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAILED restore preflight refused rdr-sessions-prod-20261121-0600 \(nothing was created\): \[cluster-mode-databases\] .*database\(s\) 0, 3.*fix: restore into one shard with cluster mode disabled/,
    );
    expect(r.stderr).not.toMatch(/creating|at .*\.ts/);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);

    const dry = await run('--target', 'sessions-prod', '--region', 'eu-central-1', '--new-id', 'sessions-dr', '--dry-run', '--json');
    expect(dry.code).toBe(1);
    expect(JSON.parse(dry.stdout)).toMatchObject({ status: 'refused', ok: false, refusals: [{ rule: 'cluster-mode-databases' }] });
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('refuses a copy whose file is newer than the engine version reads', async () => {
    putDrCopy(aws, 'rdr-sessions-prod-20261121-0600', { engine: 'redis 7.0.7' });
    summary('rdr-sessions-prod-20261121-0600', 1, 'v=12 keys=10 expires=0 string=10');

    const old = await run('--target', 'sessions-prod', '--region', 'eu-central-1', '--new-id', 'x1', '--node-type', 'cache.t4g.micro', '--json');

    expect(old.code).toBe(1);
    const out = JSON.parse(old.stdout) as { refusals: { rule: string; reason: string; fix: string }[] };
    // The fake lists objects of 1 KiB: they fit; only the engine is refused.
    expect(out.refusals.map((x) => x.rule)).toEqual(['engine-reads-rdb']);
    expect(out.refusals[0]!.reason).toMatch(/redis 7\.0\.7 cannot load .*RDB version 12/);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('refuses an r6gd snapshot onto a node type without data tiering; onto r6gd it restores with DataTieringEnabled', async () => {
    aws.state.snapshots.set('rdr-sessions-prod-20261121-0900', {
      name: 'rdr-sessions-prod-20261121-0900',
      target: 'sessions-prod',
      status: 'available',
      createdAt: new Date('2026-11-21T09:00:30Z'),
      tags: {},
      nodeType: 'cache.r6gd.xlarge',
    });

    const refused = await run('--target', 'sessions-prod', '--new-id', 'x1', '--node-type', 'cache.r6g.xlarge');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /\[data-tiering\] rdr-sessions-prod-20261121-0900 was taken on cache\.r6gd\.xlarge.*fix: restore onto an r6gd node type.*--node-type/,
    );
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);

    const ok = await run('--target', 'sessions-prod', '--new-id', 'x1', '--json');
    expect(ok.code).toBe(0);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input).toMatchObject({
      CacheNodeType: 'cache.r6gd.xlarge',
      DataTieringEnabled: true,
    });
  });

  it('a serverless target refuses a DR copy with keys outside db 0 (a serverless cache has only db 0)', async () => {
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0600');
    summary('rdr-sessions-edge-20261121-0600', 1, 'v=11 keys=10 expires=0 dbs=2 string=10');

    const r = await run('--target', 'sessions-edge', '--region', 'eu-central-1', '--new-id', 'sls-dr');

    expect(r.stdout + r.stderr).toMatch(/\[cluster-mode-databases\].*serverless cache/);
    expect(r.code).toBe(1);
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)).toHaveLength(0);
  });
});
