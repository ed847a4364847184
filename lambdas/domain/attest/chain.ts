/**
 * Signed, chained records, so an auditor can check evidence without trusting
 * the tool that wrote it: each record carries an `attestation` holding the
 * digest of what it attests (the record without its attestation, in
 * canonical form), the digest of the previous record's attestation, its
 * place in the chain (`seq`, from 1), the deployment it belongs to, and an
 * Ed25519 (a local key) or ECDSA P-256 (a KMS key) signature over all of that. Changing a digit breaks the digest;
 * deleting a record leaves a gap in `seq` and a `previous` that names no
 * record; a record of another deployment says so. Pure (node:crypto only).
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalDigest, canonicalJson, sha256Hex } from './canonical.js';

/** What a record carries. */
export interface Attestation {
  readonly v: 1;
  readonly deployment: string;
  readonly seq: number;
  /** When it was signed (ISO). */
  readonly at: string;
  /** SHA-256 of the record without `attestation`, canonical JSON. */
  readonly subject: string;
  /** SHA-256 of the previous record's attestation (canonical JSON, signature included); null for the first. */
  readonly previous: string | null;
  /** SHA-256 of the signing key's public key (SPKI DER): which key to check with. */
  readonly keyId: string;
  /**
   * Over the canonical JSON of the attestation without `signature`, base64: Ed25519 (a local key), or ECDSA
   * P-256 with SHA-256, DER-encoded (what a KMS `ECC_NIST_P256` key's Sign answers with ECDSA_SHA_256).
   */
  readonly signature: string;
}

/** A key that signs (a local key answers at once). */
export interface Signer {
  readonly keyId: string;
  sign(data: Uint8Array): string;
}

/** A key that signs, maybe remotely (KMS Sign): the signature's base64, when it comes. */
export interface AsyncSigner {
  readonly keyId: string;
  sign(data: Uint8Array): string | Promise<string>;
}

/** The id of a public key: SHA-256 of its SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
}

/**
 * A signer from an Ed25519 private key in PEM (PKCS#8).
 * @throws an Error saying what the key is when it is not an Ed25519 private key
 */
export function ed25519Signer(pem: string): Signer {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`is a ${key.asymmetricKeyType ?? 'symmetric'} key, not an Ed25519 private key`);
  return { keyId: keyIdOf(createPublicKey(key)), sign: (data) => sign(null, data, key).toString('base64') };
}

/**
 * The public key records are checked with, from PEM (SPKI): Ed25519 (a local key file) or EC P-256 (a KMS
 * `ECC_NIST_P256` key: `aws kms get-public-key`, DER, converted with `openssl pkey -pubin -inform DER`).
 * @throws an Error saying what the key is when it is neither
 */
