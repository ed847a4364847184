import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runDrillVerify, type DrillVerifyDeps } from '../../../../lambdas/jobs/drills/drill-verify.js';
import { drillVerifyInputSchema, type DrillVerifyInput } from '../../../../lambdas/domain/drills/drill.js';
import { awsError, MemoryLog } from '../../../support/fakes.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { bucketSpan, expiryBucket } from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import { formatRdbSummary, parseRdbSummary } from '../../../../lambdas/domain/points/rdb-summary.js';
import { verifyRdbStream } from '../../../../lambdas/domain/rdb/verifier.js';
import { makeCertificates } from '../../../support/certificates.js';

const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:redis-dr/sessions-AbCdEf';

/** The restored data: several types, expiries, two databases, a canary. */
const BY_TYPE = { string: 63, hash: 10, list: 5, set: 4, zset: 3, stream: 1 };
const KEYS = Object.values(BY_TYPE).reduce((a, n) => a + n, 0);

async function seed(server: RedisServer): Promise<void> {
  const c = server.client();
  const p = c.pipeline();
  p.set('redis-dr:canary', 'canary-20261121-0200');
  for (let i = 0; i < 40; i++) p.set(`s:${i}`, `v${i}`);
  for (let i = 0; i < 10; i++) p.set(`ttl:${i}`, 'x', 'EX', 3600);
  for (let i = 0; i < 10; i++) p.hset(`h:${i}`, 'f', 'v');
  for (let i = 0; i < 5; i++) p.rpush(`l:${i}`, 'a');
  for (let i = 0; i < 4; i++) p.sadd(`set:${i}`, 'a');
  for (let i = 0; i < 3; i++) p.zadd(`z:${i}`, 1, 'a');
  p.xadd('events', '*', 'f', 'v');
  p.set('config:mode', 'active');
  p.select(2);
  for (let i = 0; i < 11; i++) p.set(`db2:${i}`, 'x');
  await p.exec();
}

function testDeps(now: () => number): DrillVerifyDeps & { log: MemoryLog } {
  return {
    secrets: new SecretsManagerClient({ region: 'eu-central-1' }),
    log: new MemoryLog(),
    clock: { now },
    scanCount: 1000,
    maxScanSeconds: 600,
    connectTimeoutMs: 2000,
  };
}

function input(server: RedisServer, over: Partial<DrillVerifyInput> = {}): DrillVerifyInput {
  return drillVerifyInputSchema.parse({
    host: server.host,
    port: server.port,
    tls: false,
    clusterMode: 'disabled',
    // As the RDB verifier recorded it: 12 keys had an expiry (10 still there, 2 expired before the restore).
    expected: { keys: KEYS + 2, expires: 12, byType: { ...BY_TYPE, string: BY_TYPE.string + 2 }, canary: 'canary-20261121-0200' },
    checks: { keyCountTolerancePct: 0, expectKeys: ['s:1', 'events'], expectValues: { 'config:mode': 'active' }, sampleSize: 20 },
    ...over,
  });
}

