import { createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { attestAsync, evidencePublicKey, keyIdOf, verifyChain } from '../../../../lambdas/domain/attest/chain.js';
import { kmsEvidenceKey } from '../../../support/kms-evidence.js';

/** The public key as an auditor holds it: the DER of `aws kms get-public-key`, as PEM (what `openssl pkey -pubin -inform DER` writes). */
const pemOf = (der: Buffer) => createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();

describe('kmsSigner', () => {
  it('signs with KMS (ECDSA_SHA_256, RAW): the record verifies offline with the exported public key, a changed digit does not', async () => {
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const publicKey = evidencePublicKey(pemOf(key.publicKeyDer));
    expect(signer.keyId).toBe(keyIdOf(publicKey));
    const record = await attestAsync({ kind: 'redis-dr-scrub', copies: 4 }, { deployment: 's3://dr/', at: new Date('2027-01-04T10:00:00Z'), signer });
    expect(verifyChain([{ name: 'r1.json', record }], publicKey, { whole: true })).toMatchObject({ ok: true, records: 1 });
    const changed = { ...record, copies: 5 };
    expect(verifyChain([{ name: 'r1.json', record: changed }], publicKey, { whole: false })).toEqual({
      ok: false,
      name: 'r1.json',
      why: 'its content is not what was signed (changed after signing)',
    });
    // Another key's public half does not verify it: the signature is the KMS key's.
    const other = evidencePublicKey(pemOf(kmsEvidenceKey().publicKeyDer));
    expect(verifyChain([{ name: 'r1.json', record }], other, { whole: false }).ok).toBe(false);
  });

  it('refuses a key that is not an ECC_NIST_P256 signing key, naming it', async () => {
    const m = mockClient(KMSClient);
    m.on(GetPublicKeyCommand).resolves({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PublicKey: new Uint8Array([1]) });
    await expect(kmsSigner(new KMSClient({ region: 'us-east-1' }), 'arn:aws:kms:us-east-1:0:key/k')).rejects.toThrow(
      /^evidence key arn:aws:kms:us-east-1:0:key\/k is RSA_2048 for SIGN_VERIFY, not an ECC_NIST_P256 SIGN_VERIFY key/,
    );
    m.restore();
  });

  it('fails when KMS answers no signature (never an unsigned record passed as signed)', async () => {
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const m = mockClient(key.kms);
    m.on(SignCommand).resolves({});
    await expect(Promise.resolve(signer.sign(Buffer.from('x')))).rejects.toThrow(/answered no signature/);
    m.restore();
  });
});
