import { CreateReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetObjectTaggingCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RestoreResult } from '../../../../lambdas/jobs/drills/restore-point.js';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws } from '../../support/fake-aws.js';
import { DR_BUCKET, PRIMARY_BUCKET, putDrCopy } from '../../support/dr-copies.js';
import { runInProcess } from '../../support/in-process.js';

/** `restore`: whether the chosen recovery point has an `.rdb` copy, where, and the key-level fast path. */

const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const POINT = 'rdr-sessions-prod-20261121-0900';
const PROD = 'redis://master.sessions-prod.abc.euw1.cache.amazonaws.com:6379';
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sessions-auth';
const aws = fakeAws();
const secrets = mockClient(SecretsManagerClient);
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['restore', '-c', CONFIG, '--target', 'sessions-prod', '--new-id', 'sessions-restored', ...args], { clock });

async function restoreJson(...args: string[]): Promise<RestoreResult> {
  const r = await run(...args, '--json');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RestoreResult;
}

const listed = () => aws.s3.commandCalls(ListObjectsV2Command).map((c) => [c.args[0].input.Bucket, c.args[0].input.Prefix]);

beforeEach(() => {
  aws.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: JSON.stringify({ password: 'tok-77c1-not-in-output' }) });
  aws.state.snapshots.set(POINT, { name: POINT, target: 'sessions-prod', status: 'available', createdAt: new Date('2026-11-21T09:00:30Z'), tags: {} });
  // The source, so its endpoint is known: the fast path restores into it.
  aws.state.groups.set('sessions-prod', { statuses: ['available'], replicas: 1, clusterEnabled: false });
  clock = new FakeClock(NOW);
});

