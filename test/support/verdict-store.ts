import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { AwsStub } from 'aws-sdk-client-mock';
import { parseRdbSummary } from '../../lambdas/domain/points/rdb-summary.js';
import {
  isVerdictObjectKey,
  VERDICT_PREFIX,
  type VerdictObject,
  type VerdictPlace,
  verdictObjectBody,
  verdictObjectKey,
} from '../../lambdas/domain/points/verdict-objects.js';
import { awsError } from './fakes.js';
import { type VerdictAnswers, verdictAnswers } from './s3-object-mock.js';

/** The objects a mocked S3 was given by PutObject (verdict objects among them), by key (their text as put). */
export interface VerdictStore {
  readonly bodies: Map<string, string>;
  /** The verdict object of `copyKey`, parsed; undefined when none was put. */
  of(copyKey: string): (VerdictObject & { attestation?: unknown }) | undefined;
  /** Puts a verdict as the verifier would (its own body), before the code under test runs. */
  seed(verdict: VerdictObject): void;
}

/**
 * Answers the verdict objects of `place` on a mocked S3 client from memory,
 * as S3 does for the verifier's verified put: PutObject stores the body,
 * GetObject of a verdict key answers it (NoSuchKey when none), HeadObject
 * answers its length and SHA-256 (S3's checksum, what the store's read-back
 * matches), and a delete of one is refused (the bucket's policy). A generic
 * serveObject (test/support/s3-object-mock.ts) registered later hands the
 * verdict keys here; other keys are the test's to answer. `bodies`: what
 * the bucket already holds (a store's, kept across an `s3.reset()`).
 */
export function serveVerdicts(s3: AwsStub<any, any, any>, place: VerdictPlace = 'dr', bodies = new Map<string, string>()): VerdictStore {
  const answers: VerdictAnswers = {
    get: async (input) => {
      const body = bodies.get(input.Key);
      if (body === undefined) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { Body: sdkStreamMixin(Readable.from([Buffer.from(body)])) };
    },
    head: async (input) => {
      const body = bodies.get(input.Key);
      if (body === undefined) throw awsError('NotFound', 'Not Found', 404);
      const bytes = Buffer.from(body);
      return { ContentLength: bytes.length, ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'), ChecksumType: 'FULL_OBJECT' };
    },
  };
  verdictAnswers.set(s3, answers);
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: Uint8Array | string }) => {
    bodies.set(input.Key, typeof input.Body === 'string' ? input.Body : Buffer.from(input.Body).toString('utf8'));
    return {};
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => (isVerdictObjectKey(input.Key) ? answers.get(input) : undefined));
  s3.on(HeadObjectCommand).callsFake(async (input: { Key: string }) => (isVerdictObjectKey(input.Key) ? answers.head(input) : undefined));
  s3.on(DeleteObjectCommand).callsFake(async (input: { Key: string }) => {
    if (isVerdictObjectKey(input.Key)) throw awsError('AccessDenied', 'Access Denied', 403);
    return {};
  });
  return {
    bodies,
    of: (copyKey) => {
      const body = bodies.get(verdictObjectKey(place, copyKey));
      return body === undefined ? undefined : JSON.parse(body);
    },
    seed: (verdict) => bodies.set(verdictObjectKey(place, verdict.replica.key), verdictObjectBody(verdict)),
  };
}

/**
 * The verdict object the verifier wrote with `tags` on `copyKey` (version
 * `versionId`, ETag `etag`): undefined when the tags carry no verdict, or an
 * `ok` without a readable summary (no verifier writes that). For fixtures
 * that set a copy's verdict by its tags, as the verifier leaves them.
 */
