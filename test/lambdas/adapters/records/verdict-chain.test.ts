/**
 * The DR bucket's chain of signed verdicts (issue 58 item 2) over a real S3
 * API (moto: If-None-Match, listings from StartAfter) with the evidence key
 * mocked at the KMS boundary by a real P-256 key: verdicts appended at once
 * never fork the chain, `redis-dr attest` verifies the chain copied down,
 * and names a changed digit and a deleted middle record.
 */
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { appendToVerdictChain, chainDeployment, verdictChainHead } from '../../../../lambdas/adapters/records/verdict-chain.js';
import { attestationDigest, type AsyncSigner } from '../../../../lambdas/domain/attest/chain.js';
import {
  chainRecordKey,
  VERDICT_CHAIN_PREFIX,
  type VerdictObject,
  type VerdictPlace,
  verdictChainHeadKey,
} from '../../../../lambdas/domain/points/verdict-objects.js';
import { checkAttestation } from '../../../../lambdas/jobs/attest/check.js';
import { kmsEvidenceKey } from '../../../support/kms-evidence.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';
import { proxiedS3Client, viaS3Proxy } from '../../../support/s3-proxy.js';

let moto: MotoS3;
let n = 0;
const key = kmsEvidenceKey();
let signer: AsyncSigner;
const folders: string[] = [];

beforeAll(async () => {
  moto = await startMotoS3();
  signer = await kmsSigner(key.kms, key.keyArn);
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

const verdictOf = (copy: string, keys: number): VerdictObject => ({
  verdict: 'ok',
  replica: { key: copy, versionId: `v-${copy}`, etag: `"${copy}"`, size: 4096 },
  keys: { version: 11, keys, expires: 0, byType: { string: keys } },
  checkedAt: '2026-11-25T10:00:00.000Z',
});

async function bucket(): Promise<string> {
  const name = `verdict-chain-${++n}`;
  await moto.bucket(name);
  return name;
}

/** The chain's records copied down as an auditor would (`aws s3 cp --recursive s3://<bucket>/redis-dr-verdict-chain/ … --exclude head`). */
async function copiedDown(name: string, place: VerdictPlace = 'dr'): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'verdict-chain-'));
  folders.push(folder);
  const prefix = VERDICT_CHAIN_PREFIX[place];
  const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: name, Prefix: prefix }));
  for (const o of (listed.Contents ?? []).filter((c) => c.Key!.endsWith('.json'))) {
    const out = await moto.client.send(new GetObjectCommand({ Bucket: name, Key: o.Key! }));
    writeFileSync(join(folder, o.Key!.slice(prefix.length)), await out.Body!.transformToString('utf8'));
  }
  return folder;
}

