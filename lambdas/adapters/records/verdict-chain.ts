/**
 * A bucket's chain of signed verdicts (docs/attest.md, issue 58 item 2):
 * every verdict a verifier gives is signed with its place's evidence key
 * (the DR stack's; the vault's, in the vault account) as the next record of
 * ONE linear chain per bucket, `redis-dr-verdict-chain/<seq, 12 digits>.json`
 * in the DR bucket, `redis-dr-vault-verdict-chain/…` in the vault, before it
 * is written as the copy's verdict object (the same bytes). Many verifications run at once
 * (one state machine execution per copy), so the chain is appended to by
 * compare-and-set rather than by a lock: each record is put with
 * `If-None-Match: *` under the key of the next `seq`; a writer that loses
 * the race (412) reads the new head, signs again and tries the next `seq`.
 * Two records can never share a `seq` (S3 refuses the second put), so the
 * chain never forks, and a record deleted from its middle is a named gap to
 * `redis-dr attest`. The head is found by listing the chain from a hint
 * (`<chain prefix>head`, the newest `seq` a writer saw; a cache:
 * a hint that is behind costs a longer listing, one ahead of the records or
 * unreadable is ignored), so a run lists a page, not the whole history.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { attestAsync, attestationOf, type Attestation, type AsyncSigner } from '../../domain/attest/chain.js';
import {
  chainRecordKey,
  chainSeqOfKey,
  VERDICT_CHAIN_PREFIX,
  verdictChainHeadKey,
  type VerdictObject,
  type VerdictPlace,
  verdictObjectBody,
} from '../../domain/points/verdict-objects.js';
import { errorName } from '../aws/errors.js';
import { listObjects } from '../aws/s3/objects.js';
import { KeyExistsError, PutError } from '../storage/object-store.js';
import { S3ObjectStore } from '../storage/object-store-s3.js';

const ABSENT = new Set(['NoSuchKey', 'NotFound']);
/** Tries at the chain's next place before the append gives up (the state machine then retries the step). */
export const CHAIN_APPEND_ATTEMPTS = 25;

/** The chain record (or hint) at `key`, parsed; undefined when there is none. */
async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return { notJson: text.slice(0, 80) };
    }
  } catch (err) {
    if (ABSENT.has(errorName(err))) return undefined;
    throw err;
  }
}

/** The seqs of `place`'s chain records listed after `startAfter` (from the start without it). */
async function listedSeqs(s3: S3Client, bucket: string, place: VerdictPlace, startAfter: string | undefined): Promise<number[]> {
  const listed = await listObjects(s3, bucket, VERDICT_CHAIN_PREFIX[place], undefined, undefined, startAfter);
  return listed.map((o) => chainSeqOfKey(place, o.key)).filter((n): n is number => n !== undefined);
}

/**
 * The chain's head: the attestation of its newest record, undefined for an
 * empty chain. Lists from the hint, or from the start when the hint is
 * missing, unreadable or ahead of the records.
 * @throws Error when the newest record is not a signed record (never extended over: that would hide it)
 */
export async function verdictChainHead(s3: S3Client, bucket: string, place: VerdictPlace): Promise<Attestation | undefined> {
  const hinted = await readJson(s3, bucket, verdictChainHeadKey(place));
  const hint = typeof (hinted as { seq?: unknown } | undefined)?.seq === 'number' ? (hinted as { seq: number }).seq : 0;
  const from = async (startAfter: string | undefined, floor: number): Promise<Attestation | undefined | 'ahead'> => {
    const seqs = await listedSeqs(s3, bucket, place, startAfter);
    const newest = Math.max(floor, ...seqs);
    if (newest === 0) return undefined;
    const key = chainRecordKey(place, newest);
    const record = await readJson(s3, bucket, key);
    if (record === undefined) return 'ahead';
    const a = attestationOf(record);
    if (!a || a.seq !== newest)
      throw new Error(`s3://${bucket}/${key} is the verdict chain's newest record but not a signed record of seq ${newest}: the chain is not extended over it`);
    return a;
  };
  const found = await from(hint > 0 ? chainRecordKey(place, hint) : undefined, hint);
  if (found !== 'ahead') return found;
  // The hint named a record that is not there: list the whole chain.
  const again = await from(undefined, 0);
  if (again === 'ahead') throw new Error(`the verdict chain of s3://${bucket}/ lists a record that cannot be read: not extended`);
  return again;
}

/** A verdict signed into the chain: the record (the verdict with its attestation), its chain key, and its text. */
export interface ChainedVerdict {
  readonly record: VerdictObject & { readonly attestation: Attestation };
  readonly key: string;
  /** The record's text as stored in the chain: the verdict object's body too. */
  readonly body: string;
}

/**
 * Signs `verdict` as the next record of `place`'s verdict chain in `bucket` and
 * puts it there with `If-None-Match: *`, read back (the object store's
 * verified put). Another verdict that took the place first (412): the new
 * head is read, the verdict signed again for the place after it.
 * @throws Error when signing fails (no verdict is ever stored unsigned where records are signed), when the put fails or
 *   is not read back, or after {@link CHAIN_APPEND_ATTEMPTS} places taken by others (the state machine retries the step)
 */
export async function appendToVerdictChain(
  s3: S3Client,
  bucket: string,
  place: VerdictPlace,
  verdict: VerdictObject,
  signer: AsyncSigner,
  at: Date,
): Promise<ChainedVerdict> {
  const store = new S3ObjectStore(s3, bucket, '');
  for (let attempt = 1; attempt <= CHAIN_APPEND_ATTEMPTS; attempt++) {
    const head = await verdictChainHead(s3, bucket, place);
    const record = await attestAsync(verdict, { deployment: chainDeployment(bucket), head, at, signer });
    const key = chainRecordKey(place, record.attestation.seq);
    const body = verdictObjectBody(record);
    try {
      // Marked: a PUT whose answer was lost after S3 stored it (the SDK's retry meets it, 412) is this verdict's
      // record, read back, not a place another verdict took (signed again, it would be in the chain twice).
      await store.put(key, Buffer.from(body), { ifExists: 'fail', contentType: 'application/json', mark: true });
    } catch (err) {
      // Another verdict took this place (412), or was taking it at the same instant (409 ConditionalRequestConflict,
      // which S3 says to retry): sign again for the place after the head then.
      // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
      if (err instanceof KeyExistsError) continue;
      const cause = err instanceof PutError ? err.cause : err;
      if (errorName(cause) === 'ConditionalRequestConflict') continue;
      throw new Error(`verdict chain record s3://${bucket}/${key} not stored: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    // The hint is a cache of where the head is: a failed or raced write only makes the next listing longer.
    await store.put(verdictChainHeadKey(place), Buffer.from(JSON.stringify({ seq: record.attestation.seq })), { ifExists: 'replace' }).catch(() => undefined);
    return { record: record as ChainedVerdict['record'], key, body };
  }
  throw new Error(
    `the verdict chain of s3://${bucket}/ moved on ${CHAIN_APPEND_ATTEMPTS} times while this verdict was signed: not appended (the state machine retries)`,
  );
}

/** The `deployment` a bucket's signed records name (the DR bucket's, the vault's): the bucket's URL (the scrub's records name it too). */
export function chainDeployment(bucket: string): string {
  return `s3://${bucket}/`;
}
