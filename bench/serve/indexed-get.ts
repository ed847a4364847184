/**
 * bench/serve/indexed-get: `GET` through `redis-benchmark -t get -c 20` on
 * a 200,000-key local file served **from its key index** (`<file>.keys`,
 * written by `backup`'s own writer), the path bench/serve/run.ts does not
 * take (it serves the file without an index). For a before/after of the
 * index's reader: run it in a build of each (its dist), alternating.
 *
 *   npx tsx bench/serve/indexed-get.ts [--keys 200000] [--requests 100000] [--rounds 3]
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FileBackupStore } from '../../lambdas/adapters/storage/backup-store.js';
import { BackupKeyIndex } from '../../lambdas/jobs/self-managed/backup-key-index.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags, median } from '../support.js';
import { keyName, writeGetDataset } from './get-dataset.js';
import { peakRssMiB, spawnServe } from './spawn-serve.js';

const { values: flags } = parseArgs({
  options: { keys: { type: 'string', default: '200000' }, requests: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } },
  strict: true,
});
const int = intFlags<'keys' | 'requests' | 'rounds'>(flags);
const keys = int('keys', 1, 100_000_000);
const requests = int('requests', 1000, 100_000_000);
const rounds = int('rounds', 1, 50);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function processCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-indexed-get-'));
  const name = 'rdr-bench-20300101-0000.rdb';
  const file = path.join(scratch, name);
  await writeGetDataset(keys, file);
  const index = new BackupKeyIndex(file);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) index.pushVerified(chunk as Buffer);
  log(await index.write(new FileBackupStore(scratch), name));
  const started = process.hrtime.bigint();
  const { child, port } = await spawnServe([file, '--port', '0']);
  try {
    const raw = await RawClient.open(port);
    const answer = await raw.call('GET', keyName(keys - 1));
    log(`first answer from the index: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s`);
    raw.close();
    if (!answer.includes(`value-${keys - 1}`)) throw new Error(`serve answered ${answer}`);
    const rows: { rps: number; p99Ms: number; cpuUs: number; load: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const cpu = processCpu(child.pid!);
      const csv = execFileSync('redis-benchmark', ['-p', String(port), '-t', 'get', '-c', '20', '-n', String(requests), '-r', String(keys), '--csv'], {
        encoding: 'utf8',
      });
      const row = csv
        .trim()
        .split('\n')
        .pop()!
        .split(',')
        .map((x) => x.replace(/"/g, ''));
      rows.push({ rps: Number(row[1]), p99Ms: Number(row[6]), cpuUs: Math.round(((processCpu(child.pid!) - cpu) * 1e6) / requests), load: os.loadavg()[0]! });
      log(`round ${round}: ${JSON.stringify(rows.at(-1))}`);
    }
    log(
      `median: ${median(rows.map((r) => r.rps))} req/s, p99 ${median(rows.map((r) => r.p99Ms))} ms, ${median(rows.map((r) => r.cpuUs))} µs CPU/request; serve's peak RSS ${Math.round(peakRssMiB(child.pid!))} MiB`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