describe('restore (primary region): the chosen snapshot’s .rdb copies', () => {
  it('a complete, verified copy: both buckets in JSON and text, and the fast path into the source, without secrets', async () => {
    putDrCopy(aws, POINT, { shards: 3, bucket: PRIMARY_BUCKET, verified: null });
    putDrCopy(aws, POINT, { shards: 3 });

    const r = await restoreJson('--dry-run', '--auth-token-secret', TOKEN_ARN);

    expect(r.rdbCopies).toEqual({
      copies: [
        expect.objectContaining({
          where: 'primary',
          location: `s3://${PRIMARY_BUCKET}/${POINT}`,
          shardsFound: 3,
          shards: 3,
          complete: true,
          verification: 'not-verified',
          problem: null,
        }),
        expect.objectContaining({
          where: 'dr',
          location: `s3://${DR_BUCKET}/${POINT}`,
          shardsFound: 3,
          shards: 3,
          complete: true,
          verification: 'ok',
          problem: null,
        }),
      ],
      problems: [],
      fastPath: {
        recoveryPoint: POINT,
        where: 'dr',
        location: `s3://${DR_BUCKET}/${POINT}`,
        command: `redis-dr migrate --from-rdb s3://${DR_BUCKET}/${POINT} --to ${PROD}`,
      },
      note: null,
    });
    // Only the snapshot's own keys were listed, once per bucket.
    expect(listed()).toEqual([
      [PRIMARY_BUCKET, POINT],
      [DR_BUCKET, POINT],
    ]);

    const text = await run('--dry-run', '--auth-token-secret', TOKEN_ARN);
    expect(text.stdout).toContain(`.rdb copy: primary s3://${PRIMARY_BUCKET}/${POINT} (3/3 shards, not verified)\n`);
    expect(text.stdout).toContain(`.rdb copy: DR s3://${DR_BUCKET}/${POINT} (3/3 shards, verified ok)\n`);
    expect(text.stdout).toContain(
      `key-level recovery without a new cluster (--dry-run first): redis-dr migrate --from-rdb s3://${DR_BUCKET}/${POINT} --to ${PROD}\n`,
    );
    expect(text.stdout + text.stderr).not.toContain('tok-77c1');
  });

  it('no copy: says so and points at the temporary-cluster path (the restore goes on)', async () => {
    const r = await restoreJson();
    expect(r.rdbCopies).toEqual({ copies: [], problems: [], fastPath: null, note: 'no .rdb copy: use the temporary-cluster path (docs/runbooks/flushall.md)' });
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(1);
    const text = await run('--new-id', 'other-id');
    expect(text.stdout).toContain('no .rdb copy: use the temporary-cluster path (docs/runbooks/flushall.md)\n');
    expect(text.stdout).not.toContain('migrate');
  });

  it('the DR copy missing while the primary bucket has it: the primary copy is the fast path', async () => {
    putDrCopy(aws, POINT, { shards: 2, bucket: PRIMARY_BUCKET, verified: null });
    const r = await restoreJson('--dry-run');
    expect(r.rdbCopies.copies.map((c) => c.where)).toEqual(['primary']);
    expect(r.rdbCopies.fastPath?.command).toBe(`redis-dr migrate --from-rdb s3://${PRIMARY_BUCKET}/${POINT} --to ${PROD}`);
  });

  it('shard 2 of 3 missing in the primary bucket: named; the DR copy, complete, is the fast path', async () => {
    putDrCopy(aws, POINT, { shards: 3, bucket: PRIMARY_BUCKET, verified: null, absent: [2] });
    putDrCopy(aws, POINT, { shards: 3 });
    const r = await restoreJson('--dry-run');
    expect(r.rdbCopies.copies[0]).toMatchObject({ where: 'primary', shardsFound: 2, shards: 3, missingShards: [2], complete: false });
    expect(r.rdbCopies.fastPath?.where).toBe('dr');
    const text = await run('--dry-run');
    expect(text.stdout).toContain(`.rdb copy: primary s3://${PRIMARY_BUCKET}/${POINT} (2/3 shards (0002 missing), not verified)\n`);
  });

  it('a copy verified corrupt: no fast path from it, said with the way instead', async () => {
    putDrCopy(aws, POINT, { bucket: PRIMARY_BUCKET, verified: null });
    putDrCopy(aws, POINT, { verified: 'corrupt' });
    const r = await restoreJson('--dry-run');
    expect(r.rdbCopies.copies.map((c) => [c.where, c.verification])).toEqual([
      ['primary', 'not-verified'],
      ['dr', 'corrupt'],
    ]);
    expect(r.rdbCopies.fastPath).toBeNull();
    expect(r.rdbCopies.note).toBe('no usable .rdb copy: use the temporary-cluster path (docs/runbooks/flushall.md)');
    expect((await run('--dry-run')).stdout).toContain(
      `.rdb copy: DR s3://${DR_BUCKET}/${POINT} (1/1 shards, VERIFIED CORRUPT: ${POINT}-0001.rdb verified corrupt)`,
    );
  });

  it('a bucket that cannot be read is named and does not stop the restore', async () => {
    putDrCopy(aws, POINT);
    aws.s3.on(ListObjectsV2Command, { Bucket: PRIMARY_BUCKET }).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const r = await restoreJson('--dry-run');
    expect(r.rdbCopies.problems).toEqual([`primary bucket s3://${PRIMARY_BUCKET}: AccessDenied: Access Denied`]);
    expect(r.rdbCopies.fastPath?.where).toBe('dr');

    // Neither readable: unknown, not "none".
    aws.s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const blind = await restoreJson('--dry-run');
    expect(blind.rdbCopies).toMatchObject({
      copies: [],
      fastPath: null,
      note: '.rdb copies unknown (a bucket was not read): use the temporary-cluster path (docs/runbooks/flushall.md)',
    });
    expect(blind.rdbCopies.problems).toHaveLength(2);
  });
});

describe('restore (DR region): the copy chosen is the .rdb copy', () => {
  it('names it and its fast path, read from what was chosen: no further AWS call, nothing of the primary region', async () => {
    putDrCopy(aws, 'rdr-sessions-prod-20261121-0600', { shards: 2 });

    const r = await restoreJson('--region', 'eu-central-1', '--dry-run');

    expect(r.rdbCopies).toMatchObject({
      copies: [
        { where: 'dr', region: 'eu-central-1', location: `s3://${DR_BUCKET}/rdr-sessions-prod-20261121-0600`, shards: 2, complete: true, verification: 'ok' },
      ],
      fastPath: { command: `redis-dr migrate --from-rdb s3://${DR_BUCKET}/rdr-sessions-prod-20261121-0600 --to <url>` },
      note: null,
    });
    expect(listed()).toEqual([[DR_BUCKET, 'rdr-sessions-prod-']]);
    expect(aws.s3.commandCalls(GetObjectTaggingCommand)).toHaveLength(2);
  });
});
