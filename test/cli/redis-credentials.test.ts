import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sideCredentials } from '../../cli/redis-credentials.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { inWorker, inWorkerWithEnv, runInProcess } from './support/in-process.js';

/** An AUTH token with every character a URL cannot carry as written. */
const TOKEN = 'tok#en%2?with/colon:and@at';
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-dr/source-AbCdEf';

describe('migrate and compare credentials outside the URL', () => {
  let src: RedisServer;
  let dst: RedisServer;
  let s: Redis;
  let d: Redis;
  const secrets = mockClient(SecretsManagerClient);
  beforeAll(async () => {
    [src, dst] = await Promise.all([startRedisServer({ password: TOKEN }), startRedisServer()]);
    s = src.client();
    d = dst.client();
  });
  afterAll(async () => Promise.all([src?.stop(), dst?.stop()]));
  beforeEach(async () => {
    await Promise.all([s.flushall(), d.flushall()]);
    await s.set('k', 'v', 'PX', 60_000);
  });
  afterEach(() => secrets.reset());
  const plain = () => `redis://127.0.0.1:${src.port}`;

  it('a token with # % ? / : @ written raw in the URL: exit 2 saying how to pass it, never printing it', async () => {
    const r = await inWorker('migrate', '--from', `redis://:${TOKEN}@127.0.0.1:${src.port}`, '--to', dst.url);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/must be percent-encoded in the URL \(# is %23.*or left out of the URL and given from Secrets Manager or the environment/);
    expect(r.stderr).not.toContain('tok#en');
    expect(r.stderr).not.toContain('colon');
    expect(await d.dbsize()).toBe(0);
  });

  it('the same token percent-encoded in the URL works', async () => {
    const r = await inWorker('migrate', '--from', `redis://:${encodeURIComponent(TOKEN)}@127.0.0.1:${src.port}`, '--to', dst.url, '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ copied: 1, from: `redis://:***@127.0.0.1:${src.port}` });
  });

  it('from the environment (REDIS_DR_FROM_PASSWORD, REDIS_DR_A_PASSWORD): works, and the output never holds it', async () => {
    const r = await inWorkerWithEnv({ REDIS_DR_FROM_PASSWORD: TOKEN }, 'migrate', '--from', plain(), '--to', dst.url, '--verify', '--json');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain(TOKEN);
    expect(JSON.parse(r.stdout)).toMatchObject({ copied: 1, verify: { equal: true } });
    const c = await inWorkerWithEnv({ REDIS_DR_A_PASSWORD: TOKEN }, 'compare', '--a', plain(), '--b', dst.url);
    expect(c.stdout).toMatch(/^EQUAL: 1 key of A matches B \(1 key in B\)/);
    expect(c.status).toBe(0);
  });

  it('a username in the environment without a password is exit 2', async () => {
    const r = await inWorkerWithEnv({ REDIS_DR_TO_USERNAME: 'copier' }, 'migrate', '--from', src.url, '--to', dst.url);
    expect(r.stderr).toMatch(/REDIS_DR_TO_USERNAME is set without REDIS_DR_TO_PASSWORD/);
    expect(r.status).toBe(2);
  });

  it("from Secrets Manager (--from-secret, read in the ARN's region; an RBAC secret gives user and password)", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: JSON.stringify({ password: TOKEN }) });
    const r = await runInProcess(['migrate', '--from', plain(), '--from-secret', ARN, '--to', dst.url, '--json']);
    expect(r.stderr).not.toMatch(/redis-dr/); // (the SDK may warn about the Node version)
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(TOKEN);
    expect(JSON.parse(r.stdout)).toMatchObject({ copied: 1 });
    expect(await secrets.call(0).thisValue.config.region()).toBe('eu-west-1');

    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: JSON.stringify({ username: 'reader', password: 'pw' }) });
    expect(await sideCredentials({ option: '--from-secret', secretArn: ARN, envPrefix: 'REDIS_DR_FROM' }, {})).toEqual({
      username: 'reader',
      password: 'pw',
      source: `--from-secret ${ARN}`,
    });
  });

  it('refuses two sources for one password, and an ARN that is not one (exit 2, nothing copied)', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: TOKEN });
    const both = await runInProcess(['migrate', '--from', `redis://:x@127.0.0.1:${src.port}`, '--from-secret', ARN, '--to', dst.url]);
    expect(both.stderr).toMatch(/has a password and --from-secret arn:aws:secretsmanager:.* gives one too: remove it from the URL/);
    expect(both.code).toBe(2);
    await expect(sideCredentials({ option: '--from-secret', secretArn: ARN, envPrefix: 'REDIS_DR_FROM' }, { REDIS_DR_FROM_PASSWORD: 'x' })).rejects.toThrow(
      /--from-secret and REDIS_DR_FROM_PASSWORD both give a password: use one/,
    );
    const bad = await runInProcess(['compare', '--a', plain(), '--a-secret', 'redis-dr/source', '--b', dst.url]);
    expect(bad.stderr).toMatch(/--a-secret redis-dr\/source is not a Secrets Manager secret ARN/);
    expect(bad.code).toBe(2);
    expect(await d.dbsize()).toBe(0);
  });

  it('a secret that cannot be read: exit 1 naming the option and the secret', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException' }));
    const r = await runInProcess(['migrate', '--from', plain(), '--from-secret', ARN, '--to', dst.url]);
    expect(r.stderr).toMatch(
      /^redis-dr migrate: --from-secret: could not read secret arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-dr\/source-AbCdEf: /,
    );
    expect(r.code).toBe(1);
  });
});