describe('drill verify', () => {
  const secretsMock = mockClient(SecretsManagerClient);
  let server: RedisServer;
  let deps: DrillVerifyDeps & { log: MemoryLog };

  beforeAll(async () => {
    server = await startRedisServer();
    await seed(server);
  });
  afterAll(async () => server?.stop());
  beforeEach(() => {
    secretsMock.reset();
    let ms = 1_000_000;
    deps = testDeps(() => (ms += 250));
  });

  it('passes every check on the restored data', async () => {
    const report = await runDrillVerify(input(server), deps);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report).toMatchObject({ ok: true, keys: KEYS, byType: BY_TYPE });
    expect(report.checks.map((c) => [c.name, c.skipped ?? false])).toEqual([
      ['canary', false],
      ['key-count', false],
      ['type-histogram', false],
      ['expect-keys', false],
      ['expect-values', false],
      ['sample', false],
    ]);
    expect(report.seconds).toBeGreaterThan(0);
    expect(deps.log.lines.map((l) => l.message)).toEqual(['verifying restored cluster', 'restored data verified']);
  });

  it('skips what was not recorded (a primary drill without probe data)', async () => {
    const report = await runDrillVerify(input(server, { expected: {} }), deps);
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.skipped).map((c) => c.name)).toEqual(['canary', 'key-count', 'type-histogram']);
  });

  it.each([
    ['the canary is missing', { canary: undefined, other: 'redis-dr:canary missing' }],
    ['the canary differs (another snapshot)', { canary: 'canary-20261121-0100', other: '"canary-20261121-0200"' }],
  ])('fails the canary check when %s', async (_, { canary, other }) => {
    const expected = { ...input(server).expected, canary: canary ?? 'x' };
    if (canary === undefined) await server.client().rename('redis-dr:canary', 'moved');
    try {
      const report = await runDrillVerify(input(server, { expected }), deps);
      expect(report.ok).toBe(false);
      expect(report.checks.find((c) => c.name === 'canary')).toMatchObject({ ok: false, found: other });
    } finally {
      if (canary === undefined) await server.client().rename('moved', 'redis-dr:canary');
    }
  });

  it('fails the key count beyond the tolerance and passes within it', async () => {
    const expected = { keys: 100 }; // restored: 87
    const far = await runDrillVerify(input(server, { expected, checks: { ...input(server).checks, keyCountTolerancePct: 10 } }), deps);
    expect(far.checks.find((c) => c.name === 'key-count')).toMatchObject({
      ok: false,
      expected: expect.stringMatching(
        /^100 recorded, 0 expired by the check at \S+ \(no expiry times recorded: a key expired since the count counts as missing\): 90..110 \(tolerance 10 % = 10\)$/,
      ),
      found: `${KEYS} keys`,
    });
    const near = await runDrillVerify(input(server, { expected, checks: { ...input(server).checks, keyCountTolerancePct: 15 } }), deps);
    expect(near.checks.find((c) => c.name === 'key-count')?.ok).toBe(true);
  });

  it('fails the histogram when a type is short by more than the expiring keys', async () => {
    const expected = { ...input(server).expected, byType: { ...BY_TYPE, string: 65, hash: 21 } }; // 13 short, only 12 keys had an expiry
    const report = await runDrillVerify(input(server, { expected }), deps);
    const check = report.checks.find((c) => c.name === 'type-histogram');
    expect(check).toMatchObject({ ok: false });
    expect(check?.found).toMatch(/: 13 fewer than recorded$/);
    expect(report.ok).toBe(false);
  });

  it('names missing expected keys and differing or non-string values', async () => {
    const checks = { keyCountTolerancePct: 0, expectKeys: ['s:1', 'gone'], expectValues: { 'config:mode': 'standby', 'h:1': 'x' }, sampleSize: 0 };
    const report = await runDrillVerify(input(server, { checks }), deps);
    expect(report.checks.find((c) => c.name === 'expect-keys')).toMatchObject({ ok: false, found: 'missing: gone' });
    expect(report.checks.find((c) => c.name === 'expect-values')).toMatchObject({
      ok: false,
      found: 'config:mode: "active", h:1: is a hash, not a string',
    });
    expect(report.checks.find((c) => c.name === 'sample')).toMatchObject({ ok: true, skipped: true });
    expect(deps.log.lines.at(-1)).toMatchObject({ level: 'warn', message: 'restored data failed verification' });
  });

  it('throws a clear error when the cluster cannot be reached (the state machine still cleans up)', async () => {
    await expect(runDrillVerify({ ...input(server), port: 1 }, deps)).rejects.toThrow(/could not connect to redis at 127\.0\.0\.1:1 \(plain TCP\)/);
  });
});

