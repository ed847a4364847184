/**
 * What a point holds besides its keys (function libraries, module AUX data, Redis 8.6 key metadata), which `serve`
 * answers no command about and `compare` names under "not compared": said of an S3 copy opened from its key index
 * unread as of the same copy read whole (the index keeps it: index-file.ts Header.besidesKeys). An index written
 * before it keeps nothing, and compare then says it is not known.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { notComparedOf } from '../../../../lambdas/jobs/serve/compare-points.js';
import { BackupKeyIndex } from '../../../../lambdas/jobs/self-managed/backup-key-index.js';
import { writeBareIndexBeside } from '../../../support/key-index-beside.js';
import { str } from '../../../support/rdb-bytes.js';
import { frameFile, keyMetadata, moduleAux } from '../../../support/rdb-newer.js';
import { serveOverMoto } from '../../../support/serve-moto.js';

const served = serveOverMoto('redis-dr-serve-besides-');
const string = (name: string, value: string) => ({ db: 0, name, type: 0, object: Uint8Array.from(str(value)), expireAtMs: null });
/** One function library (FUNCTION2 and its code), module AUX data of search-ix, and a key carrying key metadata of the ignorable class BLES. */
const RDB = frameFile(
  'REDIS0013',
  [string('a', '1'), { ...string('b', '2'), meta: keyMetadata('BLES', true) }],
  [Uint8Array.from([0xf5, ...str('#!lua name=lib\nreturn 1')]), moduleAux('search-ix')],
);
const HELD = { functionLibraries: 1, moduleAux: ['search-ix'], keyMeta: { BLES: 1 } };

async function put(name: string): Promise<string | undefined> {
  return (await served.moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${name}`, Body: RDB }))).ETag;
}

describe('what a point holds besides its keys, from its key index', () => {
  it('an S3 copy opened from its index unread says it as the copy read whole does; compare names it', async () => {
    const etag = await put('indexed.rdb');
    const index = new BackupKeyIndex('s3://backups/prod/indexed.rdb');
    index.pushVerified(RDB);
    await index.write(new S3BackupStore(served.moto.newClient(), 'backups', 'prod/'), 'indexed.rdb', { etag });
    await put('whole.rdb');
    const indexed = await served.client('s3://backups/prod/indexed.rdb');
    expect(indexed.s.notes[0]).toContain('its key index');
    const whole = await served.client('s3://backups/prod/whole.rdb');
    expect(whole.s.notes[0]).toContain('read whole');
    expect(whole.s.besidesKeys).toEqual(HELD);
    expect(indexed.s.besidesKeys).toEqual(HELD);
    expect(notComparedOf('A', 's3://backups/prod/indexed.rdb', indexed.s)).toBe(
      "A (s3://backups/prod/indexed.rdb) holds 1 function library and module AUX data of search-ix and Redis 8.6 key metadata of class BLES (1 key) (the keys' values are compared, not their metadata), which compare does not compare (it compares keys): the other side may lack them",
    );
  });

  it('an index written before indexes kept it: not known, said so', async () => {
    const etag = await put('old.rdb');
    await writeBareIndexBeside(new S3BackupStore(served.moto.newClient(), 'backups', 'prod/'), 'old.rdb', RDB, etag!);
    const { s } = await served.client('s3://backups/prod/old.rdb');
    expect(s.notes[0]).toContain('its key index');
    expect(s.besidesKeys).toBeUndefined();
    expect(notComparedOf('A', 's3://backups/prod/old.rdb', s)).toMatch(/whether it holds function libraries, module AUX data or key metadata is not known/);
  });
});
