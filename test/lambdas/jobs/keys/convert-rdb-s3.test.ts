import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConvertProgress, type ConvertRdbResult, convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { ConvertInterrupted, type ConvertRdbRun, startConvertRdb } from '../../../../lambdas/jobs/keys/convert-rdb-set.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { requestsAfter, requestsSoFar, startMotoS3, type MotoS3, useMotoEndpoint } from '../../../support/moto.js';
import { stagedLeftovers } from '../../../support/temp-dirs.js';
import { populate } from '../../../support/rdb-dataset.js';
import { newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { viaS3Proxy } from '../../../support/s3-proxy.js';
import { cliWithFileLimit } from '../../../cli/support/run-cli.js';

/**
 * Issue 55 item 2: `convert-rdb -o s3://…`. The file is verified locally,
 * uploaded (S3's checksum matched), then read back from S3 through the
 * verifier and held key by key against the input before it counts as
 * stored; a real S3 API (moto), a real redis-server 7.0's file, and that
 * server loading what S3 holds.
 */
/**
 * The steps `told` went through, in order, each checked: told for `r`'s input, its bytes never going back, the input's
 * last of `inputSize` (its whole), every later step's last the output's bytes, its whole.
 */
function progressSteps(told: readonly ConvertProgress[], r: ConvertRdbResult, inputSize: number): string[] {
  const steps: string[] = [];
  for (const [i, p] of told.entries()) {
    expect(p.input).toBe(r.input);
    if (steps.at(-1) !== p.step) steps.push(p.step);
    else expect(p.bytes).toBeGreaterThanOrEqual(told[i - 1]!.bytes);
    const last = told[i + 1]?.step !== p.step;
    if (last) expect([p.bytes, p.total]).toEqual(p.step === 'input' ? [r.bytesIn, inputSize] : [r.bytesOut, r.bytesOut]);
  }
  return steps;
}

describe('convertRdb into s3://', () => {
  let moto: MotoS3;
  let source: RedisServer;
  let dir: string;
  let v11: string;
  let restore: () => void;
  const leftovers = () => stagedLeftovers('v10.rdb');
  const spec = (output: string, force = false) => ({ input: v11, output, ...convertTarget({ for: 'redis-7.0' }), force });
  const object = async (key: string): Promise<Buffer> => {
    const r = await moto.client.send(new GetObjectCommand({ Bucket: 'out', Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  };

  beforeAll(async () => {
    moto = await startMotoS3();
    await moto.bucket('out');
    restore = useMotoEndpoint(moto);
    source = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const c = source.client();
    await populate(c);
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-s3-'));
    v11 = join(dir, 'v11.rdb');
    writeFileSync(v11, newerFiles(readFileSync(await bgsave(source, c))).REDIS0011);
  }, 60_000);
  afterAll(async () => {
    restore?.();
    await Promise.all([moto?.stop(), source?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the object, read back and verified; redis-server 7.0 loads it with every key; no local file left', async () => {
    const told: ConvertProgress[] = [];
    const r = await convertRdb({ ...spec('s3://out/converted/v10.rdb'), onProgress: (p) => told.push(p) });
    expect(r.error).toBeUndefined();
    // Its progress, step by step: the input (of its size), then the output (of its size) read back, uploaded, read back from S3.
    expect(progressSteps(told, r, statSync(v11).size)).toEqual(['input', 'read-back', 'upload', 'stored read-back']);
    expect(r).toMatchObject({ ok: true, output: 's3://out/converted/v10.rdb', format: { magic: 'REDIS', version: 10 } });
    const stored = await object('converted/v10.rdb');
    expect(stored.subarray(0, 9).toString()).toBe('REDIS0010');
    expect(stored.length).toBe(r.bytesOut);
    const file = join(dir, 'from-s3.rdb');
    writeFileSync(file, stored);
    const loaded = await startRedisServer({ loadRdb: file });
    try {
      const keys = Object.values(
        await loaded
          .client()
          .info('keyspace')
          .then((t) => Object.fromEntries([...t.matchAll(/db(\d+):keys=(\d+)/g)].map((m) => [m[1], Number(m[2])]))),
      );
      expect(keys.reduce((a, b) => a + b, 0)).toBe(r.keys);
    } finally {
      await loaded.stop();
    }
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it("a key whose last segment is too long to name the local file (250 bytes: its temporary name beside it would pass 255): named by the segment's digest, stored and verified", async () => {
    const key = `converted/${'k'.repeat(246)}.rdb`;
    const r = await convertRdb(spec(`s3://out/${key}`));
    expect(r.error).toBeUndefined();
    expect((await object(key)).subarray(0, 9).toString()).toBe('REDIS0010');
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('an s3:// input (one object) into a local file: the output the same bytes as from the local input, redis-server 7.0 loads every key', async () => {
    // Issue 55 item 2, "<in> … may be local or s3://": until now only a recovery point's shard objects were converted from S3 in a test.
    await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: 'in/one.rdb', Body: readFileSync(v11) }));
    const fromS3 = join(dir, 'from-s3-input.rdb');
    const fromFile = join(dir, 'from-file-input.rdb');
    const told: ConvertProgress[] = [];
    const r = await convertRdb({ input: 's3://out/in/one.rdb', output: fromS3, ...convertTarget({ for: 'redis-7.0' }), onProgress: (p) => told.push(p) });
    expect(r.error).toBeUndefined();
    // The object's size from its HeadObject: the input step's whole.
    expect(progressSteps(told, r, statSync(v11).size)).toEqual(['input', 'read-back']);
    expect(r).toMatchObject({ ok: true, input: 's3://out/in/one.rdb', format: { magic: 'REDIS', version: 10 }, bytesIn: readFileSync(v11).length });
    expect(r.reencoded).toBeGreaterThan(0);
    const local = await convertRdb({ input: v11, output: fromFile, ...convertTarget({ for: 'redis-7.0' }) });
    expect(local.ok).toBe(true);
    expect(readFileSync(fromS3).equals(readFileSync(fromFile))).toBe(true);
    const loaded = await startRedisServer({ loadRdb: fromS3 });
    try {
      const info = await loaded.client().info('keyspace');
      const keys = [...info.matchAll(/db\d+:keys=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(keys).toBe(r.keys);
    } finally {
      await loaded.stop();
    }
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('the temporary file of an s3:// output not written (a file-size limit, as a full temporary folder): the line names that file and TMPDIR, not the bucket; nothing uploaded or left', async () => {
    // Before: 'writing s3://out/full/v10.rdb failed (a file-size limit (ulimit -f) was reached)', said of the bucket, no fix named.
    expect(readFileSync(v11).length).toBeGreaterThan(8192);
    const r = await cliWithFileLimit(4, 'convert-rdb', v11, '--for', 'redis-7.0', '-o', 's3://out/full/v10.rdb');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `redis-dr convert-rdb: writing the temporary file ${join(tmpdir(), 'redis-dr-convert-v10.rdb')} of s3://out/full/v10.rdb failed (a file-size limit (ulimit -f) was reached): ` +
        'it is written and verified there before the upload; set TMPDIR to a folder with room for the whole output; nothing was written to s3://out/full/v10.rdb\n',
    );
    const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: 'full/' }));
    expect(listed.KeyCount ?? 0).toBe(0);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('negative: an object there is refused without --force (usage, nothing read or written), replaced with it', async () => {
    await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: 'taken/v10.rdb', Body: 'not mine' }));
    await expect(convertRdb(spec('s3://out/taken/v10.rdb'))).rejects.toThrow(UsageError);
    await expect(convertRdb(spec('s3://out/taken/v10.rdb'))).rejects.toThrow(/the object exists; give --force/);
    expect((await object('taken/v10.rdb')).toString()).toBe('not mine');
    const r = await convertRdb(spec('s3://out/taken/v10.rdb', true));
    expect(r.ok).toBe(true);
    expect((await object('taken/v10.rdb')).subarray(0, 9).toString()).toBe('REDIS0010');
  }, 60_000);

  it('negative: no key, or a missing bucket: refused, nothing stored, no local file left', async () => {
    await expect(convertRdb(spec('s3://out/'))).rejects.toThrow(/not an S3 object; write it as s3:\/\/<bucket>\/<key>\.rdb/);
    // A missing bucket: a usage error naming the fix (exit 2), before anything is read or written.
    const missing = convertRdb(spec('s3://no-such-bucket-here/v10.rdb'));
    await expect(missing).rejects.toThrow(UsageError);
    await expect(missing).rejects.toThrow(
      '-o s3://no-such-bucket-here/v10.rdb: no such bucket no-such-bucket-here: check the bucket name (aws s3 ls lists yours); nothing was read or written',
    );
    // A key with an empty, "." or ".." part (the store refuses it at the put): refused before the conversion, even with --force,
    // naming the key meant (review 20: it ran the whole conversion, then died on a stream of the removed temporary file).
    for (const [output, meant] of [
      ['s3://out/a//v10.rdb', 's3://out/a/v10.rdb'],
      ['s3://out/a/./v10.rdb', 's3://out/a/v10.rdb'],
      ['s3://out/a/../v10.rdb', 's3://out/v10.rdb'],
    ]) {
      const refused = convertRdb(spec(output!, true));
      await expect(refused).rejects.toThrow(UsageError);
      await expect(refused).rejects.toThrow(`(redis-dr writes no such key); write it as ${meant}; nothing was read or written`);
    }
    // Another scheme is refused, not taken as a relative path beginning with it.
    await expect(convertRdb(spec('file:///tmp/x.rdb'))).rejects.toThrow(
      '-o file:///tmp/x.rdb: file:// is not an output redis-dr writes; give a local path (/tmp/x.rdb) or s3://<bucket>/<key>.rdb',
    );
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('negative: an output that is the input object is refused even with --force, the object left as it was', async () => {
    await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: 'in/v11.rdb', Body: readFileSync(v11) }));
    for (const output of ['s3://out/in/v11.rdb', 's3://out//in/v11.rdb'])
      await expect(convertRdb({ ...spec(output, true), input: 's3://out/in/v11.rdb' })).rejects.toThrow(/: that is the input; write the converted copy/);
    expect((await object('in/v11.rdb')).equals(readFileSync(v11))).toBe(true);
  }, 60_000);

  /**
   * S3 stores the PUT, and its answer is lost on the way (a proxy forwards the PUT to moto, then cuts the connection):
   * the SDK sends it again. Under If-None-Match the retry meets the run's own object (412); with --force every attempt
   * may be lost. The run tells its own object (its put's mark) from another writer's and reads it back as any put's.
   */
  describe('an upload whose answer is lost after S3 stored it', () => {
    const puts = (key: string) => (method: string, url: string) => method === 'PUT' && url.split('?')[0] === `/out/${key}`;
    /** The run's PUTs of `key` whose answers are cut: the first `n`. */
    const firstPuts = (key: string, n: number) => {
      let seen = 0;
      return (method: string, url: string) => puts(key)(method, url) && ++seen <= n;
    };

    it("the retry meets the run's own object (412): it is read back, verified and kept, not said to be another writer's", async () => {
      let sent = 0;
      const r = await viaS3Proxy(
        moto.endpoint,
        { cut: firstPuts('lost/v10.rdb', 1), onReply: (method, url) => void (puts('lost/v10.rdb')(method, url) && sent++) },
        () => convertRdb(spec('s3://out/lost/v10.rdb')),
      );
      // The first PUT stored and its answer cut; the SDK's second met the object (412).
      expect(sent).toBe(2);
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      const stored = await object('lost/v10.rdb');
      expect(stored.length).toBe(r.bytesOut);
      expect(stored.subarray(0, 9).toString()).toBe('REDIS0010');
      expect(leftovers()).toEqual([]);
    }, 60_000);

    it('with --force, every attempt\'s answer lost: the object S3 holds is the run\'s, verified and kept, not "nothing was written"', async () => {
      await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: 'lost-force/v10.rdb', Body: 'older' }));
      const r = await viaS3Proxy(moto.endpoint, { cut: puts('lost-force/v10.rdb') }, () => convertRdb(spec('s3://out/lost-force/v10.rdb', true)));
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect((await object('lost-force/v10.rdb')).length).toBe(r.bytesOut);
      expect(leftovers()).toEqual([]);
    }, 60_000);

    it('every answer lost and the object cannot be looked at (HEAD refused): the run says an unverified object may be there, not "nothing was written"', async () => {
      let put = false;
      const r = await viaS3Proxy(
        moto.endpoint,
        {
          cut: (method, url) => (put ||= puts('unsettled/v10.rdb')(method, url)) && method === 'PUT',
          refuse: (method) => put && method === 'HEAD',
        },
        () => convertRdb(spec('s3://out/unsettled/v10.rdb')),
      );
      expect(r.ok).toBe(false);
      const url = 's3://out/unsettled/v10.rdb';
      expect(r.error).toMatch(
        /^the upload of s3:\/\/out\/unsettled\/v10\.rdb failed \(.+; whether S3 stored it could not be told \(HeadObject: .+, HTTP 500\)\): /,
      );
      expect(r.error).toMatch(
        new RegExp(`: ${url.replace(/[./]/g, '\\$&')} may hold an object of this run, not verified: remove it, or run verify-rdb on it$`),
      );
      // What S3 holds: the run's object, which it could not verify.
      expect((await object('unsettled/v10.rdb')).length).toBe(r.bytesOut);
      expect(leftovers()).toEqual([]);
    }, 60_000);

    /**
     * A signal (the CLI's interrupt) while the answer of a PUT S3 has stored is on its way: the put is cut short, and
     * the object it left is looked for by its mark and removed; the run's words say so, not that it may be there.
     * `alsoRefuse`: requests refused after the cut (the object cannot be looked at).
     */
    const interruptedAtReply = async (key: string, alsoRefuse?: (method: string) => boolean) => {
      let run: ConvertRdbRun | undefined;
      let said: Promise<string | undefined> | undefined;
      let cut = false;
      await viaS3Proxy(
        moto.endpoint,
        {
          onReply: (method, url) => {
            if (!puts(key)(method, url) || said) return;
            cut = true;
            said = run!.interrupt();
          },
          refuse: (method) => cut && (alsoRefuse?.(method) ?? false),
        },
        async () => {
          run = startConvertRdb({ ...spec(`s3://out/${key}`), inputs: [v11] });
          await expect(run.done).rejects.toBeInstanceOf(ConvertInterrupted);
        },
      );
      return said;
    };

    it("a signal while a stored upload's answer is on its way: its object found by the put's mark and removed, and said so", async () => {
      const url = 's3://out/cut/v10.rdb';
      expect(await interruptedAtReply('cut/v10.rdb')).toBe(
        `no output was stored; the object S3 had stored of the upload under way (${url}) was removed, nothing of the run is left`,
      );
      await expect(object('cut/v10.rdb')).rejects.toThrow();
      expect(leftovers()).toEqual([]);
    }, 60_000);

    it('negative: the object cannot be looked at after the cut (HEAD refused): the run says it may hold an unverified object, and it does', async () => {
      const url = 's3://out/cut-unknown/v10.rdb';
      expect(await interruptedAtReply('cut-unknown/v10.rdb', (method) => method === 'HEAD')).toBe(
        `no output was stored; ${url}, whose upload was under way, may hold an object of this run, not verified: remove it, or run verify-rdb on it`,
      );
      expect((await object('cut-unknown/v10.rdb')).subarray(0, 9).toString()).toBe('REDIS0010');
    }, 60_000);

    it('a signal while the PUT is on its way to S3, not yet done there: the object it then stores is removed, not said to be absent', async () => {
      // The PUT is held at the proxy when the signal comes, and goes on to S3 once a HEAD of the key was answered (the
      // cut's look) or, when none comes while it is held, a moment later: a look that beats the PUT must not count.
      const key = 'cut-before/v10.rdb';
      let run: ConvertRdbRun | undefined;
      let said: Promise<string | undefined> | undefined;
      let release: () => void = () => undefined;
      let putDone: () => void = () => undefined;
      const stored = new Promise<void>((done) => {
        putDone = done;
      });
      await viaS3Proxy(
        moto.endpoint,
        {
          hold: (method, url) => {
            if (!puts(key)(method, url) || said) return undefined;
            said = run!.interrupt();
            return new Promise<void>((go) => {
              release = go;
              setTimeout(go, 2_000);
            });
          },
          onReply: (method, url) => {
            if (method === 'HEAD' && url.split('?')[0] === `/out/${key}`) release();
            if (puts(key)(method, url)) putDone();
          },
        },
        async () => {
          run = startConvertRdb({ ...spec(`s3://out/${key}`), inputs: [v11] });
          await expect(run.done).rejects.toBeInstanceOf(ConvertInterrupted);
          await stored; // S3 has done the PUT (the run may have ended before it did)
        },
      );
      const words = await said;
      const left = await object(key).then(
        () => true,
        () => false,
      );
      expect({ words, left }).toEqual({
        words: `no output was stored; the object S3 had stored of the upload under way (s3://out/${key}) was removed, nothing of the run is left`,
        left: false,
      });
      expect(leftovers()).toEqual([]);
    }, 60_000);

    it('negative: the PUT never reaches S3 (refused every time): nothing was written, the older object left as it was', async () => {
      await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: 'refused/v10.rdb', Body: 'older' }));
      const r = await viaS3Proxy(moto.endpoint, { refuse: puts('refused/v10.rdb') }, () => convertRdb(spec('s3://out/refused/v10.rdb', true)));
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^writing s3:\/\/out\/refused\/v10\.rdb failed \(.*\): nothing was written to s3:\/\/out\/refused\/v10\.rdb$/);
      expect((await object('refused/v10.rdb')).toString()).toBe('older');
      expect(leftovers()).toEqual([]);
    }, 60_000);
  });

  /**
   * `convert-rdb --dry-run -o s3://…`: the output checked by what needs no write (HeadBucket, HeadObject), the
   * conversion judged and its size counted, and nothing sent that writes: no object, no upload begun, no local
   * temporary file. A real S3 API (moto), whose request log shows every request the run made.
   */
  describe('--dry-run', () => {
    // Each output key is named for this block alone: a local temporary file of an s3:// output is redis-dr-convert-<its name>.
    const dryLeftovers = () => readdirSync(tmpdir()).filter((f) => f.includes('dry-s3-v10.rdb'));
    const keys = async () => ((await moto.client.send(new ListObjectsV2Command({ Bucket: 'out' }))).Contents ?? []).map((o) => o.Key).sort();
    /** The requests a run sent, each as its method and path. */
    const requestsOf = async (run: () => Promise<unknown>): Promise<string[]> => {
      const from = await requestsSoFar(moto);
      await run();
      return (await requestsAfter(moto, from)).map((line) => line.split(' ').slice(0, 2).join(' '));
    };

    it('only HEAD requests, no object, no local file; its size is the object the real run stores (negative: the real run PUTs)', async () => {
      const before = await keys();
      let dry: Awaited<ReturnType<typeof convertRdb>> | undefined;
      const dryRequests = await requestsOf(async () => {
        dry = await convertRdb({ ...spec('s3://out/dry/dry-s3-v10.rdb'), dryRun: true });
      });
      expect(dry?.error).toBeUndefined();
      expect(dry).toMatchObject({ ok: true, dryRun: true, output: 's3://out/dry/dry-s3-v10.rdb' });
      expect(dry?.outputChecked).toBe(
        '-o s3://out/dry/dry-s3-v10.rdb: the bucket is there (HeadBucket: it answered, or refused this caller) and no object at the key (HeadObject); not checked: the permission to write there (only a write tells)',
      );
      expect(dryRequests.length).toBeGreaterThan(0);
      expect(dryRequests.filter((r) => !r.startsWith('HEAD '))).toEqual([]);
      expect(await keys()).toEqual(before);
      expect(dryLeftovers()).toEqual([]);
      let real: Awaited<ReturnType<typeof convertRdb>> | undefined;
      const realRequests = await requestsOf(async () => {
        real = await convertRdb(spec('s3://out/dry/dry-s3-v10.rdb'));
      });
      expect(real?.ok).toBe(true);
      expect(realRequests.some((r) => r.startsWith('PUT '))).toBe(true);
      const stored = await moto.client.send(new GetObjectCommand({ Bucket: 'out', Key: 'dry/dry-s3-v10.rdb' }));
      expect((await stored.Body!.transformToByteArray()).length).toBe(dry!.bytesOut);
      expect(real?.bytesOut).toBe(dry!.bytesOut);
      expect(dryLeftovers()).toEqual([]);
    }, 60_000);

    it("an object there without --force: the real run's refusal said, the object untouched; with --force: ok, still untouched", async () => {
      await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: 'taken/dry-s3-v10.rdb', Body: 'not mine' }));
      const url = 's3://out/taken/dry-s3-v10.rdb';
      const dry = await convertRdb({ ...spec(url), dryRun: true });
      expect(dry.ok).toBe(false);
      expect(dry.error).toBe(
        `a real run refuses this output before reading the input: -o ${url}: the object exists; give --force to replace it, or another key`,
      );
      expect(dry.keys).toBeGreaterThan(0);
      const forced = await convertRdb({ ...spec(url, true), dryRun: true });
      expect(forced.error).toBeUndefined();
      expect(forced.outputChecked).toMatch(/and an object is at the key, which --force replaces;/);
      const object = await moto.client.send(new GetObjectCommand({ Bucket: 'out', Key: 'taken/dry-s3-v10.rdb' }));
      expect(await object.Body!.transformToString()).toBe('not mine');
      expect(dryLeftovers()).toEqual([]);
    }, 60_000);

    it('a missing bucket: the real run\'s refusal said (without its "nothing was read"), the input judged; negative: the bucket that is there passes', async () => {
      const dry = await convertRdb({ ...spec('s3://no-such-bucket-here/dry-s3-v10.rdb'), dryRun: true });
      expect(dry.ok).toBe(false);
      expect(dry.error).toBe(
        'a real run refuses this output before reading the input: -o s3://no-such-bucket-here/dry-s3-v10.rdb: no such bucket no-such-bucket-here: check the bucket name (aws s3 ls lists yours)',
      );
      expect(dry.inputReport?.ok).toBe(true);
      expect((await convertRdb({ ...spec('s3://out/dry-s3-v10.rdb'), dryRun: true })).ok).toBe(true);
      expect(dryLeftovers()).toEqual([]);
    }, 60_000);
  });
});
