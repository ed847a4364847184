/**
 * `history` over an S3 destination whose backup object is replaced while it
 * is read (after its verifying read, before its key's value is fetched):
 * the reads are pinned to the ETag the point was opened at, so the value's
 * GET is refused (412); that point is a named hole in the history (exit 1
 * in the CLI), the other points are read. Real S3 API (moto) behind a proxy
 * that replaces the object once the verifying read has been answered.
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyHistoryOf } from '../../../../lambdas/jobs/serve/history.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { viaS3Proxy } from '../../../support/s3-proxy.js';

const POINTS = ['rdr-cache-20300101-0100.rdb', 'rdr-cache-20300101-0200.rdb'];
let moto: MotoS3;
let restoreCredentials: () => void;
let other: Buffer;
/** The second point's file as backed up. */
let second: Buffer;

/** The saved file of a redis-server holding `user:1` = `value`. */
async function rdbWith(value: string): Promise<Buffer> {
  const server = await startRedisServer();
  try {
    const c = server.client();
    await c.set('user:1', value);
    await c.save();
    c.disconnect();
    return readFileSync(server.rdbPath);
  } finally {
    await server.stop();
  }
}

beforeAll(async () => {
  moto = await startMotoS3();
  restoreCredentials = useMotoCredentials();
  await moto.bucket('backups');
  await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${POINTS[0]}`, Body: await rdbWith('v0') }));
  second = await rdbWith('v1');
  other = await rdbWith('another value, of another length');
}, 60_000);

afterAll(async () => {
  restoreCredentials?.();
  await moto?.stop();
});

it.each([
  ['its verifying read', 1],
  ["its key's value", 2],
])(
  'names a point whose object was replaced before %s as a hole, never reads on, and reads the other points (aud35)',
  async (_, after) => {
    await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${POINTS[1]}`, Body: second }));
    const changed = `/backups/prod/${POINTS[1]}?x-id=GetObject`;
    let gets = 0;
    let replaced: Promise<unknown> | undefined;
    const h = await viaS3Proxy(
      moto.endpoint,
      {
        // The second point's GETs: its trailer (the copy's identity for an index), its verifying read, its key's value.
        // Once the `after`-th is answered the object is replaced, before the next GET of it (held until then).
        onReply: (method, url) => {
          if (method === 'GET' && url === changed && ++gets === after)
            replaced = moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${POINTS[1]}`, Body: other }));
        },
        hold: (method, url) => (method === 'GET' && url === changed && gets >= after ? replaced : undefined),
      },
      () => keyHistoryOf({ from: 's3://backups/prod', key: Buffer.from('user:1') }),
    );
    expect(gets).toBe(after + 1);
    expect(h.points).toEqual([POINTS[0]]);
    expect(h.rows!.map((r) => [r.point, r.exists, r.change])).toEqual([[POINTS[0], true, 'first']]);
    expect(h.unreadable).toEqual([{ point: POINTS[1], why: expect.stringMatching(/changed/i) }]);
  },
  60_000,
);