describe('drill verify with AUTH and RBAC', () => {
  const secretsMock = mockClient(SecretsManagerClient);
  let server: RedisServer;
  let deps: DrillVerifyDeps & { log: MemoryLog };
  const authInput = (): DrillVerifyInput => ({ ...input(server), authSecretArn: ARN });

  beforeAll(async () => {
    server = await startRedisServer({ password: 'token-7f3a' });
    await seed(server);
    await server
      .client()
      .call(
        'ACL',
        'SETUSER',
        'drill',
        'on',
        '>rbac-9c1d',
        '~*',
        '&*',
        'nocommands',
        '+@read',
        '+@connection',
        '+info',
        '+select',
        '+scan',
        '+type',
        '+pttl',
        '+randomkey',
      );
  });
  afterAll(async () => server?.stop());
  beforeEach(() => {
    secretsMock.reset();
    deps = testDeps(() => Date.now());
  });

  it.each([
    ['a JSON token', '{"password":"token-7f3a"}'],
    ['a plain-string token', 'token-7f3a'],
    ['an RBAC user', '{"username":"drill","password":"rbac-9c1d"}'],
  ])('verifies with %s from Secrets Manager', async (_, SecretString) => {
    secretsMock.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString });
    const report = await runDrillVerify(authInput(), deps);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(JSON.stringify(deps.log.lines)).not.toMatch(/token-7f3a|rbac-9c1d/);
  });

  it('refuses a wrong token without showing it', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"password":"wrong-token"}' });
    const err = (await runDrillVerify(authInput(), deps).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ name: 'RedisConnectionError' });
    expect(err.message).toMatch(/WRONGPASS/);
    expect(err.message).not.toContain('wrong-token');
  });

  it('names NOAUTH when no secret is given for a server that needs one', async () => {
    await expect(runDrillVerify(input(server), deps)).rejects.toThrow(/NOAUTH/);
  });

  it('names the secret when it cannot be read', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."));
    await expect(runDrillVerify(authInput(), deps)).rejects.toThrow(`could not read secret ${ARN}: ResourceNotFoundException`);
  });

  it.each([
    ['{"username":"drill"}', /JSON object without a non-empty string "password"/],
    ['{"password":"p","username":7}', /"username" that is not a non-empty string/],
    ['', /is empty/],
  ])('rejects a malformed secret %s, without its value', async (SecretString, message) => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString });
    const err = (await runDrillVerify(authInput(), deps).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ name: 'SecretFormatError' });
    expect(err.message).toMatch(message);
  });
});

describe('drill verify over TLS (as drill clusters require)', () => {
  const secretsMock = mockClient(SecretsManagerClient);
  const TOKEN = `tok${'e'.repeat(58)}n42`;
  let dir: string;
  let server: RedisServer;
  let tlsPort: number;
  let ca: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drill-verify-tls-'));
    const files = makeCertificates(dir);
    ca = readFileSync(files.ca);
    // The plain port serves the seeding only; the drill connects to the TLS port, with the token.
    server = await startRedisServer({
      password: TOKEN,
      tlsArgs: ['--tls-cert-file', files.cert, '--tls-key-file', files.key, '--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'no'],
    });
    tlsPort = server.tlsPort!;
    await seed(server);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    secretsMock.reset();
    // The drill token secret holds the bare token, as the state machine stores it.
    secretsMock.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: TOKEN });
  });

  const tlsInput = (over: Partial<DrillVerifyInput> = {}) => input(server, { port: tlsPort, tls: true, authSecretArn: ARN, ...over });

  it('reads the token from the secret and verifies the data over TLS', async () => {
    const report = await runDrillVerify(tlsInput(), { ...testDeps(() => Date.now()), tlsOptions: { ca } });
    expect(report.ok).toBe(true);
    expect(report.keys).toBe(KEYS);
    expect(secretsMock).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
  });

  it('does not trust a certificate its CA bundle does not vouch for', async () => {
    await expect(
      runDrillVerify(
        tlsInput(),
        testDeps(() => Date.now()),
      ),
    ).rejects.toThrow(/certificate/i);
  });

  it('does not get an answer in plain text from the TLS port', async () => {
    await expect(runDrillVerify(tlsInput({ tls: false }), { ...testDeps(() => Date.now()), connectTimeoutMs: 1500 })).rejects.toThrow();
  });
});

