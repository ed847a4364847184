import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCanary } from '../../../lambdas/domain/probe';
import { runProbe } from '../../../lambdas/jobs/probe';
import { MemoryLog } from '../../support/fakes';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { pipelineOf, startRedisCluster, type RedisCluster } from '../../support/redis-cluster';

describe('probe handler (real redis-server)', () => {
  const sm = mockClient(SecretsManagerClient);
  let open: RedisServer;
  let locked: RedisServer;
  const deps = () => ({ secrets: new SecretsManagerClient({ region: 'eu-west-1' }), log: new MemoryLog(), connectTimeoutMs: 2000 });

  beforeAll(async () => {
    open = await startRedisServer();
    const c = open.client();
    await c.mset('a', '1', 'b', '2');
    await c.select(3);
    await c.set('c', '3');
    locked = await startRedisServer({ password: 's3cret-token' });
  });
  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
    sm.restore();
  });

  it('writes the canary without expiry and counts keys in every database, canary included', async () => {
    const canary = formatCanary('rdr-sessions-prod-20261122-0200', 'n1', new Date('2026-11-22T02:00:00Z'));
    expect(canary).toBe('rdr-sessions-prod-20261122-0200/n1/2026-11-22T02:00:00.000Z');
    const result = await runProbe({ host: '127.0.0.1', port: open.port, tls: false, clusterMode: 'disabled', canary }, deps());
    expect(result).toEqual({ canary, keys: 4 });
    const c = open.client();
    expect(await c.get('redis-dr:canary')).toBe(canary);
    expect(await c.pttl('redis-dr:canary')).toBe(-1);
  });

  it('authenticates with the token from Secrets Manager, and fails clearly without it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: 's3cret-token' }) });
    const input = { host: '127.0.0.1', port: locked.port, tls: false, clusterMode: 'disabled' as const, canary: 'c1' };
    await expect(runProbe({ ...input, authSecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:s' }, deps())).resolves.toEqual({ canary: 'c1', keys: 1 });
    await expect(runProbe(input, deps())).rejects.toThrow(/NOAUTH|Authentication required/i);
  });
});

describe('probe handler (real Redis Cluster: cluster mode enabled, and the protocol serverless endpoints speak)', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3 });
    const p = pipelineOf(cluster.client());
    for (let i = 0; i < 90; i++) p.set(`k:${i}`, 'v');
    await p.exec();
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it('writes the canary on the shard owning its slot and counts the keys of every shard', async () => {
    const deps = { secrets: new SecretsManagerClient({ region: 'eu-west-1' }), log: new MemoryLog(), connectTimeoutMs: 2000 };
    const result = await runProbe({ host: '127.0.0.1', port: cluster.primaries[0]!.port, tls: false, clusterMode: 'enabled', canary: 'c-cluster' }, deps);
    expect(result).toEqual({ canary: 'c-cluster', keys: 91 });
    expect(await cluster.client().get('redis-dr:canary')).toBe('c-cluster');
  });
});
