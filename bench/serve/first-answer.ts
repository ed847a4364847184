/**
 * bench/serve/first-answer: how long `redis-dr serve` takes to its first
 * answer with and without the key index `backup` writes beside a verified
 * copy (`<file>.keys`), for a local file and an S3 object (a real S3 API on
 * this machine: moto, so no network between; a real bucket adds its
 * latency to every request). The built CLI is spawned, its `listening on`
 * line awaited and one GET sent; rounds alternate the order. The child's
 * CPU-seconds to that answer are read from /proc before it is stopped.
 * `--local-only`: the two local cases (no moto).
 *
 *   npx tsx bench/serve/first-answer.ts [--keys 200000] [--value-bytes 1000] [--rounds 3] [--local-only] [--out bench/serve/first-answer.json]
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FileBackupStore } from '../../lambdas/adapters/storage/backup-store.js';
import { S3BackupStore } from '../../lambdas/adapters/storage/backup-store-s3.js';
import { BackupKeyIndex } from '../../lambdas/jobs/self-managed/backup-key-index.js';
import { startMotoS3 } from '../../test/support/moto.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags, median } from '../support.js';
import { cpuSeconds, spawnServe } from './spawn-serve.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' },
    'value-bytes': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    'local-only': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(__dirname, 'first-answer.json') },
  },
  strict: true,
});
const int = intFlags<'keys' | 'value-bytes' | 'rounds'>(flags);
const keys = int('keys', 1, 100_000_000);
const valueBytes = int('value-bytes', 1, 100_000_000);
const rounds = int('rounds', 1, 50);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const keyName = (i: number): string => `key:${String(i).padStart(12, '0')}`;

/** Spawn → `listening on` → one GET answered, in seconds, and the child's CPU-seconds to then. */
async function firstAnswer(location: string, env: NodeJS.ProcessEnv): Promise<{ seconds: number; cpu: number }> {
  const started = process.hrtime.bigint();
  const { child, port } = await spawnServe([location, '--port', '0'], env);
  try {
    const raw = await RawClient.open(port);
    const answer = await raw.call('GET', keyName(keys - 1));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = cpuSeconds(child.pid!);
    raw.close();
    if (!answer.includes(`value-${keys - 1}`)) throw new Error(`serve answered ${answer.slice(0, 80)}`);
    return { seconds, cpu };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-first-answer-'));
  const writer = await startRedisServer();
  const c = writer.client();
  for (let i = 0; i < keys; i += 5_000) {
    const p = c.pipeline();
    // Random bytes: a repeated pad would compress (LZF) and leave a file far smaller than its values.
    for (let j = i; j < Math.min(keys, i + 5_000); j++) p.set(keyName(j), `value-${j}-${randomBytes(Math.max(1, valueBytes - 20) >> 1).toString('hex')}`);
    await p.exec();
  }
  await c.save();
  mkdirSync(path.join(scratch, 'plain'));
  mkdirSync(path.join(scratch, 'indexed'));
  const name = 'rdr-bench-20300101-0000.rdb';
  for (const d of ['plain', 'indexed']) copyFileSync(writer.rdbPath, path.join(scratch, d, name));
  await writer.stop();
  const bytes = statSync(path.join(scratch, 'plain', name)).size;
  log(`file: ${keys} keys, ${(bytes / 1e6).toFixed(1)} MB`);
  // backup's index, built from the bytes as backup writes them (here fed the file).
  const writeIndex = async (store: FileBackupStore | S3BackupStore, source?: { etag?: string; versionId?: string }): Promise<void> => {
    const index = new BackupKeyIndex(store.location(name));
    for await (const chunk of createReadStream(path.join(scratch, 'plain', name))) index.pushVerified(chunk as Buffer);
    // On S3, as the backup job writes it: naming the copy's object version, or serve reads the copy whole.
    await index.write(store, name, source);
  };
  await writeIndex(new FileBackupStore(path.join(scratch, 'indexed')));
  const indexBytes = statSync(path.join(scratch, 'indexed', `${name}.keys`)).size;

  const local: [string, string, NodeJS.ProcessEnv][] = [
    ['local, read whole', path.join(scratch, 'plain', name), {}],
    ['local, key index', path.join(scratch, 'indexed', name), {}],
  ];
  const moto = flags['local-only'] ? undefined : await startMotoS3();
  const cases = [...local];
  if (moto) {
    await moto.bucket('bench');
    const body = readFileSync(path.join(scratch, 'plain', name));
    let put: { ETag?: string; VersionId?: string } = {};
    for (const prefix of ['plain', 'indexed']) put = await moto.client.send(new PutObjectCommand({ Bucket: 'bench', Key: `${prefix}/${name}`, Body: body }));
    await writeIndex(new S3BackupStore(moto.newClient(), 'bench', 'indexed/'), { etag: put.ETag, versionId: put.VersionId });
    const s3Env = { AWS_ENDPOINT_URL_S3: moto.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    cases.push(['S3 (moto), read whole', `s3://bench/plain/${name}`, s3Env], ['S3 (moto), key index', `s3://bench/indexed/${name}`, s3Env]);
  }
  const times = new Map<string, number[]>(cases.map(([label]) => [label, []]));
  const cpus = new Map<string, number[]>(cases.map(([label]) => [label, []]));
  const loads: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? cases : [...cases].reverse();
    for (const [label, location, env] of order) {
      const { seconds, cpu } = await firstAnswer(location, env);
      times.get(label)!.push(seconds);
      cpus.get(label)!.push(cpu);
      log(`round ${round}: ${label}: ${seconds.toFixed(2)} s, ${cpu.toFixed(2)} CPU-s (load ${os.loadavg()[0]!.toFixed(1)})`);
    }
    loads.push(os.loadavg()[0]!);
  }
  await moto?.stop();
  rmSync(scratch, { recursive: true, force: true });
  const result = {
    at: new Date().toISOString(),
    keys,
    fileBytes: bytes,
    indexBytes,
    rounds,
    medians: Object.fromEntries([...times].map(([label, t]) => [label, median(t)])),
    times: Object.fromEntries(times),
    cpuSecondsMedians: Object.fromEntries([...cpus].map(([label, t]) => [label, median(t)])),
    cpuSeconds: Object.fromEntries(cpus),
    loadAverage: loads,
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    node: process.version,
  };
  writeFileSync(flags.out!, `${JSON.stringify(result, null, 2)}\n`);
  log(JSON.stringify(result.medians));
}

void main();
