/**
 * bench/serve/s3-sizes: the time to `redis-dr serve`'s first answer for an
 * indexed S3 copy (the key index `backup` and the DR verifier write beside
 * it), at growing file sizes, to show what the 10 GB target rests on: the
 * first answer needs the copy's HeadObject and CRC-64 trailer, the index's
 * HeadObject, footer and directory, one block and one value, whatever the
 * file's size; only the directory (about 1.6 bytes a key) grows with it.
 * The S3 API is moto on this machine (no network between: a real bucket adds
 * its latency to each of those requests). The built CLI is spawned, its
 * `listening on` line awaited and one GET of a random key sent; moto's log
 * counts the requests, /proc the serve process's peak RSS.
 *
 * moto 5.2 copies a whole object for each ranged GET, which grows with the
 * object: `--store files` serves the same files through a file-backed
 * stand-in for HeadObject and ranged GetObject (bench/serve/file-s3.ts).
 *
 *   npx tsx bench/serve/s3-sizes.ts [--sizes-mb 128,512,1024,2048] [--value-bytes 1000] [--rounds 3] [--store moto|files] [--out bench/serve/s3-sizes.json]
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FileBackupStore } from '../../lambdas/adapters/storage/backup-store.js';
import { S3BackupStore } from '../../lambdas/adapters/storage/backup-store-s3.js';
import { BackupKeyIndex } from '../../lambdas/jobs/self-managed/backup-key-index.js';
import { indexSourceMetadata } from '../../lambdas/domain/serve/index-source.js';
import { startMotoS3 } from '../../test/support/moto.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags, median } from '../support.js';
import { fileEtag, putMetadata, startFileS3 } from './file-s3.js';
import { peakRssMiB, spawnServe } from './spawn-serve.js';

const { values: flags } = parseArgs({
  options: {
    'sizes-mb': { type: 'string', default: '128,512,1024,2048' },
    'value-bytes': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    /** moto (a real S3 API), or files behind bench/serve/file-s3.ts (ranged reads in the time they take: see there). */
    store: { type: 'string', default: 'moto' },
    out: { type: 'string', default: path.join(__dirname, 's3-sizes.json') },
  },
  strict: true,
});
const int = intFlags<'value-bytes' | 'rounds'>(flags);
const valueBytes = int('value-bytes', 16, 1_000_000);
const rounds = int('rounds', 1, 50);
const sizesMb = flags['sizes-mb']!.split(',').map(Number);
if (sizesMb.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`--sizes-mb must be whole MB, comma-separated, got ${flags['sizes-mb']}`);
const store = flags.store!;
if (store !== 'moto' && store !== 'files') throw new Error(`--store must be moto or files, got ${store}`);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const keyName = (i: number): string => `key:${String(i).padStart(12, '0')}`;

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-s3-sizes-'));
  const moto = await startMotoS3();
  await moto.bucket('bench');
  const files = store === 'files' ? await startFileS3(scratch) : undefined;
  const requestLog = () => (files ? files.requests() : moto.requests());
  const s3Env = { AWS_ENDPOINT_URL_S3: files?.endpoint ?? moto.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const upload = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const writer = await startRedisServer();
  const c = writer.client();
  const name = 'rdr-bench-20300101-0000.rdb';
  const results: Record<string, unknown>[] = [];
  let keys = 0;
  try {
    for (const mb of sizesMb.sort((a, b) => a - b)) {
      // One server grows from size to size: each file holds the one before's keys and more.
      const want = Math.round((mb * 1e6) / (valueBytes + 40));
      for (let i = keys; i < want; i += 5_000) {
        const p = c.pipeline();
        // Random bytes: a repeated pad would compress (LZF) and leave a file far smaller than its values.
        for (let j = i; j < Math.min(want, i + 5_000); j++) p.set(keyName(j), `value-${j}-${randomBytes(Math.max(1, valueBytes - 20) >> 1).toString('hex')}`);
        await p.exec();
      }
      keys = want;
      await c.save();
      const file = path.join(scratch, name);
      copyFileSync(writer.rdbPath, file);
      const bytes = statSync(file).size;
      const prefix = `${mb}mb/`;
      // backup's index, built from the bytes as backup writes them (here fed the file), put beside the object.
      const index = new BackupKeyIndex(`s3://bench/${prefix}${name}`);
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) index.pushVerified(chunk as Buffer);
      let indexBytes: number;
      if (files) {
        const dir = path.join(scratch, 'bench', prefix);
        mkdirSync(dir, { recursive: true });
        renameSync(file, path.join(dir, name));
        await index.write(new FileBackupStore(dir), name);
        // As the backup job puts it on S3: the index names the copy's object version (its ETag), or serve reads the copy whole.
        putMetadata(path.join(dir, `${name}.keys`), indexSourceMetadata({ etag: fileEtag(path.join(dir, name)) }));
        indexBytes = statSync(path.join(dir, `${name}.keys`)).size;
      } else {
        // A buffer, not a stream, and no flexible checksum: moto 5.2 takes an aws-chunked stream of 500 MB in tens of minutes.
        const put = await upload.send(new PutObjectCommand({ Bucket: 'bench', Key: `${prefix}${name}`, Body: readFileSync(file) }));
        await index.write(new S3BackupStore(moto.newClient(), 'bench', prefix), name, { etag: put.ETag, versionId: put.VersionId });
        rmSync(file);
        indexBytes = (await moto.client.send(new HeadObjectCommand({ Bucket: 'bench', Key: `${prefix}${name}.keys` }))).ContentLength!;
      }
      const times: number[] = [];
      const rss: number[] = [];
      let requests: string[] = [];
      const loads: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        const target = Math.floor(Math.random() * keys);
        const before = requestLog().length;
        const started = process.hrtime.bigint();
        const { child, port } = await spawnServe([`s3://bench/${prefix}${name}`, '--port', '0'], s3Env);
        try {
          const raw = await RawClient.open(port);
          const answer = await raw.call('GET', keyName(target));
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          raw.close();
          if (!answer.includes(`value-${target}-`)) throw new Error(`serve answered ${answer.slice(0, 80)}`);
          times.push(seconds);
          rss.push(peakRssMiB(child.pid!));
        } finally {
          child.kill('SIGTERM');
        }
        await new Promise((r) => setTimeout(r, 300));
        requests = requestLog().slice(before);
        loads.push(os.loadavg()[0]!);
        log(
          `${mb} MB (${bytes} bytes, ${keys} keys): round ${round}: ${times.at(-1)!.toFixed(2)} s, peak RSS ${rss.at(-1)!.toFixed(1)} MiB, ${requests.length} requests`,
        );
      }
      const indexHead = requests.filter((r) => r.includes('.keys '));
      results.push({
        sizeMb: mb,
        fileBytes: bytes,
        keys,
        indexBytes,
        firstAnswerMedianSeconds: median(times),
        times,
        peakRssMedianMiB: median(rss),
        requestsOfLastRound: requests,
        indexRequests: indexHead.length,
        loadAverage: loads,
      });
      if (files) rmSync(path.join(scratch, 'bench', prefix), { recursive: true, force: true });
      else {
        await moto.client.send(new DeleteObjectCommand({ Bucket: 'bench', Key: `${prefix}${name}` }));
        await moto.client.send(new DeleteObjectCommand({ Bucket: 'bench', Key: `${prefix}${name}.keys` }));
      }
    }
  } finally {
    c.disconnect();
    upload.destroy();
    await writer.stop();
    await files?.close();
    await moto.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const result = {
    at: new Date().toISOString(),
    valueBytes,
    rounds,
    results,
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    node: process.version,
  };
  writeFileSync(flags.out!, `${JSON.stringify(result, null, 2)}\n`);
  for (const r of results)
    log(
      `${r.sizeMb} MB: first answer ${(r.firstAnswerMedianSeconds as number).toFixed(2)} s (median), peak RSS ${(r.peakRssMedianMiB as number).toFixed(1)} MiB`,
    );
}

void main();