function publicKeyPem(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'verdict-key-')), 'kms.pem');
  folders.push(join(path, '..'));
  writeFileSync(path, createPublicKey({ key: key.publicKeyDer, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
  return path;
}

describe('the DR verdict chain', () => {
  it('twelve verdicts appended at once take seq 1..12, each linked to the one before: no fork; attest verifies the chain offline', async () => {
    const name = await bucket();
    const done = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        appendToVerdictChain(moto.client, name, 'dr', verdictOf(`rdr-app-2026112${i % 10}-0${i}00-0001.rdb`, 100 + i), signer, new Date()),
      ),
    );
    expect(done.map((d) => d.record.attestation.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const bySeq = new Map(done.map((d) => [d.record.attestation.seq, d.record.attestation]));
    for (let seq = 2; seq <= 12; seq++) expect(bySeq.get(seq)!.previous).toBe(attestationDigest(bySeq.get(seq - 1)!));
    expect(bySeq.get(1)!.previous).toBeNull();
    expect(done.every((d) => d.record.attestation.deployment === chainDeployment(name) && d.key === chainRecordKey('dr', d.record.attestation.seq))).toBe(true);
    expect((await verdictChainHead(moto.client, name, 'dr'))?.seq).toBe(12);
    const folder = await copiedDown(name);
    const pem = publicKeyPem();
    expect(await checkAttestation({ path: folder, publicKey: pem, deployment: chainDeployment(name) })).toMatchObject({ ok: true, records: 12, whole: true });
    // One record alone (a verdict object is the same bytes): its signature and digest.
    expect(await checkAttestation({ path: join(folder, '000000000005.json'), publicKey: pem })).toMatchObject({ ok: true, whole: false });
  }, 120_000);

  it('attest fails on a changed digit, names a deleted middle record as a gap, and a truncated start', async () => {
    const name = await bucket();
    for (let i = 1; i <= 5; i++)
      await appendToVerdictChain(moto.client, name, 'dr', verdictOf(`rdr-app-20261125-0${i}00-0001.rdb`, 1000 * i), signer, new Date());
    const pem = publicKeyPem();
    const changed = await copiedDown(name);
    const third = join(changed, '000000000003.json');
    writeFileSync(third, readFileSync(third, 'utf8').replace('"keys": 3000', '"keys": 3001'));
    expect(await checkAttestation({ path: changed, publicKey: pem })).toEqual({
      ok: false,
      name: '000000000003.json',
      why: 'its content is not what was signed (changed after signing)',
      whole: true,
    });
    const gap = await copiedDown(name);
    unlinkSync(join(gap, '000000000003.json'));
    expect(await checkAttestation({ path: gap, publicKey: pem })).toMatchObject({
      ok: false,
      name: '000000000004.json',
      why: expect.stringMatching(/^a gap: record 3 is missing/),
    });
    const truncated = await copiedDown(name);
    unlinkSync(join(truncated, '000000000001.json'));
    expect(await checkAttestation({ path: truncated, publicKey: pem })).toMatchObject({ ok: false, why: expect.stringMatching(/truncated chain/) });
  }, 120_000);

  it('a hint ahead of the records (or not JSON) is ignored: the next verdict takes the place after the real head, never leaving a gap', async () => {
    const name = await bucket();
    await appendToVerdictChain(moto.client, name, 'dr', verdictOf('rdr-app-20261125-0100-0001.rdb', 1), signer, new Date());
    await moto.client.send(new PutObjectCommand({ Bucket: name, Key: verdictChainHeadKey('dr'), Body: JSON.stringify({ seq: 900 }) }));
    expect(
      (await appendToVerdictChain(moto.client, name, 'dr', verdictOf('rdr-app-20261125-0200-0001.rdb', 2), signer, new Date())).record.attestation.seq,
    ).toBe(2);
    await moto.client.send(new PutObjectCommand({ Bucket: name, Key: verdictChainHeadKey('dr'), Body: 'garbage' }));
    expect(
      (await appendToVerdictChain(moto.client, name, 'dr', verdictOf('rdr-app-20261125-0300-0001.rdb', 3), signer, new Date())).record.attestation.seq,
    ).toBe(3);
    // The hint left behind the head: the listing from it finds the newer records.
    await moto.client.send(new PutObjectCommand({ Bucket: name, Key: verdictChainHeadKey('dr'), Body: JSON.stringify({ seq: 1 }) }));
    expect((await verdictChainHead(moto.client, name, 'dr'))?.seq).toBe(3);
  }, 60_000);

  it('a put S3 answers 409 ConditionalRequestConflict (another conditional write at the same instant) is tried again, not failed', async () => {
    const name = await bucket();
    const client = moto.newClient();
    let conflicts = 0;
    client.middlewareStack.add(
      (next, ctx) => async (args) => {
        const input = args.input as { Key?: string };
        if (ctx.commandName === 'PutObjectCommand' && input.Key === chainRecordKey('dr', 1) && conflicts++ === 0)
          throw Object.assign(new Error('A conflicting conditional operation is currently in progress'), {
            name: 'ConditionalRequestConflict',
            $metadata: { httpStatusCode: 409 },
          });
        return next(args);
      },
      { step: 'initialize' },
    );
    const done = await appendToVerdictChain(client, name, 'dr', verdictOf('rdr-app-20261125-0100-0001.rdb', 1), signer, new Date());
    expect(conflicts).toBe(2);
    expect(done.record.attestation.seq).toBe(1);
    // Any other refusal fails the append, naming the record.
    const denying = moto.newClient();
    denying.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'PutObjectCommand')
          throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        return next(args);
      },
      { step: 'initialize' },
    );
    await expect(appendToVerdictChain(denying, name, 'dr', verdictOf('rdr-app-20261125-0200-0001.rdb', 2), signer, new Date())).rejects.toThrow(
      /verdict chain record s3:\/\/.+\/redis-dr-verdict-chain\/000000000002\.json not stored: Access Denied/,
    );
  }, 60_000);

  it('a Sign that fails stores nothing (never an unsigned record where records are signed); a newest record that is not signed stops the chain', async () => {
    const name = await bucket();
    const refused: AsyncSigner = { keyId: signer.keyId, sign: () => Promise.reject(new Error('AccessDeniedException: not allowed to kms:Sign')) };
    await expect(appendToVerdictChain(moto.client, name, 'dr', verdictOf('rdr-app-20261125-0100-0001.rdb', 1), refused, new Date())).rejects.toThrow(
      /kms:Sign/,
    );
    expect((await moto.client.send(new ListObjectsV2Command({ Bucket: name, Prefix: VERDICT_CHAIN_PREFIX.dr }))).KeyCount ?? 0).toBe(0);
    await moto.client.send(new PutObjectCommand({ Bucket: name, Key: chainRecordKey('dr', 1), Body: JSON.stringify({ verdict: 'ok' }) }));
    await expect(appendToVerdictChain(moto.client, name, 'dr', verdictOf('rdr-app-20261125-0200-0001.rdb', 2), signer, new Date())).rejects.toThrow(
      /000000000001\.json is the verdict chain's newest record but not a signed record of seq 1/,
    );
  }, 60_000);
});

