/**
 * `migrate --from-rdb --verify` peak RSS per value type (issue 54 item 10; not a test, not part of `npm test`):
 *
 *   npx tsx bench/migrate/big-types.ts [--types list,stream,hash,set,zset,string,lz4-list,lz4-string,dbs]
 *       [--values 3] [--value-mb 60] [--element-bytes 1024] [--modes plain,verify] [--runs 1] [--files <dir>]
 *       [--out bench/migrate/big-types-results.json]
 *
 * Per type, a real redis-server 7.0 writes `--values` keys of `--value-mb` MB
 * of random bytes each (so neither LZF nor LZ4 shrinks them), in elements of
 * `--element-bytes` (list items, stream entry values, hash values, set and
 * zset members; a string is one value), then SAVE. `lz4-<type>` wraps that
 * file in Valkey 9.2's compressed envelope (`VKCS`, an LZ4 frame of 64 KB
 * independent blocks with block checksums: the `lz4` command, as Valkey
 * writes it). `dbs` spreads the list keys over databases 0, 3 and 15.
 * Each file goes through the whole command under /usr/bin/time into a fresh
 * empty target, per `--modes` (default `plain,verify`): `node bin/redis-dr.cjs
 * migrate --from-rdb <file> --to <target> --json`, and the same with `--verify`, `--runs` times each (a peak
 * moves with the collector's timing between runs). The bound is the issue's: 2 × the largest value + 100 MB.
 * `--files <dir>` keeps the generated files there and reuses them in a later run of the same shape (writing
 * 8 × 60 MB of elements takes longer than a run); without it they go with the run.
 * Exits 1 when a run fails, is not equal, or peaks over the bound.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type Redis from 'ioredis';
import { startRedisServer } from '../../test/support/redis-server.js';
import { gitDescription } from '../support.js';
import { migrateFromRdb } from './migrate-run.js';

const { values: flags } = parseArgs({
  options: {
    types: { type: 'string', default: 'string,list,stream,hash,set,zset,dbs,lz4-string,lz4-list' },
    values: { type: 'string', default: '3' },
    'value-mb': { type: 'string', default: '60' },
    'element-bytes': { type: 'string', default: '1024' },
    modes: { type: 'string', default: 'plain,verify' },
    runs: { type: 'string', default: '1' },
    files: { type: 'string' },
    out: { type: 'string', default: path.join(__dirname, 'big-types-results.json') },
  },
  strict: true,
});
const VALUES = Number(flags.values);
const VALUE_BYTES = Math.round(Number(flags['value-mb']) * 1e6);
const ELEMENT = Number(flags['element-bytes']);
const MB = 1e6;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

type Kind = 'string' | 'list' | 'stream' | 'hash' | 'set' | 'zset';

/** Writes one value of `kind` of VALUE_BYTES random bytes at `key`, in pipelines of 1,000 elements. */
async function writeValue(c: Redis, kind: Kind, key: string): Promise<void> {
  if (kind === 'string') return void (await c.set(key, randomBytes(VALUE_BYTES)));
  const elements = Math.ceil(VALUE_BYTES / ELEMENT);
  for (let from = 0; from < elements; from += 1000) {
    const p = c.pipeline();
    for (let i = from; i < Math.min(elements, from + 1000); i++) {
      const e = randomBytes(ELEMENT);
      if (kind === 'list') p.rpush(key, e);
      else if (kind === 'stream') p.xadd(key, '*', 'v', e);
      else if (kind === 'hash') p.hset(key, `f:${i}`, e);
      else if (kind === 'set') p.sadd(key, e);
      else p.zadd(key, i, e);
    }
    await p.exec();
  }
}

/** The file of a case, written by a real redis-server (and wrapped in the LZ4 envelope for `lz4-…`). */
async function generate(kase: string, into: string): Promise<void> {
  const lz4 = kase.startsWith('lz4-');
  const kind = (kase === 'dbs' ? 'list' : kase.replace(/^lz4-/, '')) as Kind;
  const server = await startRedisServer({ args: ['--databases', '16'] });
  try {
    const c = server.client();
    for (let i = 0; i < VALUES; i++) {
      if (kase === 'dbs') await c.select([0, 3, 15][i % 3]!);
      await writeValue(c, kind, `big:${kind}:${i}`);
    }
    await c.save();
    const dump = path.join(server.dir, 'dump.rdb');
    if (!lz4) return void copyFileSync(dump, into);
    // As Valkey 9.2 writes it (rdbcompression lz4): the envelope, then 64 KB independent blocks with checksums.
    const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc', dump], { maxBuffer: 1 << 30 });
    writeFileSync(into, Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]));
  } finally {
    await server.stop();
  }
}

