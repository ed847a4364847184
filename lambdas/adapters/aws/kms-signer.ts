/**
 * The deployment's evidence signer: an asymmetric KMS key (`ECC_NIST_P256`,
 * `SIGN_VERIFY`, lib/constructs/evidence-key.ts) signing a record's
 * canonical attestation (lambdas/domain/attest/chain.ts) with
 * `ECDSA_SHA_256` over the RAW message. KMS answers a DER-encoded ECDSA
 * signature, what `redis-dr attest` checks with the key's public half
 * (`aws kms get-public-key`, SPKI DER: its SHA-256 is the key id records
 * name). The private key never leaves KMS.
 */
import { createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { type AsyncSigner, keyIdOf } from '../../domain/attest/chain.js';

/** KMS Sign's limit on a RAW message, bytes (a larger one must be signed as a digest). */
const RAW_MESSAGE_LIMIT = 4096;

/**
 * A signer of the KMS key `keyArn`: asks KMS for its public key once (the key id is SHA-256 of its SPKI DER).
 * @throws an Error naming the key when it is not an ECC_NIST_P256 key that signs
 */
export async function kmsSigner(kms: KMSClient, keyArn: string): Promise<AsyncSigner> {
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyArn }));
  if (pub.KeySpec !== 'ECC_NIST_P256' || pub.KeyUsage !== 'SIGN_VERIFY' || !pub.PublicKey)
    throw new Error(
      `evidence key ${keyArn} is ${pub.KeySpec ?? 'of no key spec'} for ${pub.KeyUsage ?? 'no usage'}, not an ECC_NIST_P256 SIGN_VERIFY key: give the key lib/constructs/evidence-key.ts creates`,
    );
  const keyId = keyIdOf(createPublicKey({ key: Buffer.from(pub.PublicKey), format: 'der', type: 'spki' }));
  return {
    keyId,
    sign: async (data) => {
      // Attestations are a few hundred bytes; a RAW message past KMS's limit would be refused anyway, say why.
      if (data.length > RAW_MESSAGE_LIMIT)
        throw new Error(`an attestation of ${data.length} bytes is over KMS Sign's ${RAW_MESSAGE_LIMIT}-byte RAW message limit`);
      const out = await kms.send(new SignCommand({ KeyId: keyArn, Message: data, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
      if (!out.Signature) throw new Error(`KMS Sign with ${keyArn} answered no signature`);
      return Buffer.from(out.Signature).toString('base64');
    },
  };
}
