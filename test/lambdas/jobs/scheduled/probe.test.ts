import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramCounts, histogramKeys } from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import { formatCanary } from '../../../../lambdas/domain/plans/probe.js';
import { runProbe } from '../../../../lambdas/jobs/scheduled/probe.js';
import { MemoryLog } from '../../../support/fakes.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { pipelineOf, startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';

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
    // No key has an expiry: the histogram is its base alone (recorded: nothing to subtract).
    expect(result).toEqual({ canary, keys: 4, expiries: expect.stringMatching(/^[0-9a-z]+$/) });
    const c = open.client();
    expect(await c.get('redis-dr:canary')).toBe(canary);
    expect(await c.pttl('redis-dr:canary')).toBe(-1);
  });

  it('authenticates with the token from Secrets Manager, and fails clearly without it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: 's3cret-token' }) });
    const input = { host: '127.0.0.1', port: locked.port, tls: false, clusterMode: 'disabled' as const, canary: 'c1' };
    await expect(runProbe({ ...input, authSecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:s' }, deps())).resolves.toMatchObject({
      canary: 'c1',
      keys: 1,
    });
    await expect(runProbe(input, deps())).rejects.toThrow(/NOAUTH|Authentication required/i);
  });
});

describe('probe: when the keys expire (real redis-server)', () => {
  let server: RedisServer;
  let times: number[];
  const deps = () => ({ secrets: new SecretsManagerClient({ region: 'eu-west-1' }), log: new MemoryLog(), connectTimeoutMs: 2000 });
  const input = () => ({ host: '127.0.0.1', port: server.port, tls: false, clusterMode: 'disabled' as const, canary: 'c-ttl' });

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    const [s] = await c.time();
    const now = Number(s) * 1000;
    times = [...Array<number>(40).fill(now + 600_000), ...Array<number>(25).fill(now + 86_400_000)];
    const p = c.pipeline();
    for (let i = 0; i < 200; i++) p.set(`p:${i}`, 'v');
    times.slice(0, 40).forEach((t, i) => {
      p.set(`session:${i}`, 'v', 'PXAT', t);
    });
    p.select(2);
    times.slice(40).forEach((t, i) => {
      p.set(`cache:${i}`, 'v', 'PXAT', t);
    });
    await p.exec();
    await c.call('ACL', 'SETUSER', 'no-ttl', 'on', '>pw-1', '~*', '&*', '+@all', '-pexpiretime');
  });
  afterAll(async () => server?.stop());

  it("records every key's expiry time as a histogram from the count's time: a drill subtracts only the keys expired by its check", async () => {
    const result = await runProbe(input(), deps());
    expect(result).toMatchObject({ keys: 266 });
    expect(histogramKeys(result.expiries!)).toBe(65);
    const counts = histogramCounts([result.expiries!])!;
    for (const at of [times[0]! - 120_000, times[0]! + 300_000, times[40]! + 1]) {
      const truth = times.filter((t) => t < at).length;
      expect(counts.expiredBy(at).sure).toBeLessThanOrEqual(truth);
      expect(counts.expiredBy(at).maybe).toBeGreaterThanOrEqual(truth);
    }
    expect(counts.expiredBy(times[40]! + 86_400_000)).toEqual({ sure: 65, maybe: 65 }); // past their bucket's end
  });

  it('records none, and says so, when the keyspace is larger than the scan may visit; the probe still succeeds', async () => {
    const log = new MemoryLog();
    const result = await runProbe(input(), { ...deps(), log, expiryScan: { maxKeys: 100, maxSeconds: 15 } });
    expect(result).toEqual({ canary: 'c-ttl', keys: 266 });
    expect(log.lines.find((l) => l.message.startsWith('expiry times not recorded'))?.level).toBe('warn');
  });

  it('records none when the server refuses PEXPIRETIME (a user without it); the probe still succeeds', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'no-ttl', password: 'pw-1' }) });
    try {
      const log = new MemoryLog();
      const result = await runProbe({ ...input(), authSecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:t' }, { ...deps(), log });
      expect(result).toEqual({ canary: 'c-ttl', keys: 266 });
      expect(log.lines.find((l) => l.message === 'expiry times not recorded: the server refused the scan')?.extra).toMatchObject({
        error: expect.stringMatching(/PEXPIRETIME/),
      });
    } finally {
      sm.restore();
    }
  });
});

describe('probe handler (real Redis Cluster: cluster mode enabled, and the protocol serverless endpoints speak)', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3 });
    const p = pipelineOf(cluster.client());
    for (let i = 0; i < 90; i++) {
      if (i % 3 === 0) p.set(`k:${i}`, 'v', 'PX', 3_600_000);
      else p.set(`k:${i}`, 'v');
    }
    await p.exec();
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it('writes the canary on the shard owning its slot and counts the keys of every shard', async () => {
    const deps = { secrets: new SecretsManagerClient({ region: 'eu-west-1' }), log: new MemoryLog(), connectTimeoutMs: 2000 };
    const result = await runProbe({ host: '127.0.0.1', port: cluster.primaries[0]!.port, tls: false, clusterMode: 'enabled', canary: 'c-cluster' }, deps);
    expect(result).toEqual({ canary: 'c-cluster', keys: 91, expiries: expect.any(String) });
    // The 30 keys with an expiry, spread over the shards, all in the histogram.
    expect(histogramKeys(result.expiries!)).toBe(30);
    expect(await cluster.client().get('redis-dr:canary')).toBe('c-cluster');
  });
});