interface Run {
  readonly case: string;
  readonly verify: boolean;
  readonly rdbBytes: number;
  readonly code: number | null;
  readonly wallSeconds: number;
  readonly maxRssMB: number | null;
  readonly boundMB: number;
  readonly copied?: number;
  readonly equal?: boolean | null;
  /** The 1-minute load average before and after the run (the machine is shared: a peak under load says more than a time). */
  readonly load: readonly [number, number];
}

/** The 1-minute load average. */
const loadNow = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** The results file, written after every run (`complete` false until the last): a run cut short keeps what it measured. */
function writeResults(runs: readonly Run[], complete: boolean): { ok: boolean; met: boolean } {
  const ok = runs.every((r) => r.code === 0 && r.copied === VALUES && (!r.verify || r.equal === true));
  const met = runs.every((r) => r.maxRssMB !== null && r.maxRssMB <= r.boundMB);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const results = {
    date: new Date().toISOString(),
    code: gitDescription(
      ['lambdas/jobs/keys', 'lambdas/domain/rdb', 'lambdas/adapters/redis', 'lambdas/adapters/storage', 'bench/migrate/big-types.ts'],
      'uncommitted changes',
    ),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1), node: process.version, loadAtEnd: load },
    values: VALUES,
    valueBytes: VALUE_BYTES,
    elementBytes: ELEMENT,
    complete,
    runs,
    met,
    ok,
  };
  writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
  return { ok, met };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-big-types-'));
  const runs: Run[] = [];
  const boundMB = (2 * VALUE_BYTES) / MB + 100;
  const modes = flags.modes.split(',').map((m) => m === 'verify');
  const rounds = Array.from({ length: Number(flags.runs) }, () => modes).flat();
  try {
    for (const kase of flags.types.split(',')) {
      const kept = flags.files && path.join(flags.files, `${kase}-${VALUES}x${VALUE_BYTES}x${ELEMENT}.rdb`);
      const file = kept || path.join(scratch, `${kase}.rdb`);
      if (kept && existsSync(kept)) log(`${kase}: reusing ${kept}`);
      else {
        log(`${kase}: writing ${VALUES} values of ${VALUE_BYTES / MB} MB`);
        if (flags.files) mkdirSync(flags.files, { recursive: true });
        await generate(kase, `${file}.part`);
        renameSync(`${file}.part`, file);
      }
      const rdbBytes = statSync(file).size;
      for (const verify of rounds) {
        const target = await startRedisServer({ args: ['--maxmemory', '0', '--databases', '16'] });
        try {
          const loadBefore = loadNow();
          const { process: p, report: j, maxRssMB } = await migrateFromRdb(file, target.url, verify, scratch);
          runs.push({
            case: kase,
            verify,
            rdbBytes,
            code: p.code,
            wallSeconds: p.wallSeconds,
            maxRssMB,
            boundMB,
            copied: j.copied,
            equal: verify ? (j.verify?.equal ?? null) : null,
            load: [loadBefore, loadNow()],
          });
          log(
            `  ${kase}${verify ? ' --verify' : ''}: ${(rdbBytes / MB).toFixed(1)} MB file, exit ${p.code}, ${p.wallSeconds.toFixed(1)} s, peak RSS ${maxRssMB?.toFixed(1)} MB ` +
              `(bound ${boundMB} MB), copied ${j.copied}, equal ${j.verify?.equal}, load ${loadBefore}–${loadNow()}${p.code === 0 ? '' : `\n${p.stderr.slice(-600)}${p.stdout.slice(-600)}`}`,
          );
          writeResults(runs, false);
        } finally {
          await target.stop();
        }
      }
      if (!kept) rmSync(file, { force: true });
    }
    const { ok, met } = writeResults(runs, true);
    log(`bound 2 × ${VALUE_BYTES / MB} MB + 100 MB = ${boundMB} MB: ${met ? 'met' : 'NOT met'} in every case; runs ok: ${ok}; ${flags.out}`);
    if (!ok || !met) process.exitCode = 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
