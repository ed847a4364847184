import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncSigner, type Attestation, attestAsync, keyIdOf } from '../../../../lambdas/domain/attest/chain.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * Signed, chained records end to end: `scrub --signing-key` signs each run's
 * record into the destination's chain; `attest` checks the folder offline
 * with the public key alone: a changed digit, a deleted middle record, a
 * record of another destination, an unsigned one fail naming the record
 * (exit 1); a key that is not there is bad input (exit 2).
 */
describe('redis-dr attest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-'));
  const folder = join(dir, 'backups');
  const dest = `file://${folder}`;
  const keys = { private: join(dir, 'key.pem'), public: join(dir, 'pub.pem'), otherPublic: join(dir, 'other.pem') };
  const records = () =>
    readdirSync(folder)
      .filter((f) => f.startsWith('redis-dr-scrub-'))
      .sort();
  /** A copy of the destination's records, changed by `change`, in a folder of its own. */
  const copyWith = (name: string, change: (files: Map<string, string>) => void): string => {
    const out = join(dir, name);
    mkdirSync(out);
    const files = new Map(records().map((f) => [f, readFileSync(join(folder, f), 'utf8')]));
    change(files);
    for (const [f, text] of files) writeFileSync(join(out, f), text);
    return out;
  };

  beforeAll(async () => {
    mkdirSync(folder);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(keys.private, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(keys.public, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(keys.otherPublic, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    for (let i = 0; i < 3; i++) {
      const r = await runInProcess(['scrub', '--destination', dest, '--signing-key', keys.private]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies the destination’s chain and one record alone', async () => {
    expect(records()).toHaveLength(3);
    const whole = await runInProcess(['attest', folder, '--public-key', keys.public, '--deployment', dest]);
    expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    expect(whole.stdout).toBe(`VERIFIED ${folder}: 3 record(s), one chain from record 1 to 3 of ${dest}, every signature and digest good\n`);
    const one = await runInProcess(['attest', join(folder, records()[1]!), '--public-key', keys.public]);
    expect(one.stdout).toMatch(/^VERIFIED .*: signature and content digest good \(record 2 of file:\/\//);
  });

  it('a changed digit fails, naming the record', async () => {
    const changed = copyWith('changed', (files) => {
      const name = records()[1]!;
      files.set(name, files.get(name)!.replace('"copies": 0', '"copies": 1'));
    });
    const r = await runInProcess(['attest', changed, '--public-key', keys.public]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`NOT VERIFIED ${records()[1]}: its content is not what was signed (changed after signing)\n`);
  });

  it('a deleted middle record is a named gap; a deleted first one a truncated chain', async () => {
    const gap = copyWith('gap', (files) => files.delete(records()[1]!));
    const r = await runInProcess(['attest', gap, '--public-key', keys.public]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`NOT VERIFIED ${records()[2]}: a gap: record 2 is missing between ${records()[0]} and it\n`);
    const truncated = copyWith('truncated', (files) => files.delete(records()[0]!));
    expect((await runInProcess(['attest', truncated, '--public-key', keys.public])).stdout).toMatch(/the chain starts at record 2: records 1 to 1 are missing/);
  });

  it('another deployment, an unsigned record, another key: exit 1 naming it', async () => {
    const other = await runInProcess(['attest', folder, '--public-key', keys.public, '--deployment', 's3://elsewhere/redis']);
    expect(other.code).toBe(1);
    expect(other.stdout).toBe(`NOT VERIFIED ${records()[0]}: belongs to deployment ${dest}, not s3://elsewhere/redis\n`);
    const unsigned = copyWith('unsigned', (files) => files.set('redis-dr-scrub-99999999T000000000Z.json', '{"kind":"redis-dr-scrub"}'));
    expect((await runInProcess(['attest', unsigned, '--public-key', keys.public])).stdout).toBe(
      'NOT VERIFIED redis-dr-scrub-99999999T000000000Z.json: carries no attestation (unsigned, or not a redis-dr record)\n',
    );
    const otherKey = await runInProcess(['attest', folder, '--public-key', keys.otherPublic]);
    expect(otherKey.code).toBe(1);
    expect(otherKey.stdout).toMatch(/^NOT VERIFIED .*: signed with another key/);
  });

  it('bad input is one line, exit 2: a public key that is not there or not a public key, a signing key that is not there, an empty folder', async () => {
    const missing = await runInProcess(['attest', folder, '--public-key', join(dir, 'nope.pem')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--public-key .*nope\.pem: no such file/);
    const notKey = await runInProcess(['attest', folder, '--public-key', join(folder, records()[0]!)]);
    expect(notKey.code).toBe(2);
    expect(notKey.stderr).toMatch(/--public-key .*: give the Ed25519 public key in PEM/);
    const noSigner = await runInProcess(['scrub', '--destination', dest, '--signing-key', join(dir, 'nope.pem')]);
    expect(noSigner.code).toBe(2);
    expect(noSigner.stderr).toMatch(/--signing-key .*nope\.pem: no such file/);
    expect(records()).toHaveLength(3);
    mkdirSync(join(dir, 'empty'));
    expect((await runInProcess(['attest', join(dir, 'empty'), '--public-key', keys.public])).code).toBe(2);
  });

  it('checks records signed by a KMS ECC_NIST_P256 key with its public key PEM, offline; a changed digit fails', async () => {
    // As KMS signs (ECDSA_SHA_256 over the raw message, DER): a real P-256 key stands in for the KMS key.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signer: AsyncSigner = { keyId: keyIdOf(publicKey), sign: async (data) => sign('sha256', data, privateKey).toString('base64') };
    const out = join(dir, 'kms');
    mkdirSync(out);
    let head: Attestation | undefined;
    for (let i = 1; i <= 2; i++) {
      const record = await attestAsync({ kind: 'redis-dr-drill', target: 'orders', rtoSeconds: 600 + i }, { deployment: 'prod', head, at: new Date(), signer });
      head = record.attestation;
      writeFileSync(join(out, `redis-dr-drill-orders-${i}.json`), JSON.stringify(record, null, 2));
    }
    const pem = join(dir, 'kms.pem');
    writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
    const ok = await runInProcess(['attest', out, '--public-key', pem, '--deployment', 'prod']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    writeFileSync(join(out, 'redis-dr-drill-orders-2.json'), readFileSync(join(out, 'redis-dr-drill-orders-2.json'), 'utf8').replace('602', '603'));
    const bad = await runInProcess(['attest', out, '--public-key', pem, '--deployment', 'prod']);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain('redis-dr-drill-orders-2.json');
  });
});
