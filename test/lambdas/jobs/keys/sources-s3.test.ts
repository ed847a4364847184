import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySourceError, resolveRdbSources } from '../../../../lambdas/jobs/keys/sources.js';
import { runInProcess } from '../../../cli/support/in-process.js';
import { startMotoS3, type MotoS3, useMotoEndpoint } from '../../../support/moto.js';

const FIXTURE = join(__dirname, '..', '..', '..', 'fixtures', 'rdb', 'encodings.rdb');

/**
 * An `s3://` --from-rdb that names nothing readable is the operator's input
 * being wrong, as a missing local file is: `migrate` and `convert-rdb` say so
 * in one line and exit 2 (it was exit 1, "the job failed", before), naming a
 * missing bucket as a bucket, not as an object. A real S3 API (moto).
 */
describe('--from-rdb s3://… that names nothing readable', () => {
  let moto: MotoS3;
  let restore: () => void;

  beforeAll(async () => {
    moto = await startMotoS3();
    await moto.bucket('have');
    await moto.client.send(new PutObjectCommand({ Bucket: 'have', Key: 'points/real.rdb', Body: readFileSync(FIXTURE) }));
    await moto.client.send(new PutObjectCommand({ Bucket: 'have', Key: 'points/byhand-0001.rdb', Body: readFileSync(FIXTURE) }));
    restore = useMotoEndpoint(moto);
  }, 60_000);
  afterAll(async () => {
    restore?.();
    await moto?.stop();
  });

  const refusal = async (location: string): Promise<unknown> =>
    resolveRdbSources({ fromRdb: [location] }).then(
      () => undefined,
      (err: unknown) => err,
    );

  it.each([
    ['a missing bucket (an object)', 's3://nobucket/x.rdb', '--from-rdb s3://nobucket/x.rdb: no such bucket nobucket'],
    ['a missing bucket (an export name)', 's3://nobucket/snap', '--from-rdb s3://nobucket/snap: no such bucket nobucket'],
    ['a missing object', 's3://have/points/none.rdb', '--from-rdb s3://have/points/none.rdb: no such object'],
    [
      'an export name with no shards and no object',
      's3://have/points/snap',
      '--from-rdb s3://have/points/snap: no such object (and no snap-NNNN.rdb shard objects beside it)',
    ],
    [
      // An export made by hand (ElastiCache's console names it as the operator likes): its shard object named, not said to be absent (acc35).
      'an export name whose shard objects are there under a name no redis-dr export has',
      's3://have/points/byhand',
      "--from-rdb s3://have/points/byhand: no such object (1 object byhand-NNNN.rdb beside it, but byhand is not a redis-dr export's name, " +
        'rdr-<target>-<yyyymmdd>-<hhmm>, so they are not taken as one recovery point: give each object, s3://have/points/byhand-0001.rdb)',
    ],
  ])('%s: a KeySourceError naming the location and why', async (_what, location, message) => {
    const err = await refusal(location);
    expect(err).toBeInstanceOf(KeySourceError);
    expect((err as Error).message.startsWith(message)).toBe(true);
  });

  it('an object that is there resolves and reads (the negative case: the check refuses only what is missing)', async () => {
    const { files } = await resolveRdbSources({ fromRdb: ['s3://have/points/real.rdb'] });
    expect(files.map((f) => f.location)).toEqual(['s3://have/points/real.rdb']);
    let bytes = 0;
    for await (const chunk of files[0]!.open()) bytes += chunk.length;
    expect(bytes).toBe(readFileSync(FIXTURE).length);
  });

  it('migrate and convert-rdb: one line, exit 2, nothing written', async () => {
    const migrate = await runInProcess(['migrate', '--from-rdb', 's3://nobucket/x.rdb', '--to', 'redis://127.0.0.1:1']);
    expect(migrate.code).toBe(2);
    expect(migrate.stderr.trim().split('\n')).toEqual([
      'redis-dr: --from-rdb s3://nobucket/x.rdb: no such bucket nobucket: check the bucket name (aws s3 ls lists yours)',
    ]);
    const convert = await runInProcess(['convert-rdb', 's3://have/points/none.rdb', '--for', 'redis-7.0', '-o', 's3://have/out.rdb']);
    expect(convert.code).toBe(2);
    expect(convert.stderr.trim()).toBe('redis-dr: s3://have/points/none.rdb: no such object');
  });
});
