/**
 * bench/serve/s3-large: `redis-dr serve s3://…` over a ≥ 10 GB indexed copy
 * (issue 56's target: the first answer within 10 s of start for a 10 GB
 * indexed S3 copy, memory bounded). The S3 API is bench/serve/file-s3.ts, a
 * file-backed stand-in for HeadObject and ranged GetObject: moto 5.2 copies
 * the whole object for every ranged GET (seconds a GET at 1 GiB), so it
 * cannot hold a 10 GB object for this measure; the stand-in answers a range
 * in the time the range takes, as S3 does, with no network between (a real
 * bucket adds its latency to each request counted here).
 *
 * The RDB is written by the project's own writer (domain/rdb/write/rdb-file.ts,
 * as `convert-rdb` writes), not by a redis-server: a server would hold the
 * whole 10 GB in memory. A small file from the same generator is loaded by a
 * real redis-server first (DBSIZE and a GET checked), so the big one is
 * what a server reads. Its key index is built from the bytes as they are
 * written (backup's BackupKeyIndex: the pass the backup job runs), and put
 * beside it. Then per round the built CLI is spawned, its `listening on`
 * line awaited, one GET of a random key sent: the times to both, serve's
 * peak RSS (/proc VmHWM) and the stand-in's requests. The files are removed
 * at the end.
 *
 *   npx tsx bench/serve/s3-large.ts [--gb 10] [--value-bytes 1000] [--rounds 3] [--dir /tmp] [--out bench/serve/s3-large.json]
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FileBackupStore } from '../../lambdas/adapters/storage/backup-store.js';
import { BackupKeyIndex } from '../../lambdas/jobs/self-managed/backup-key-index.js';
import { indexSourceMetadata } from '../../lambdas/domain/serve/index-source.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { intFlags, median } from '../support.js';
import { fileEtag, putMetadata, startFileS3 } from './file-s3.js';
import { peakRssMiB, spawnServe } from './spawn-serve.js';
import { keyName, writeRdb } from './written-rdb.js';
import { RawClient } from '../../test/support/resp-raw.js';

const { values: flags } = parseArgs({
  options: {
    gb: { type: 'string', default: '10' },
    'value-bytes': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string', default: os.tmpdir() },
    out: { type: 'string', default: path.join(__dirname, 's3-large.json') },
  },
  strict: true,
});
const int = intFlags<'gb' | 'value-bytes' | 'rounds'>(flags);
const gb = int('gb', 1, 60);
const valueBytes = int('value-bytes', 64, 1_000_000);
const rounds = int('rounds', 1, 20);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const NAME = 'rdr-bench-20300101-0000.rdb';

/** A small file of the same generator, loaded by a real redis-server: its keys and a value as written. */
async function loadCheck(scratch: string): Promise<string> {
  const file = path.join(scratch, 'check.rdb');
  const fd = openSync(file, 'w');
  const keys = 20_000;
  writeRdb(keys, valueBytes, (c) => void writeSync(fd, c));
  closeSync(fd);
  const server = await startRedisServer({ loadRdb: file });
  const c = server.client();
  try {
    const size = await c.dbsize();
    const v = await c.getBuffer(keyName(12_345));
    if (size !== keys || !v?.subarray(0, 12).equals(Buffer.from('value-12345-')) || v.length !== valueBytes)
      throw new Error(`redis-server loaded ${size} keys (want ${keys}), ${keyName(12_345)} = ${v?.subarray(0, 20).toString('latin1')}…`);
    return `redis-server 7.0 loaded the generator's ${keys}-key file: DBSIZE ${size}, ${keyName(12_345)} ${v.length} bytes as written`;
  } finally {
    c.disconnect();
    await server.stop();
    rmSync(file, { force: true });
  }
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(flags.dir!, 'redis-dr-bench-s3-large-'));
  const files = await startFileS3(scratch);
  const s3Env = { AWS_ENDPOINT_URL_S3: files.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  try {
    const checked = await loadCheck(scratch);
    log(checked);
    const keys = Math.ceil((gb * 1e9) / (valueBytes + 21));
    const dir = path.join(scratch, 'bench', 'large');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, NAME);
    const url = `s3://bench/large/${NAME}`;
    // backup's index, from a verification of the bytes as they are written (the stored file is not read again for it).
    const index = new BackupKeyIndex(url);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const fd = openSync(file, 'w');
    const bytes = writeRdb(keys, valueBytes, (c) => {
      writeSync(fd, c);
      index.pushVerified(c);
    });
    closeSync(fd);
    await index.write(new FileBackupStore(dir), NAME);
    // As the backup job puts it on S3: the index names the copy's object version (its ETag), or serve reads the copy whole.
    putMetadata(path.join(dir, `${NAME}.keys`), indexSourceMetadata({ etag: fileEtag(file) }));
    const cpu = process.cpuUsage(cpu0);
    const built = {
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      loadAverage: os.loadavg()[0],
    };
    const indexBytes = statSync(path.join(dir, `${NAME}.keys`)).size;
    log(`${bytes} bytes, ${keys} keys, index ${indexBytes} bytes: written and indexed in ${built.seconds.toFixed(1)} s (${built.cpuSeconds.toFixed(1)} CPU-s)`);
    const measured: Record<string, unknown>[] = [];
    for (let round = 1; round <= rounds; round++) {
      const target = Math.floor(Math.random() * keys);
      const before = files.requests().length;
      const started = process.hrtime.bigint();
      const { child, port } = await spawnServe([url, '--port', '0'], s3Env);
      const listening = Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const raw = await RawClient.open(port);
        const answer = await raw.call('GET', keyName(target));
        const firstAnswer = Number(process.hrtime.bigint() - started) / 1e9;
        raw.close();
        if (!answer.includes(`value-${target}-`)) throw new Error(`serve answered ${answer.slice(0, 80)}`);
        const rss = peakRssMiB(child.pid!);
        await new Promise((r) => setTimeout(r, 200));
        const requests = files.requests().slice(before);
        measured.push({ round, target, listeningSeconds: listening, firstAnswerSeconds: firstAnswer, peakRssMiB: rss, requests, loadAverage: os.loadavg()[0] });
        log(
          `round ${round}: listening ${listening.toFixed(2)} s, first GET answered ${firstAnswer.toFixed(2)} s, peak RSS ${rss.toFixed(1)} MiB, ${requests.length} requests (load ${os.loadavg()[0]!.toFixed(1)})`,
        );
      } finally {
        child.kill('SIGTERM');
      }
    }
    const result = {
      at: new Date().toISOString(),
      store: 'bench/serve/file-s3.ts (file-backed stand-in for HeadObject and ranged GetObject; moto copies the whole object per ranged GET)',
      loadCheck: checked,
      fileBytes: bytes,
      keys,
      valueBytes,
      indexBytes,
      built,
      listeningMedianSeconds: median(measured.map((m) => m.listeningSeconds as number)),
      firstAnswerMedianSeconds: median(measured.map((m) => m.firstAnswerSeconds as number)),
      peakRssMedianMiB: median(measured.map((m) => m.peakRssMiB as number)),
      rounds: measured,
      nproc: os.availableParallelism(),
      cpu: os.cpus()[0]?.model,
      node: process.version,
    };
    writeFileSync(flags.out!, `${JSON.stringify(result, null, 2)}\n`);
    log(
      `${(bytes / 1e9).toFixed(2)} GB, ${keys} keys: listening ${result.listeningMedianSeconds.toFixed(2)} s, first answer ${result.firstAnswerMedianSeconds.toFixed(2)} s (medians), peak RSS ${result.peakRssMedianMiB.toFixed(1)} MiB`,
    );
  } finally {
    await files.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