export function verdictOfTags(
  copyKey: string,
  tags: Readonly<Record<string, string>>,
  version: { readonly versionId: string; readonly etag: string; readonly size: number } = { versionId: 'v1', etag: `"${copyKey}"`, size: 1024 },
): VerdictObject | undefined {
  const verdict = tags['redis-dr:verified'];
  if (verdict !== 'ok' && verdict !== 'corrupt' && verdict !== 'unsupported') return undefined;
  const s = parseRdbSummary(tags['redis-dr:rdb']);
  if (verdict === 'ok' && (!s || s.error || s.unsupported)) return undefined;
  const failure = s?.error ?? s?.unsupported;
  return {
    verdict,
    replica: { key: copyKey, ...version },
    keys: {
      version: s?.version ?? 0,
      keys: s?.keys ?? 0,
      expires: s?.expires ?? 0,
      byType: verdict === 'ok' ? { ...s!.byType } : {},
      ...(verdict === 'ok' && s?.expiryHistogram ? { expiryHistogram: s.expiryHistogram } : {}),
      ...(verdict === 'ok' && s?.databases ? { databases: [...s.databases] } : {}),
      ...(verdict === 'ok' && s?.functionLibraries ? { functionLibraries: s.functionLibraries } : {}),
    },
    checkedAt: '2026-11-21T06:05:00.000Z',
    ...(verdict === 'ok' ? {} : { reason: failure ? `at byte ${failure.offset}: ${failure.message}` : 'checksum mismatch' }),
  };
}

/** The copy a verdict object's key is about (`redis-dr-verdicts/<copy key>.json`), or undefined for another key. */
export function copyKeyOfVerdict(key: string, place: VerdictPlace = 'dr'): string | undefined {
  const prefix = VERDICT_PREFIX[place];
  return key.startsWith(prefix) && key.endsWith('.json') ? key.slice(prefix.length, -'.json'.length) : undefined;
}

/**
 * S3's answers for fixtures that keep each copy as its tags (a map of key →
 * tags): every verdict tag there is the verifier's, its object written with
 * it ({@link verdictOfTags}), but for the copies `forged` names (a verdict
 * tag someone else put: no object). HeadObject of a copy answers version
 * `v1` and ETag `"<key>"`, what the objects name. Undefined: not a key
 * these answer (the caller's other handlers do).
 */
export function verdictAnswersOfTags(
  tagsOf: (key: string) => Readonly<Record<string, string>> | undefined,
  o: { readonly forged?: (key: string) => boolean; readonly place?: VerdictPlace } = {},
): { head(key: string): Promise<unknown> | undefined; get(key: string): Promise<unknown> | undefined } {
  const place = o.place ?? 'dr';
  const verdictBody = (key: string): string | undefined => {
    const copy = copyKeyOfVerdict(key, place);
    const tags = copy === undefined ? undefined : tagsOf(copy);
    if (copy === undefined || !tags || o.forged?.(copy)) return undefined;
    const verdict = verdictOfTags(copy, tags);
    return verdict ? verdictObjectBody(verdict) : undefined;
  };
  return {
    head: (key) => {
      if (isVerdictObjectKey(key)) {
        const body = verdictBody(key);
        return body === undefined ? Promise.reject(awsError('NotFound', 'Not Found', 404)) : Promise.resolve({ ContentLength: Buffer.byteLength(body) });
      }
      return tagsOf(key) ? Promise.resolve({ ContentLength: 1024, ETag: `"${key}"`, VersionId: 'v1' }) : undefined;
    },
    get: (key) => {
      if (!isVerdictObjectKey(key)) return undefined;
      const body = verdictBody(key);
      if (body === undefined) return Promise.reject(awsError('NoSuchKey', 'The specified key does not exist.', 404));
      return Promise.resolve({ Body: sdkStreamMixin(Readable.from([Buffer.from(body)])) });
    },
  };
}

/**
 * {@link verdictAnswersOfTags} on a mocked S3 client: GetObject and
 * HeadObject answered from the fixture's tags (other keys: NoSuchKey /
 * NotFound). For reader tests whose copies are maps of tags.
 */
export function serveVerdictsOfTags(
  s3: AwsStub<any, any, any>,
  tagsOf: (key: string) => Readonly<Record<string, string>> | undefined,
  o: { readonly forged?: (key: string) => boolean; readonly place?: VerdictPlace } = {},
): void {
  const answers = verdictAnswersOfTags(tagsOf, o);
  s3.on(HeadObjectCommand).callsFake(async (input: { Key: string }) => answers.head(input.Key) ?? Promise.reject(awsError('NotFound', 'Not Found', 404)));
  s3.on(GetObjectCommand).callsFake(
    async (input: { Key: string }) => answers.get(input.Key) ?? Promise.reject(awsError('NoSuchKey', 'The specified key does not exist.', 404)),
  );
}
