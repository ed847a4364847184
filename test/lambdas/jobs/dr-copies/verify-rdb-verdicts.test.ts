import { readFileSync } from 'node:fs';
import { GetObjectTaggingCommand, ListObjectsV2Command, PutObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { verifyStep, type VerifyDeps } from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { serveObject } from '../../../support/s3-object-mock.js';
import { serveVerdicts } from '../../../support/verdict-store.js';

/**
 * The DR verifier's verdict object when S3 does not hold what was put
 * (issue 53 item 3): the step fails (the state machine retries) and no tag is
 * written. Apart from verify-rdb.test.ts because the store's cleanup
 * DeleteObject here is refused by the DR bucket and never granted to the
 * role: that call is not one the IAM simulation should allow.
 */
const BUCKET = 'redis-dr-prod-123456789012-eu-central-1';
const KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';
const RDB = readFileSync(`${CORPUS_DIR}/hash-ziplist.rdb`);

describe('verify-rdb: the DR verdict object is stored only when read back', () => {
  const s3 = mockClient(S3Client);
  let deps: VerifyDeps;

  beforeEach(() => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    deps = {
      s3: new S3Client({ region: 'eu-central-1' }),
      metrics: new MemoryMetrics(),
      log: new MemoryLog(),
      clock: { now: () => 1_000 },
      deadline: Number.POSITIVE_INFINITY,
      alert: async () => undefined,
      where: { deployment: 'prod', region: 'eu-central-1' },
    };
  });

  it('fails the step when the verdict object is not read back as written, before any tag', async () => {
    serveVerdicts(s3);
    serveObject(s3, { bytes: RDB, etag: '"e1"', versionId: 'v1' });
    // S3 says it took the put, but holds nothing there (the read-back finds no object).
    s3.on(PutObjectCommand).resolves({});
    await expect(verifyStep({ event: event() }, deps)).rejects.toThrow(
      /verdict object s3:\/\/redis-dr-prod-123456789012-eu-central-1\/redis-dr-verdicts\/rdr-sessions-prod-20261121-0200-0001\.rdb\.json written but not read back as written/,
    );
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  it('writes the object, then the tags, when it is read back (the negative of the case above)', async () => {
    const store = serveVerdicts(s3);
    serveObject(s3, { bytes: RDB, etag: '"e1"', versionId: 'v1' });
    s3.on(PutObjectTaggingCommand).resolves({});
    await expect(verifyStep({ event: event() }, deps)).resolves.toMatchObject({ done: true, outcome: { verdict: 'ok' } });
    expect(store.of(KEY)).toMatchObject({ verdict: 'ok', replica: { versionId: 'v1', etag: '"e1"' } });
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(1);
  });
});

function event() {
  return {
    'detail-type': 'Object Created' as const,
    source: 'aws.s3' as const,
    detail: { bucket: { name: BUCKET }, object: { key: KEY, size: RDB.length, 'version-id': 'v1' } },
  };
}
