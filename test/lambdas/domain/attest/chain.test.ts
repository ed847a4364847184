import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, duplicateKey } from '../../../../lambdas/domain/attest/canonical.js';
import {
  type AsyncSigner,
  attest,
  attestAsync,
  chainHead,
  ed25519PublicKey,
  ed25519Signer,
  evidencePublicKey,
  keyIdOf,
  type NamedRecord,
  verifyChain,
} from '../../../../lambdas/domain/attest/chain.js';

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signer: ed25519Signer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    publicKey: ed25519PublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
};
const { signer, publicKey } = pair();
const at = new Date('2026-11-25T03:00:00Z');

/** A chain of `n` records of `deployment`, as files (JSON round trip, as on disk). */
function chain(n: number, deployment = 'file:///b'): NamedRecord[] {
  const out: NamedRecord[] = [];
  for (let i = 1; i <= n; i++) {
    const record = attest(
      { kind: 'redis-dr-scrub', run: i, results: [{ file: `f${i}.rdb`, ok: true, keys: 1000 + i }] },
      { deployment, head: chainHead(out.map((r) => r.record)), at, signer },
    );
    out.push({ name: `r${i}.json`, record: JSON.parse(JSON.stringify(record, null, 2)) as unknown });
  }
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined, so the digest does not depend on who wrote it', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});

describe('duplicateKey', () => {
  it('finds a key twice in one object at any depth, compared as parsed; never across objects, nor inside a string', () => {
    expect(duplicateKey('{"a":1,"b":{"c":[{"d":1},{"d":2}]},"e":"{\\"a\\":1,\\"a\\":2}"}')).toBeUndefined();
    expect(duplicateKey('{"a":1,"b":[{"c":1,"d":2,"c":3}]}')).toBe('c');
    expect(duplicateKey('{"a\\"":1,"a\\u0022":2}')).toBe('a"');
    expect(duplicateKey('[{"x":"\\\\"},{"x":1}]')).toBeUndefined();
    expect(duplicateKey('{"x":"\\\\","x":1}')).toBe('x');
  });
});

describe('verifyChain', () => {
  it('passes a whole chain, naming its length and head', () => {
    const v = verifyChain(chain(3), publicKey, { whole: true });
    expect(v).toMatchObject({ ok: true, records: 3, head: { seq: 3, deployment: 'file:///b' } });
  });

  it('fails a changed digit, naming the record', () => {
    const records = chain(3);
    const changed = JSON.parse(JSON.stringify(records[1]!.record).replace('1002', '1003')) as unknown;
    expect(verifyChain([records[0]!, { name: 'r2.json', record: changed }, records[2]!], publicKey, { whole: true })).toEqual({
      ok: false,
      name: 'r2.json',
      why: 'its content is not what was signed (changed after signing)',
    });
  });

  it('a deleted middle record is a named gap, not a pass', () => {
    const [a, , c] = chain(3);
    expect(verifyChain([a!, c!], publicKey, { whole: true })).toEqual({ ok: false, name: 'r3.json', why: 'a gap: record 2 is missing between r1.json and it' });
  });

  it('a chain whose first records are gone is truncated; one record alone is checked alone', () => {
    const [, b, c] = chain(3);
    expect(verifyChain([b!, c!], publicKey, { whole: true })).toMatchObject({
      ok: false,
      name: 'r2.json',
      why: expect.stringMatching(/^the chain starts at record 2: records 1 to 1 are missing/),
    });
    expect(verifyChain([c!], publicKey, { whole: false })).toMatchObject({ ok: true, records: 1 });
  });

  it('names an unsigned record, one signed with another key, a forged signature, another deployment and a fork', () => {
    const records = chain(2);
    expect(verifyChain([...records, { name: 'plain.json', record: { kind: 'x' } }], publicKey, { whole: true })).toMatchObject({
      ok: false,
      name: 'plain.json',
      why: 'carries no attestation (unsigned, or not a redis-dr record)',
    });
    expect(verifyChain(records, pair().publicKey, { whole: true })).toMatchObject({
      ok: false,
      name: 'r1.json',
      why: expect.stringMatching(/^signed with another key/),
    });
    const forged = structuredClone(records[0]!.record) as { attestation: { signature: string } };
    forged.attestation.signature = Buffer.alloc(64).toString('base64');
    expect(verifyChain([{ name: 'r1.json', record: forged }], publicKey, { whole: false })).toMatchObject({ ok: false, why: 'its signature does not verify' });
    expect(verifyChain(records, publicKey, { whole: true, deployment: 's3://other/x' })).toMatchObject({
      ok: false,
      name: 'r1.json',
      why: 'belongs to deployment file:///b, not s3://other/x',
    });
    const other = chain(2, 's3://other/x');
    expect(verifyChain([records[0]!, { ...other[1]!, name: 'o2.json' }], publicKey, { whole: true })).toMatchObject({
      ok: false,
      name: 'o2.json',
      why: "belongs to deployment s3://other/x, not the chain's file:///b",
    });
    const fork = chain(2);
    expect(verifyChain([...records, { ...fork[1]!, name: 'fork.json' }], publicKey, { whole: true })).toMatchObject({
      ok: false,
      why: expect.stringMatching(/^record 2 twice/),
    });
  });

  it('fails a signature whose text was changed though it decodes to the same bytes (base64 that is not as written)', () => {
    const [r1] = chain(1);
    const signature = (r1!.record as { attestation: { signature: string } }).attestation.signature;
    // Node's base64 decoder skips what is not base64 and takes the URL alphabet: each of these decodes to the signed bytes.
    for (const changed of [`${signature}!!`, signature.replace(/=+$/, ''), `${signature.slice(0, 8)}\n${signature.slice(8)}`, `${signature} `]) {
      const record = structuredClone(r1!.record) as { attestation: { signature: string } };
      record.attestation.signature = changed;
      expect(verifyChain([{ name: 'r1.json', record }], publicKey, { whole: false })).toEqual({
        ok: false,
        name: 'r1.json',
        why: 'its signature is not the base64 it was written as (changed after signing)',
      });
    }
  });

  it('fails a null changed to a number JSON cannot carry (1e400 reads as Infinity, written out as null)', () => {
    const record = attest({ kind: 'redis-dr-drill', rtoSeconds: null, keys: 5 }, { deployment: 'file:///b', at, signer });
    const text = JSON.stringify(record).replace('"rtoSeconds":null', '"rtoSeconds":1e400');
    expect(verifyChain([{ name: 'd.json', record: JSON.parse(text) as unknown }], publicKey, { whole: false })).toEqual({
      ok: false,
      name: 'd.json',
      why: 'rtoSeconds holds a number JSON cannot carry (Infinity): changed after signing',
    });
    expect(verifyChain([{ name: 'd.json', record: JSON.parse(JSON.stringify(record)) as unknown }], publicKey, { whole: false })).toMatchObject({ ok: true });
  });

  it('refuses a key that is not Ed25519, saying what it is', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => ed25519Signer(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(/is a rsa key, not an Ed25519 private key/);
  });
});

describe('ECDSA P-256 (a KMS ECC_NIST_P256 key, signing ECDSA_SHA_256 over the raw message)', () => {
  /** An async signer that answers as KMS Sign does: a DER ECDSA signature over SHA-256 of the message, later. */
  const kmsLike = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signer: AsyncSigner = {
      keyId: keyIdOf(publicKey),
      sign: async (data) => {
        await new Promise((r) => setTimeout(r, 1));
        return sign('sha256', data, privateKey).toString('base64');
      },
    };
    return { signer, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  };

  async function ecChain(n: number, s: AsyncSigner): Promise<NamedRecord[]> {
    const out: NamedRecord[] = [];
    for (let i = 1; i <= n; i++) {
      const record = await attestAsync(
        { kind: 'redis-dr-drill', run: i, rtoSeconds: 600 + i },
        { deployment: 'prod', head: chainHead(out.map((r) => r.record)), at, signer: s },
      );
      out.push({ name: `d${i}.json`, record: JSON.parse(JSON.stringify(record)) as unknown });
    }
    return out;
  }

  it('verifies a chain signed by an async signer with the public key PEM alone', async () => {
    const { signer: s, pem } = kmsLike();
    expect(verifyChain(await ecChain(3, s), evidencePublicKey(pem), { whole: true, deployment: 'prod' })).toMatchObject({ ok: true, records: 3 });
  });

  it('fails a changed digit, and a signature by another key under the same key id', async () => {
    const { signer: s, pem } = kmsLike();
    const records = await ecChain(2, s);
    const changed = JSON.parse(JSON.stringify(records[1]!.record).replace('602', '603')) as unknown;
    expect(verifyChain([records[0]!, { name: 'd2.json', record: changed }], evidencePublicKey(pem), { whole: true })).toEqual({
      ok: false,
      name: 'd2.json',
      why: 'its content is not what was signed (changed after signing)',
    });
    const other = kmsLike().signer;
    const forged = await ecChain(1, { keyId: s.keyId, sign: other.sign });
    expect(verifyChain(forged, evidencePublicKey(pem), { whole: true })).toEqual({ ok: false, name: 'd1.json', why: 'its signature does not verify' });
  });

  it('takes Ed25519 and EC P-256 public keys only, naming what it was given', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => evidencePublicKey(p384)).toThrow('is an EC key on secp384r1, not an Ed25519 or EC P-256 public key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => evidencePublicKey(rsa)).toThrow('is a rsa key, not an Ed25519 or EC P-256 public key');
  });
});
