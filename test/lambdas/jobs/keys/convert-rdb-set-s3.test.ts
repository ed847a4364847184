import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportObjectKey, exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import { convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { type ConvertPointResult, convertRdbPoint, isPointResult, startConvertRdb } from '../../../../lambdas/jobs/keys/convert-rdb-set.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { startMotoS3, type MotoS3, useMotoEndpoint } from '../../../support/moto.js';
import { stagedLeftovers } from '../../../support/temp-dirs.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { viaS3Proxy } from '../../../support/s3-proxy.js';
import { type ShardPoint, shardPoint } from '../../../support/shard-point.js';
import { writeBigStringFile } from '../../../support/big-string-file.js';

/**
 * `convert-rdb s3://bucket/<export name> -o s3://bucket/<prefix>/`: the shard objects of a recovery point as the
 * export stores them (tagged with their shard and the count), each converted, verified, and only once every one is,
 * uploaded and read back; a shard that fails then takes back the objects already uploaded. A real S3 API (moto).
 */
const ROOT = join(__dirname, '..', '..', '..', '..');

describe('convert-rdb of a recovery point in S3, into S3', () => {
  const name = 'rdr-orders-20261127-0210';
  let moto: MotoS3;
  let point: ShardPoint;
  let restore: () => void;
  const input = `s3://points/exports/${name}`;
  const spec = (output: string, more: Record<string, unknown> = {}) => ({ inputs: [input], output, ...convertTarget({ for: 'redis-6.2' }), ...more });
  const keys = async (prefix: string) =>
    ((await moto.client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
  const object = async (key: string): Promise<Buffer> =>
    Buffer.from(await (await moto.client.send(new GetObjectCommand({ Bucket: 'out', Key: key }))).Body!.transformToByteArray());
  const names = (prefix: string) => [1, 2, 3].map((s) => `${prefix}${exportObjectKey(name, s)}`);
  // The local temporary file of an s3:// output is redis-dr-convert-<its name> in the temporary folder.
  const leftovers = () => stagedLeftovers(name);
  const asPoint = (r: Awaited<ReturnType<typeof convertRdbPoint>>): ConvertPointResult => {
    if (!isPointResult(r)) throw new Error('a one-file result');
    return r;
  };

  /** The shard files as the export stores them in s3://points/exports/, each tagged with its shard, the count and `slots[i]`. */
  const upload = async (exportName: string, slots: readonly string[]) => {
    for (const [i, file] of point.files.entries()) {
      const tags = exportObjectTags({ tier: 'daily', plan: 'orders', snapshot: exportName, createdAt: new Date(), shard: i + 1, shards: 3, slots: slots[i] });
      await moto.client.send(
        new PutObjectCommand({
          Bucket: 'points',
          Key: `exports/${exportObjectKey(exportName, i + 1)}`,
          Body: readFileSync(file),
          Tagging: new URLSearchParams(tags).toString(),
        }),
      );
    }
  };

  beforeAll(async () => {
    // One after the other: a cluster node's bus port (its port + 10000) could be the one moto just took.
    point = await shardPoint(name);
    moto = await startMotoS3();
    await moto.bucket('points');
    await moto.bucket('out');
    restore = useMotoEndpoint(moto);
    await upload(name, point.slots);
  }, 120_000);
  afterAll(async () => {
    restore?.();
    await moto?.stop();
    if (point) rmSync(point.dir, { recursive: true, force: true });
  });

  it('every shard object converted into the prefix under its name (the count from the tags); redis-server 7.0 loads each with its keys', async () => {
    const r = asPoint(await convertRdbPoint(spec('s3://out/seed/')));
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, shards: 3, exportName: name, output: 's3://out/seed/' });
    expect(r.files.map((f) => [f.input, f.output])).toEqual(
      [1, 2, 3].map((s) => [`s3://points/exports/${exportObjectKey(name, s)}`, `s3://out/seed/${exportObjectKey(name, s)}`]),
    );
    expect(await keys('seed/')).toEqual(names('seed/'));
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-set-s3-'));
    try {
      for (const [i, key] of names('seed/').entries()) {
        const bytes = await object(key);
        expect(bytes.length).toBe(r.files[i]!.bytesOut);
        const file = join(dir, `${i}.rdb`);
        writeFileSync(file, bytes);
        const loaded = await startRedisServer({ loadRdb: file });
        try {
          expect(await loaded.client().dbsize()).toBe(point.keys[i]);
        } finally {
          await loaded.stop();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("an object appears at shard 3's key once every shard is converted: its upload fails, the objects of shards 1 and 2 already uploaded are removed, that object left", async () => {
    const r = asPoint(
      await convertRdbPoint(
        spec('s3://out/raced/', {
          onShard: async (shard: number, stage: string) => {
            if (shard === 3 && stage === 'converted')
              await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: `raced/${exportObjectKey(name, 3)}`, Body: 'not the run' }));
          },
        }),
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.error).toBe(
      `shard 3 of 3, s3://points/exports/${exportObjectKey(name, 3)}: an object appeared at s3://out/raced/${exportObjectKey(name, 3)} during the run ` +
        '(give --force to replace it): it was left as it is; the 2 shard outputs already stored were removed, nothing of the run is left',
    );
    // Each shard says so: none kept (shards 1 and 2 verified and stored, then taken back).
    expect(r.files.map((f) => f.ok)).toEqual([false, false, false]);
    expect(r.files[0]!.error).toBe('converted and verified, but not kept: the run stores every shard or none, and it failed (see its error)');
    expect(await keys('raced/')).toEqual([`raced/${exportObjectKey(name, 3)}`]);
    expect((await object(`raced/${exportObjectKey(name, 3)}`)).toString()).toBe('not the run');
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("shard 1's object replaced by another writer once stored, then shard 3's upload fails: shard 2's object removed, the other writer's left as found and named", async () => {
    const r = asPoint(
      await convertRdbPoint(
        spec('s3://out/replaced/', {
          onShard: async (shard: number, stage: string) => {
            if (shard === 1 && stage === 'stored')
              await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: `replaced/${exportObjectKey(name, 1)}`, Body: 'another writer' }));
            if (shard === 3 && stage === 'converted')
              await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: `replaced/${exportObjectKey(name, 3)}`, Body: 'not the run' }));
          },
        }),
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.error).toBe(
      `shard 3 of 3, s3://points/exports/${exportObjectKey(name, 3)}: an object appeared at s3://out/replaced/${exportObjectKey(name, 3)} during the run ` +
        `(give --force to replace it): it was left as it is; of the 2 shard outputs already stored, 1 was removed and s3://out/replaced/${exportObjectKey(name, 1)} ` +
        'was replaced by another writer meanwhile (left as found), nothing of the run is left',
    );
    expect(await keys('replaced/')).toEqual([`replaced/${exportObjectKey(name, 1)}`, `replaced/${exportObjectKey(name, 3)}`]);
    expect((await object(`replaced/${exportObjectKey(name, 1)}`)).toString()).toBe('another writer');
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("objects whose tags give shards 1 and 2 each other's slots: refused by the first key outside its shard's slots, nothing uploaded", async () => {
    const swapped = 'rdr-swapped-20261127-0210';
    const slotsOf = [point.slots[1]!, point.slots[0]!, point.slots[2]!];
    await upload(swapped, slotsOf);
    const r = asPoint(await convertRdbPoint({ ...spec('s3://out/swapped/'), inputs: [`s3://points/exports/${swapped}`] }));
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(
      new RegExp(
        `^the files are refused: s3://points/exports/${exportObjectKey(swapped, 1)} holds a key of hash slot \\d+, outside the slots its shard served \\(${slotsOf[0]}\\); nothing of the run was left at s3://out/swapped/$`,
      ),
    );
    expect(await keys('swapped/')).toEqual([]);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it("an object at shard 2's key: refused before any input is read (usage), nothing uploaded; negative: with --force all three stored", async () => {
    await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: `taken/${exportObjectKey(name, 2)}`, Body: 'mine' }));
    let read = 0;
    const refused = convertRdbPoint(spec('s3://out/taken/', { onProgress: () => read++ }));
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(
      `-o s3://out/taken/${exportObjectKey(name, 2)}: the object exists; give --force to replace it, or another key (1 of the 3 shard outputs refused; nothing was read or written)`,
    );
    expect(read).toBe(0);
    expect(await keys('taken/')).toEqual([`taken/${exportObjectKey(name, 2)}`]);
    const forced = asPoint(await convertRdbPoint(spec('s3://out/taken/', { force: true })));
    expect(forced.error).toBeUndefined();
    expect(await keys('taken/')).toEqual(names('taken/'));
    expect((await object(`taken/${exportObjectKey(name, 2)}`)).subarray(0, 9).toString()).toBe('REDIS0009');
  }, 120_000);

  it('interrupted once shard 2 is uploaded: the objects uploaded are removed, then it says so', async () => {
    let said: Promise<string | undefined> | undefined;
    const run = startConvertRdb({
      ...spec('s3://out/stopped/'),
      onShard: (shard, stage) => {
        if (shard === 2 && stage === 'stored') said = run.interrupt();
      },
    });
    await expect(run.done).rejects.toThrow('interrupted');
    expect(await said).toBe('the 2 shard outputs already stored were removed, nothing of the run is left');
    expect(await keys('stopped/')).toEqual([]);
    expect(leftovers()).toEqual([]);
  }, 120_000);
  /** `f` with the run's S3 requests through a proxy in front of moto (test/support/s3-proxy.ts). */
  const viaProxy = <T>(
    onReply: (method: string, url: string) => void,
    f: () => Promise<T>,
    refuse: (method: string, url: string) => boolean = () => false,
  ): Promise<T> => viaS3Proxy(moto.endpoint, { onReply, refuse }, f);

  it('interrupted while a failed store takes back the objects already uploaded: the interrupt says what was taken back, not nothing', async () => {
    // The signal lands as the run's first DeleteObject is answered (shard 3's upload refused, shards 1 and 2 being taken
    // back), after every put (an abort during a put throws: another path).
    let said: Promise<string | undefined> | undefined;
    let run: ReturnType<typeof startConvertRdb> | undefined;
    await viaProxy(
      (method) => {
        if (method === 'DELETE' && said === undefined) said = run!.interrupt();
      },
      async () => {
        run = startConvertRdb({
          ...spec('s3://out/undone/'),
          onShard: async (shard, stage) => {
            if (shard === 3 && stage === 'converted')
              await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: `undone/${exportObjectKey(name, 3)}`, Body: 'not the run' }));
          },
        });
        const r = asPoint(await run.done);
        expect(r.ok).toBe(false);
      },
    );
    expect(said).toBeDefined();
    expect(await said).toBe('the 2 shard outputs already stored were removed, nothing of the run is left');
    expect(await keys('undone/')).toEqual([`undone/${exportObjectKey(name, 3)}`]);
  }, 120_000);

  /** Interrupted once S3 has stored shard 2's object but before its answer came back (`refuseAfter`: refused after the cut). */
  const interruptedAtShard2 = async (prefix: string, refuseAfter: (method: string) => boolean = () => false) => {
    let said: Promise<string | undefined> | undefined;
    let run: ReturnType<typeof startConvertRdb> | undefined;
    await viaProxy(
      (method, url) => {
        if (method === 'PUT' && url.includes(`${prefix}${exportObjectKey(name, 2)}`) && said === undefined) said = run!.interrupt();
      },
      async () => {
        run = startConvertRdb(spec(`s3://out/${prefix}`));
        await expect(run.done).rejects.toThrow('interrupted');
      },
      (method) => said !== undefined && refuseAfter(method),
    );
    expect(said).toBeDefined();
    return said;
  };

  it("interrupted once S3 has stored shard 2's object but before its answer came back: the object is found by the put's mark and removed, and said so", async () => {
    const said = await interruptedAtShard2('cut/');
    expect(await keys('cut/')).toEqual([]);
    expect(await said).toBe(
      `the shard output already stored was removed; the object S3 had stored of the upload under way (s3://out/cut/${exportObjectKey(name, 2)}) was removed, nothing of the run is left`,
    );
  }, 120_000);

  it('negative: the same, and the object cannot be looked at (HEAD refused): it is left, and named as maybe holding an unverified object, not "nothing is left"', async () => {
    const shard2 = exportObjectKey(name, 2);
    const said = await interruptedAtShard2('cut-unknown/', (method) => method === 'HEAD');
    // What S3 holds: shard 1 taken back; shard 2's object stored by a put whose answer the run never saw.
    expect(await keys('cut-unknown/')).toEqual([`cut-unknown/${shard2}`]);
    expect(await said).toBe(
      `the shard output already stored was removed, s3://out/cut-unknown/${shard2}, whose upload was under way, may hold an object of this run, not verified: remove it, or run verify-rdb on it`,
    );
  }, 120_000);

  it("--force over older objects, then shard 3's upload fails: the older objects shards 1 and 2 replaced are said to be gone, not passed over", async () => {
    for (let i = 1; i <= 3; i++) await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: `older/${exportObjectKey(name, i)}`, Body: `older ${i}` }));
    const r = asPoint(
      await viaProxy(
        () => undefined,
        () => convertRdbPoint(spec('s3://out/older/', { force: true })),
        (method, url) => method === 'PUT' && url.includes(`older/${exportObjectKey(name, 3)}`),
      ),
    );
    expect(r.ok).toBe(false);
    const [one, two] = [1, 2].map((i) => `s3://out/older/${exportObjectKey(name, i)}`);
    expect(r.error).toMatch(
      new RegExp(
        `the 2 shard outputs already stored were removed, nothing of the run is left; the objects at ${one}, ${two} before the run, which --force replaced, are gone \\(S3 kept no copy of them\\)$`,
      ),
    );
    // What S3 holds: shard 3's older object (its upload refused); those of shards 1 and 2 went with the run's.
    expect(await keys('older/')).toEqual([`older/${exportObjectKey(name, 3)}`]);
    // Negative: without an older object at the keys, nothing is said to be gone.
    const fresh = asPoint(
      await viaProxy(
        () => undefined,
        () => convertRdbPoint(spec('s3://out/fresh/', { force: true })),
        (method, url) => method === 'PUT' && url.includes(`fresh/${exportObjectKey(name, 3)}`),
      ),
    );
    expect(fresh.error).toMatch(/the 2 shard outputs already stored were removed, nothing of the run is left$/);
  }, 120_000);

  it("shard 3's upload answered never and its object not to be looked at: the run names what it may have left there, not 'nothing of the run is left'", async () => {
    const key = `unsettled/${exportObjectKey(name, 3)}`;
    let put = false;
    const r = asPoint(
      await viaS3Proxy(
        moto.endpoint,
        {
          // Every PUT of shard 3 stored and its answer cut; the HEADs of that key after it refused (500).
          cut: (method, url) => (put ||= method === 'PUT' && url.split('?')[0] === `/out/${key}`) && method === 'PUT' && url.split('?')[0] === `/out/${key}`,
          refuse: (method, url) => put && method === 'HEAD' && url.split('?')[0] === `/out/${key}`,
        },
        () => convertRdbPoint(spec('s3://out/unsettled/')),
      ),
    );
    expect(r.ok).toBe(false);
    const url = `s3://out/${key}`;
    expect(r.error).toContain(`: ${url} may hold an object of this run, not verified: remove it, or run verify-rdb on it; `);
    expect(r.error).toMatch(/; the 2 shard outputs already stored were removed, what s3:\/\/out\/unsettled\/\S+ may hold of this run is left as said$/);
    // Negative of the false word: the object is there.
    expect(await keys('unsettled/')).toEqual([key]);
  }, 120_000);

  it("shard 3's object cannot be read back nor removed (its GETs and DELETEs refused): the run names it as left, not 'nothing of the run is left'", async () => {
    const key = `unremoved/${exportObjectKey(name, 3)}`;
    const url = `s3://out/${key}`;
    const r = asPoint(
      await viaProxy(
        () => undefined,
        () => convertRdbPoint(spec('s3://out/unremoved/')),
        (method, path) => (method === 'GET' || method === 'DELETE') && path.split('?')[0] === `/out/${key}`,
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.error).toContain(`: it could not be removed (`);
    expect(r.error).toMatch(
      new RegExp(
        `remove ${url.replace(/[./]/g, '\\$&')}, it is not verified; the 2 shard outputs already stored were removed, what ${url.replace(/[./]/g, '\\$&')} may hold of this run is left as said$`,
      ),
    );
    expect(await keys('unremoved/')).toEqual([key]);
  }, 120_000);

  it('a real SIGTERM once shard 1 is uploaded (the CLI): the objects uploaded removed, then one line, exit 143; no object, upload or temporary file left', async () => {
    // Shards of 14.4 MB each (a small string and one of random bytes, the keys of each shard in one slot): an upload and its
    // read-back take long enough for the signal to land among them. Of 500,000 listpack sets each, as they were (the same
    // bytes to upload), the child re-encoded all 1,500,000 keys before its first upload: the case cost 6.0-6.9 CPU-s with
    // the file's beforeAll, 2.7-2.9 so (the file 8.7-9.3 -> 6.5-6.6), pinned to one CPU. Signalled after shard 1 still (4
    // of 4 runs beside a busy loop on that CPU).
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-set-s3-sig-'));
    const big = 'rdr-big-20261127-0210';
    try {
      for (let s = 1; s <= 3; s++) writeBigStringFile(join(dir, exportObjectKey(big, s)), 14_400_000, { small: `{s${s}}:a`, big: `{s${s}}:big` });
      const child = spawn(
        process.execPath,
        ['bin/redis-dr.cjs', 'convert-rdb', join(dir, big), '--shards', '3', '--for', 'redis-6.2', '-o', 's3://out/signalled/'],
        { cwd: ROOT, env: process.env },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      const deadline = Date.now() + 60_000;
      let listed: string[] = [];
      while ((listed = await keys('signalled/')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Shard 1 first; on a loaded machine shard 2's may have come too before the listing answered (the line below allows
      // both), never shard 3's: the run would have ended. Listed again after the listing, it could hold more than it showed.
      expect(listed[0]).toBe(`signalled/${exportObjectKey(big, 1)}`);
      expect(listed.length).toBeLessThanOrEqual(2);
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      // The object listed may be one whose answer was still on its way to the CLI (its upload then cut short, the object
      // found by the put's mark and removed) or one the run had stored: nothing of the run is left either way.
      expect(stderr).toMatch(
        /^redis-dr convert-rdb: interrupted \(SIGTERM\): (the (shard output|2 shard outputs) already stored (was|were) removed|no shard output was stored; the object S3 had stored of the upload under way \(s3:\/\/out\/signalled\/rdr-big-20261127-0210-0001\.rdb\) was removed), nothing of the run is left\n$/,
      );
      expect(await keys('signalled/')).toEqual([]);
      expect((await moto.client.send(new ListMultipartUploadsCommand({ Bucket: 'out', Prefix: 'signalled/' }))).Uploads ?? []).toEqual([]);
      expect(readdirSync(tmpdir()).filter((f) => f.includes(`redis-dr-convert-${big}`))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
