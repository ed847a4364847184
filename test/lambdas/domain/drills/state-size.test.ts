import { describe, expect, it } from 'vitest';
import type { DrillInput, RecoveryPointChoice } from '../../../../lambdas/domain/drills/drill.js';
import { RestorePreflightError } from '../../../../lambdas/domain/drills/restore-preflight.js';
import { expiryCountsOf } from '../../../../lambdas/domain/drills/checks.js';
import { choiceBytes, DESCRIBE_BYTES_PER_SHARD, fitChoice, maxChoiceBytes, shardStepsBytes } from '../../../../lambdas/domain/drills/state-size.js';

/** A DR drill's choice of an export of `shards` shards, as drChoice builds it, with a histogram of `histogram` characters per shard. */
function drChoice(shards: number, histogram: number, vault = false): RecoveryPointChoice {
  const name = 'rdr-a-fairly-long-replication-group-name-20261121-0200-r1';
  const key = (i: number) => `${name}-${String(i).padStart(4, '0')}.rdb`;
  const ids = Array.from({ length: shards }, (_, i) => i + 1);
  const per = Math.floor(16_384 / shards);
  return {
    kind: 'replication-group',
    target: 'a-fairly-long-replication-group-name',
    recoveryPoint: name,
    createdAt: '2026-11-21T02:00:30.000Z',
    ageSeconds: 100,
    clusterId: 'rdr-drill-a-fairly-long-2611211000',
    engine: 'redis',
    engineVersion: '7.1.0',
    nodeType: 'cache.r7g.large',
    shards,
    clusterMode: 'enabled',
    snapshotArns: ids.map((i) => `arn:aws:s3:::redis-dr-prod-dr-111122223333-eu-central-1/${key(i)}`),
    nodeGroupConfiguration: ids.map((i) => ({
      NodeGroupId: String(i).padStart(4, '0'),
      Slots: `${(i - 1) * per}-${i === shards ? 16_383 : i * per - 1}`,
      ReplicaCount: 0,
    })),
    expected: { keys: 1_000_000, expires: 500_000, expiries: ids.map((i) => `${i.toString(36)}/`.padEnd(histogram, '1')) },
    ...(vault
      ? {
          vault: {
            account: '444455556666',
            bucket: 'redis-dr-vault',
            keys: ids.map((i) => `111122223333/eu-west-1/${key(i)}`),
            replicas: ids.map((i) => ({
              key: `111122223333/eu-west-1/${key(i)}`,
              versionId: 'v'.repeat(32),
              etag: `"${'e'.repeat(32)}"`,
              size: 12_345_678_901,
            })),
          },
        }
      : {}),
  };
}

/** A DR drill's input; `expectKeys` names that many keys. */
function input(expectKeys = 0): DrillInput {
  return {
    deployment: 'prod',
    plan: 'sessions',
    where: 'dr',
    bucket: 'redis-dr-prod-dr',
    targets: { replicationGroupIds: ['a-fairly-long-replication-group-name'], serverlessCacheNames: [], selectByTags: {} },
    rtoMinutes: 30,
    checks: {
      keyCountTolerancePct: 1,
      expectKeys: Array.from({ length: expectKeys }, (_, i) => `session:user:${String(i).padStart(12, '0')}`),
      expectValues: {},
      sampleSize: 10,
    },
  };
}
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

/** The most a choice may take beside `inputOf` in the drill, as fitChoice counts it. */
const maxFor = (choice: RecoveryPointChoice, inputOf: DrillInput = input()) => maxChoiceBytes(bytes(inputOf), shardStepsBytes(choice));

