import { Readable } from 'node:stream';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { AwsStub } from 'aws-sdk-client-mock';
import { isVerdictObjectKey } from '../../lambdas/domain/points/verdict-objects.js';
import { awsError } from './fakes.js';

/** Answers GetObject and HeadObject of a verdict object key (test/support/verdict-store.ts registers one per stub). */
export interface VerdictAnswers {
  get(input: { Key: string }): Promise<unknown>;
  head(input: { Key: string }): Promise<unknown>;
}

/**
 * The verdict objects' answers of each mocked client: a generic serveObject
 * hands a verdict key to them (aws-sdk-client-mock matches inputs by value,
 * not by a predicate, so one handler per command serves both). None: the
 * bucket holds no verdict object.
 */
export const verdictAnswers = new WeakMap<object, VerdictAnswers>();

/** One object as the mocked S3 holds it now (replace `bytes`/`etag` to "upload a new version"). */
export interface ServedObject {
  /** Answer only for this key (several objects, one serveObject each). @default every key */
  readonly key?: string;
  bytes: Buffer;
  etag: string;
  versionId?: string;
  /** Its object tags: given, GetObjectTagging answers them (else the caller mocks that call). */
  tags?: Record<string, string>;
  /** When it landed (HeadObject's Last-Modified). @default none */
  lastModified?: Date;
}

/** What the mocked S3 saw and what it should do next. */
export interface ObjectServer {
  readonly object: ServedObject;
  /** Range headers of the GetObject calls, in order (`bytes=a-b`, or `full` without one). */
  readonly ranges: string[];
  /** Called before each ranged GET is answered: throw to inject a fault for that range. */
  fault?: (first: number, last: number) => void;
}

/**
 * Answers HeadObject, GetObjectTagging and (ranged) GetObject on a mocked S3 client from one
 * in-memory object, as S3 does: `Range: bytes=a-b` gets 206 bytes with a
 * Content-Range, `If-Match` with another ETag gets 412 PreconditionFailed,
 * and a VersionId other than the object's gets NoSuchVersion. Bodies are
 * real Node streams with the SDK's stream mixin. Without `key`, every key
 * but a verdict object's (test/support/verdict-store.ts answers those).
 */
export function serveObject(s3: AwsStub<any, any, any>, object: ServedObject): ObjectServer {
  const server: ObjectServer = { object, ranges: [] };
  const which = object.key === undefined ? undefined : { Key: object.key };
  // A verdict object's key, asked of the generic object: the verdict store's answer (NoSuchKey/NotFound without one).
  const verdict = (input: { Key?: string }, command: 'get' | 'head'): Promise<unknown> | undefined => {
    if (object.key !== undefined || typeof input.Key !== 'string' || !isVerdictObjectKey(input.Key)) return undefined;
    const answers = verdictAnswers.get(s3);
    if (answers) return answers[command](input as { Key: string });
    return Promise.reject(command === 'get' ? awsError('NoSuchKey', 'The specified key does not exist.', 404) : awsError('NotFound', 'Not Found', 404));
  };
  const check = (input: { VersionId?: string }) => {
    if (input.VersionId !== undefined && input.VersionId !== server.object.versionId)
      throw awsError('NoSuchVersion', 'The specified version does not exist.', 404);
  };
  s3.on(HeadObjectCommand, which).callsFake(async (input: { Key?: string; VersionId?: string }) => {
    const answer = verdict(input, 'head');
    if (answer) return answer;
    check(input);
    const { bytes, etag, versionId, lastModified } = server.object;
    return { ContentLength: bytes.length, ETag: etag, VersionId: versionId, ...(lastModified ? { LastModified: lastModified } : {}) };
  });
  if (object.tags !== undefined) {
    s3.on(GetObjectTaggingCommand, which).callsFake(async () => ({
      TagSet: Object.entries(server.object.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }));
  }
  s3.on(GetObjectCommand, which).callsFake(async (input: { Key?: string; VersionId?: string; Range?: string; IfMatch?: string }) => {
    const answer = verdict(input, 'get');
    if (answer) return answer;
    check(input);
    const { bytes } = server.object;
    server.ranges.push(input.Range ?? 'full');
    const m = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    const first = m ? Number(m[1]) : 0;
    const last = m ? Math.min(Number(m[2]), bytes.length - 1) : bytes.length - 1;
    server.fault?.(first, last);
    if (input.IfMatch !== undefined && input.IfMatch !== server.object.etag)
      throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
    const slice = bytes.subarray(first, last + 1);
    return {
      Body: sdkStreamMixin(Readable.from([slice])),
      ContentLength: slice.length,
      ...(m ? { ContentRange: `bytes ${first}-${last}/${bytes.length}` } : {}),
      ETag: server.object.etag,
      VersionId: server.object.versionId,
    };
  });
  return server;
}