describe('the DR verdict chain: a put whose answer was lost after S3 stored it (moto behind a proxy)', () => {
  it("the SDK's retry meets the verdict's own record (412): it is the verdict's place, not another's taken (never one verdict twice in the chain)", async () => {
    const name = await bucket();
    const first = chainRecordKey('dr', 1);
    let done = false;
    const cut = (method: string, url: string) => !done && (done = method === 'PUT' && url.split('?')[0]!.endsWith(`/${first}`));
    const r = await viaS3Proxy(moto.endpoint, { cut }, async () => {
      const client = proxiedS3Client();
      try {
        return await appendToVerdictChain(client, name, 'dr', verdictOf('rdr-app-20261127-0500-0001.rdb', 7), signer, new Date());
      } finally {
        client.destroy();
      }
    });
    expect(done).toBe(true);
    expect(r).toMatchObject({ key: first, record: { attestation: { seq: 1 } } });
    const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: name, Prefix: VERDICT_CHAIN_PREFIX.dr }));
    expect((listed.Contents ?? []).map((c) => c.Key).filter((k) => k!.endsWith('.json') && k !== verdictChainHeadKey('dr'))).toEqual([first]);
  }, 60_000);
});

describe("the vault's verdict chain (its own evidence key, in the vault account)", () => {
  const vaultKey = kmsEvidenceKey('arn:aws:kms:eu-central-1:222222222222:key/0b1c2d3e-vault-evidence');
  let vaultSigner: AsyncSigner;
  beforeAll(async () => {
    vaultSigner = await kmsSigner(vaultKey.kms, vaultKey.keyArn);
  });

  function vaultPem(): string {
    const path = join(mkdtempSync(join(tmpdir(), 'vault-key-')), 'kms.pem');
    folders.push(join(path, '..'));
    writeFileSync(path, createPublicKey({ key: vaultKey.publicKeyDer, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
    return path;
  }

  it('verifies with the vault key; a changed digit, a deleted middle record (a named gap), a record of another deployment and the DR key each fail', async () => {
    const name = await bucket();
    const replica = (i: number) => `111122223333/eu-west-1/rdr-app-20261125-0${i}00-0001.rdb`;
    const done = await Promise.all(
      [1, 2, 3, 4].map((i) => appendToVerdictChain(moto.client, name, 'vault', verdictOf(replica(i), 1000 * i), vaultSigner, new Date())),
    );
    expect(done.map((d) => d.key).sort()).toEqual([1, 2, 3, 4].map((seq) => chainRecordKey('vault', seq)));
    // The vault's chain is its own: nothing under the DR bucket's chain prefix, the head hint under the vault's.
    expect((await moto.client.send(new ListObjectsV2Command({ Bucket: name, Prefix: VERDICT_CHAIN_PREFIX.dr }))).KeyCount ?? 0).toBe(0);
    expect((await verdictChainHead(moto.client, name, 'vault'))?.seq).toBe(4);
    const pem = vaultPem();
    const whole = await copiedDown(name, 'vault');
    expect(await checkAttestation({ path: whole, publicKey: pem, deployment: chainDeployment(name) })).toMatchObject({ ok: true, records: 4, whole: true });
    // The DR stack's key is not the vault's.
    expect(await checkAttestation({ path: whole, publicKey: publicKeyPem() })).toMatchObject({
      ok: false,
      why: expect.stringMatching(/^signed with another key/),
    });

    const changed = await copiedDown(name, 'vault');
    const second = join(changed, '000000000002.json');
    const text = readFileSync(second, 'utf8');
    const keys = JSON.parse(text).keys.keys as number;
    writeFileSync(second, text.replace(`"keys": ${keys}`, `"keys": ${keys + 1}`));
    expect(await checkAttestation({ path: changed, publicKey: pem })).toEqual({
      ok: false,
      name: '000000000002.json',
      why: 'its content is not what was signed (changed after signing)',
      whole: true,
    });

    const gap = await copiedDown(name, 'vault');
    unlinkSync(join(gap, '000000000003.json'));
    expect(await checkAttestation({ path: gap, publicKey: pem })).toMatchObject({
      ok: false,
      name: '000000000004.json',
      why: 'a gap: record 3 is missing between 000000000002.json and it',
    });

    // Record 2 of another vault (another deployment, the same key) put in place of this one's record 2.
    const other = await bucket();
    for (const i of [1, 2]) await appendToVerdictChain(moto.client, other, 'vault', verdictOf(replica(i), i), vaultSigner, new Date());
    const mixed = await copiedDown(name, 'vault');
    writeFileSync(join(mixed, '000000000002.json'), readFileSync(join(await copiedDown(other, 'vault'), '000000000002.json')));
    expect(await checkAttestation({ path: mixed, publicKey: pem, deployment: chainDeployment(name) })).toEqual({
      ok: false,
      name: '000000000002.json',
      why: `belongs to deployment ${chainDeployment(other)}, not ${chainDeployment(name)}`,
      whole: true,
    });
    expect(await checkAttestation({ path: mixed, publicKey: pem })).toMatchObject({
      ok: false,
      name: '000000000002.json',
      why: `belongs to deployment ${chainDeployment(other)}, not the chain's ${chainDeployment(name)}`,
    });
  }, 120_000);
});
