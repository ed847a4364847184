/**
 * A stand-in for the deployment's evidence key (lib/constructs/evidence-key.ts)
 * at the AWS API boundary: a KMS client mocked with aws-sdk-client-mock whose
 * GetPublicKey answers the SPKI DER of a real local P-256 key and whose Sign
 * answers a real ECDSA_SHA_256 DER signature of the message by that key, as
 * KMS does. The client is of the SDK's class name, so its calls are recorded
 * for the IAM simulation (test/support/aws-calls.ts).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient as RealKMSClient, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

/** The mocked KMS, its key's ARN, and the key's public half as `aws kms get-public-key` gives it (DER). */
export interface KmsEvidenceKey {
  readonly kms: KMSClient;
  readonly keyArn: string;
  readonly publicKeyDer: Buffer;
  readonly privateKey: KeyObject;
}

/** A KMS ECC_NIST_P256 SIGN_VERIFY key `keyArn` answering as KMS would. */
export function kmsEvidenceKey(keyArn = 'arn:aws:kms:us-east-1:000000000000:key/0b1c2d3e-evidence'): KmsEvidenceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
  const Recorded = class KMSClient extends RealKMSClient {};
  const m = mockClient(Recorded);
  m.on(GetPublicKeyCommand).resolves({
    KeyId: keyArn,
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['ECDSA_SHA_256'],
    PublicKey: new Uint8Array(publicKeyDer),
  });
  m.on(SignCommand).callsFake((input: { Message: Uint8Array; SigningAlgorithm: string; MessageType: string }) => {
    if (input.SigningAlgorithm !== 'ECDSA_SHA_256' || input.MessageType !== 'RAW') throw new Error(`unexpected ${input.SigningAlgorithm} ${input.MessageType}`);
    // KMS's ECDSA signature: DER (ASN.1 SEQUENCE of r and s), over SHA-256 of the raw message.
    return { KeyId: keyArn, SigningAlgorithm: 'ECDSA_SHA_256', Signature: new Uint8Array(sign('sha256', input.Message, privateKey)) };
  });
  return { kms: new Recorded({ region: 'us-east-1' }), keyArn, publicKeyDer, privateKey };
}

/**
 * The key's public half as an auditor gets it (docs/attest.md): `aws kms get-public-key`'s DER written to
 * `<dir>/kms.der`, converted by openssl to `<dir>/kms.pem`; the PEM's path.
 */
export function auditorPublicKeyPem(key: KmsEvidenceKey, dir: string): string {
  writeFileSync(join(dir, 'kms.der'), key.publicKeyDer);
  execFileSync('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', join(dir, 'kms.der'), '-out', join(dir, 'kms.pem')]);
  return join(dir, 'kms.pem');
}

/** A signer whose every Sign KMS refuses (a role without kms:Sign, or the key policy's deny). */
export function refusingSigner() {
  return { keyId: 'k', sign: () => Promise.reject(new Error('AccessDeniedException: not allowed to kms:Sign')) };
}