describe('drill verify of a DR copy with keys expiring during the drill', () => {
  // A real file: 1000 keys without expiry, 100 expiring 1.5 s after the save (the server's clock), 50 in an hour and
  // the canary; verified by the RDB verifier, its summary as the verify-rdb job tags the copy, restored into a server.
  let source: RedisServer;
  let restored: RedisServer;
  let expected: DrillVerifyInput['expected'];
  const serverNow = async (server: RedisServer) => {
    const [s, us] = await server.client().time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };

  beforeAll(async () => {
    source = await startRedisServer({ args: ['--enable-debug-command', 'local'] });
    const c = source.client();
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'); // however long the save takes, the file holds all 1151 keys
    const expiringAt = (await serverNow(source)) + 1500;
    const p = c.pipeline();
    p.set('redis-dr:canary', 'canary-20261123-0900');
    for (let i = 0; i < 1000; i++) p.set(`p:${i}`, `v${i}`);
    for (let i = 0; i < 100; i++) p.set(`soon:${i}`, 'v', 'PXAT', expiringAt);
    for (let i = 0; i < 50; i++) p.hset(`later:${i}`, 'f', 'v');
    for (let i = 0; i < 50; i++) p.pexpire(`later:${i}`, 3_600_000);
    await p.exec();
    const file = await bgsave(source, c);
    const report = await verifyRdbStream(
      (async function* () {
        yield readFileSync(file);
      })(),
    );
    const summary = parseRdbSummary(formatRdbSummary(report))!;
    expected = {
      keys: summary.keys,
      expires: summary.expires,
      ...(summary.expiryHistogram ? { expiries: [summary.expiryHistogram] } : {}),
      byType: summary.byType,
      canary: 'canary-20261123-0900',
    };
    restored = await startRedisServer({ loadRdb: file });
    // Check only once the histogram bucket holding the 100 keys (grid based at the file's ctime) lies wholly in the past.
    const ctime = Number(report.auxFields.ctime) * 1000;
    const bucketEnd = bucketSpan(ctime, expiryBucket(expiringAt - ctime)).to;
    while ((await serverNow(restored)) <= bucketEnd) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await source?.stop();
    await restored?.stop();
  });

  const verify = () =>
    runDrillVerify(
      input(restored, { expected, checks: { keyCountTolerancePct: 0, expectKeys: [], expectValues: {}, sampleSize: 10 } }),
      testDeps(() => Date.now()),
    );

  it('expects exactly the recorded keys minus the 100 that expired, and finds them', async () => {
    expect(expected).toMatchObject({ keys: 1151, expires: 150, expiries: [expect.any(String)] });
    const report = await verify();
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.find((c) => c.name === 'key-count')).toMatchObject({
      expected: expect.stringMatching(/^1151 recorded, 100 expired by the check at \S+Z \(expiry histogram\): exactly 1051 \(tolerance 0 % = 0\)$/),
      found: '1051 keys',
    });
  });

  it('fails at tolerance 0 when 1 % of the keys without expiry are missing from the restored server', async () => {
    await restored.client().del(...Array.from({ length: 10 }, (_, i) => `p:${i * 100}`));
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['key-count', 'type-histogram']);
    expect(report.checks.find((c) => c.name === 'key-count')).toMatchObject({
      expected: expect.stringContaining(': exactly 1051 ('),
      found: '1041 keys; 991 without a TTL, recorded 1001: keys that never had a TTL are missing (at most 0 fewer allowed)',
    });
  });
});