describe('fitChoice: a drill choice within the Step Functions state', () => {
  it('keeps a choice that fits as it is, expiry histograms and all', () => {
    const choice = drChoice(90, 256);
    expect(choiceBytes(choice)).toBeLessThan(maxFor(choice));
    expect(fitChoice(choice, input())).toEqual({ choice, droppedExpiries: false, maxBytes: maxFor(choice) });
  });

  it('drops the shards’ expiry histograms of a 100-shard vault seed that would not fit with them, and keeps everything else', () => {
    const choice = drChoice(100, 256, true);
    const max = maxFor(choice);
    expect(choiceBytes(choice)).toBeGreaterThan(max);
    const fitted = fitChoice(choice, input());
    expect(fitted.droppedExpiries).toBe(true);
    expect(choiceBytes(fitted.choice)).toBeLessThanOrEqual(max);
    const { expiries, ...expected } = choice.expected;
    expect(expiries).toHaveLength(100);
    // Marked left out: the key check says why it cannot count the expired keys, not that none were recorded.
    expect(fitted.choice).toEqual({ ...choice, expected: { ...expected, expiriesLeftOut: true } });
    expect(expiryCountsOf(fitted.choice.expected).source).toBe(
      "expiry times left out of the drill's state (too many shards): any of the 500000 keys with an expiry may have expired",
    );
    expect(expiryCountsOf(expected).source).toBe('no expiry times recorded: any of the 500000 keys with an expiry may have expired');
  });

  it('counts what the steps add for each shard: the group the wait step describes, and from the vault the copy, its delete and the summary', () => {
    // 400 shards of a DR copy: beside the input alone the choice fits with its histograms (about 178 KB of 229),
    // but the described group (a node group and a member a shard) rides in the state too.
    const dr = drChoice(400, 256);
    expect(choiceBytes(dr)).toBeLessThan(maxChoiceBytes(bytes(input())));
    expect(shardStepsBytes(dr)).toBe(400 * DESCRIBE_BYTES_PER_SHARD);
    expect(fitChoice(dr, input()).droppedExpiries).toBe(true);
    // From the vault, each shard's seed copy (key, ARN, read-back line), its delete's key and summary line besides.
    const vault = drChoice(100, 256, true);
    expect(choiceBytes(vault)).toBeLessThan(maxChoiceBytes(bytes(input())));
    expect(shardStepsBytes(vault)).toBeGreaterThan(100 * (DESCRIBE_BYTES_PER_SHARD + 3 * 'redis-dr-drill-seeds/'.length));
    expect(shardStepsBytes(vault, 'redis-dr-prod-dr')).toBeLessThan(shardStepsBytes(vault));
    // A serverless cache's description does not grow with shards; no vault, no copy.
    expect(shardStepsBytes({ ...drChoice(2, 256), kind: 'serverless-cache' })).toBe(0);
  });

  it('counts the input: a choice that fits beside a small input loses its histograms beside one naming 1,500 keys', () => {
    const choice = drChoice(200, 256);
    const big = input(1500);
    // Between the two budgets: each key the input names counts twice (the input, and a check's text that may quote it).
    expect(maxFor(choice, big)).toBe(maxFor(choice) - 2 * (bytes(big) - bytes(input())));
    expect(choiceBytes(choice)).toBeLessThan(maxFor(choice));
    expect(choiceBytes(choice)).toBeGreaterThan(maxFor(choice, big));
    expect(fitChoice(choice, input()).droppedExpiries).toBe(false);
    expect(fitChoice(choice, big).droppedExpiries).toBe(true);
  });

  it('refuses, before anything is created, a copy too large for the state even without them (500 shards from the vault), naming the size', () => {
    const choice = drChoice(500, 256, true);
    let err: unknown;
    try {
      fitChoice(choice, input(1000));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RestorePreflightError);
    expect((err as RestorePreflightError).refusals.map((r) => r.rule)).toEqual(['drill-state-size']);
    expect((err as Error).message).toMatch(
      /^restore preflight refused rdr-a-fairly-long-replication-group-name-20261121-0200-r1 \(nothing was created\): \[drill-state-size\] its 500 shard\(s\) make a drill state of about \d+ bytes, over Step Functions' 262144: the choice \d+ without their expiry histograms, what the steps add for the shards \d+, the input twice \d+ and the other steps 32768.*fix: .*`redis-dr restore -c config\/<env>\.json --target a-fairly-long-replication-group-name --new-id <id> --from s3:\/\/redis-dr-vault\/rdr-a-fairly-long-replication-group-name-20261121-0200-r1`/,
    );
  });

  it("names a DR copy's restore with the region it restores in (restore refuses an s3:// copy without --region)", () => {
    const refusal = (region?: string) => {
      try {
        fitChoice(drChoice(500, 256), input(), region);
      } catch (e) {
        return (e as RestorePreflightError).refusals[0]!.fix;
      }
      return undefined;
    };
    expect(refusal('eu-central-1')).toContain(
      '`redis-dr restore -c config/<env>.json --target a-fairly-long-replication-group-name --new-id <id> --region eu-central-1 ' +
        '--from s3://redis-dr-prod-dr-111122223333-eu-central-1/rdr-a-fairly-long-replication-group-name-20261121-0200-r1`',
    );
    expect(refusal()).toContain('--region <DR region> --from s3://');
  });
});