export function evidencePublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === 'ed25519') return key;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return key;
  const what =
    key.asymmetricKeyType === 'ec'
      ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}`
      : `a ${key.asymmetricKeyType ?? 'symmetric'} key`;
  throw new Error(`is ${what}, not an Ed25519 or EC P-256 public key`);
}

/**
 * A public key from PEM (SPKI).
 * @throws an Error saying what the key is when it is not an Ed25519 public key
 */
export function ed25519PublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`is a ${key.asymmetricKeyType ?? 'symmetric'} key, not an Ed25519 public key`);
  return key;
}

/** The digest the next record's `previous` names. */
export function attestationDigest(a: Attestation): string {
  return canonicalDigest(a);
}

/** What signing a record is given: whose chain, its head (the newest attestation, or none), when, and the key. */
interface AttestOptions<S> {
  readonly deployment: string;
  readonly head?: Attestation;
  readonly at: Date;
  readonly signer: S;
}

/** The record's body (without an attestation it carried) and the attestation to sign. */
function toSign<T extends object>(record: T, o: AttestOptions<{ readonly keyId: string }>) {
  const { attestation: _old, ...body } = record as T & { attestation?: unknown };
  const unsigned = {
    v: 1 as const,
    deployment: o.deployment,
    seq: (o.head?.seq ?? 0) + 1,
    at: o.at.toISOString(),
    subject: canonicalDigest(body),
    previous: o.head ? attestationDigest(o.head) : null,
    keyId: o.signer.keyId,
  };
  return { body: body as T, unsigned, data: Buffer.from(canonicalJson(unsigned), 'utf8') };
}

/** `record` with its attestation: the next after `head` (the newest attestation of the chain, or none). */
export function attest<T extends object>(record: T, o: AttestOptions<Signer>): T & { attestation: Attestation } {
  const { body, unsigned, data } = toSign(record, o);
  return { ...body, attestation: { ...unsigned, signature: o.signer.sign(data) } };
}

/** {@link attest} with a signer that may answer later (KMS Sign). */
export async function attestAsync<T extends object>(record: T, o: AttestOptions<AsyncSigner>): Promise<T & { attestation: Attestation }> {
  const { body, unsigned, data } = toSign(record, o);
  return { ...body, attestation: { ...unsigned, signature: await o.signer.sign(data) } };
}

/**
 * A record kept as JSON text (a report's `report.json`), signed: parsed, attested as the next after `o.head`, written
 * out again with two-space indentation. The digest is of the parsed value, so the text's layout is not signed.
 */
export async function attestJsonText(text: string, o: AttestOptions<AsyncSigner>): Promise<string> {
  return `${JSON.stringify(await attestAsync(JSON.parse(text) as object, o), null, 2)}\n`;
}

/** The attestation a parsed record carries, when it has one of the right shape. */
export function attestationOf(record: unknown): Attestation | undefined {
  const a = (record as { attestation?: Partial<Attestation> } | null)?.attestation;
  if (!a || typeof a !== 'object') return undefined;
  const ok =
    a.v === 1 &&
    typeof a.deployment === 'string' &&
    Number.isInteger(a.seq) &&
    (a.seq ?? 0) >= 1 &&
    typeof a.at === 'string' &&
    typeof a.subject === 'string' &&
    (a.previous === null || typeof a.previous === 'string') &&
    typeof a.keyId === 'string' &&
    typeof a.signature === 'string';
  return ok ? (a as Attestation) : undefined;
}

/** The newest attestation among records (the chain's head), or undefined when none is attested. */
export function chainHead(records: readonly unknown[]): Attestation | undefined {
  return records
    .map(attestationOf)
    .filter((a) => a !== undefined)
    .sort((a, b) => b.seq - a.seq)[0];
}

/** One record to check: its name (a file) and its parsed JSON. */
export interface NamedRecord {
  readonly name: string;
  readonly record: unknown;
}

/** What a check found: the first record that does not verify, and why; or the chain's length. */
export type ChainVerdict =
  | { readonly ok: true; readonly records: number; readonly head?: Attestation }
  | { readonly ok: false; readonly name: string; readonly why: string };

/**
 * The first number in `value` JSON cannot carry, and where: a text such as `1e400` parses as Infinity, which
 * canonical JSON writes as `null`, so a `null` changed to it would keep the digest. Undefined when there is none.
 */
function nonFinite(value: unknown, path: readonly string[] = []): { readonly path: string; readonly value: number } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: path.join('.') || '(the record)', value };
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = nonFinite(v, [...path, k]);
    if (found) return found;
  }
  return undefined;
}

/** Whether one record's own attestation holds (signature, subject digest, key, deployment); why not, or undefined. */
function checkOne(r: NamedRecord, key: KeyObject, keyId: string, deployment: string | undefined): string | undefined {
  const a = attestationOf(r.record);
  if (!a) return 'carries no attestation (unsigned, or not a redis-dr record)';
  if (a.keyId !== keyId) return `signed with another key (key id ${a.keyId.slice(0, 16)}…, the public key given is ${keyId.slice(0, 16)}…)`;
  const { signature, ...unsigned } = a;
  // Node's decoder skips what is not base64, takes the URL alphabet and missing padding: only the text the signer wrote is its signature.
  const signed = Buffer.from(signature, 'base64');
  if (signed.toString('base64') !== signature) return 'its signature is not the base64 it was written as (changed after signing)';
  // Ed25519 hashes itself (no digest named); ECDSA P-256 signs SHA-256 of the data (KMS ECDSA_SHA_256, RAW message).
  const digest = key.asymmetricKeyType === 'ec' ? 'sha256' : null;
  if (!verify(digest, Buffer.from(canonicalJson(unsigned), 'utf8'), key, signed)) return 'its signature does not verify';
  const { attestation: _a, ...body } = r.record as { attestation: unknown };
  const odd = nonFinite(body);
  if (odd) return `${odd.path} holds a number JSON cannot carry (${odd.value}): changed after signing`;
  if (canonicalDigest(body) !== a.subject) return 'its content is not what was signed (changed after signing)';
  if (deployment !== undefined && a.deployment !== deployment) return `belongs to deployment ${a.deployment}, not ${deployment}`;
  return undefined;
}

/**
 * Checks records as one chain (a folder's records: from seq 1, with no gap),
 * or one record alone (`whole: false`: its signature and digest only), with
 * the public key. The first record that does not verify is named.
 */
export function verifyChain(records: readonly NamedRecord[], publicKey: KeyObject, o: { readonly deployment?: string; readonly whole: boolean }): ChainVerdict {
  const keyId = keyIdOf(publicKey);
  const ordered = [...records].sort((a, b) => (attestationOf(a.record)?.seq ?? 0) - (attestationOf(b.record)?.seq ?? 0) || a.name.localeCompare(b.name));
  for (const r of ordered) {
    const why = checkOne(r, publicKey, keyId, o.deployment);
    if (why) return { ok: false, name: r.name, why };
  }
  const chain = ordered.map((r) => ({ name: r.name, a: attestationOf(r.record)! }));
  const deployment = chain[0]?.a.deployment;
  let before: { name: string; a: Attestation } | undefined;
  for (const link of o.whole ? chain : []) {
    if (link.a.deployment !== deployment)
      return { ok: false, name: link.name, why: `belongs to deployment ${link.a.deployment}, not the chain's ${deployment}` };
    if (!before) {
      if (link.a.seq !== 1 || link.a.previous !== null)
        return { ok: false, name: link.name, why: `the chain starts at record ${link.a.seq}: records 1 to ${link.a.seq - 1} are missing (a truncated chain)` };
    } else if (link.a.seq === before.a.seq) {
      return { ok: false, name: link.name, why: `record ${link.a.seq} twice (also ${before.name}): two writers forked the chain` };
    } else if (link.a.seq !== before.a.seq + 1) {
      return {
        ok: false,
        name: link.name,
        why: `a gap: record ${before.a.seq + 1}${link.a.seq - 1 > before.a.seq + 1 ? ` to ${link.a.seq - 1}` : ''} is missing between ${before.name} and it`,
      };
    } else if (link.a.previous !== attestationDigest(before.a)) {
      return { ok: false, name: link.name, why: `its previous record is not ${before.name} (the chain was rewritten)` };
    }
    before = link;
  }
  const head = chain.at(-1)?.a;
  return { ok: true, records: chain.length, ...(head ? { head } : {}) };
}
