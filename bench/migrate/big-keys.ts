/**
 * migrate --from-rdb peak RSS on big keys (issue 26; not a test, not part of `npm test`):
 *
 *   npx tsx bench/migrate/big-keys.ts [--string-mb 50] [--members 1000000]
 *       [--rdb <file>] [--keep-rdb <path>] [--out bench/migrate/big-keys-results.json]
 *   npx tsx bench/migrate/big-keys.ts --compressible 8 --string-mb 60 --out bench/migrate/big-compressible-results.json
 *   npx tsx bench/migrate/big-keys.ts --random 8 --string-mb 62.9 --out /tmp/random-results.json
 *
 * `--random N` (issue 54 item 10's baseline) writes N strings of
 * `--string-mb` MB of random bytes (no set): LZF cannot shrink them.
 *
 * `--compressible N` (issue 36) writes N strings of `--string-mb` MB of
 * repeated text instead (LZF shrinks each about 88 times: 8 × 60 MB make a
 * 5.5 MB file), the case where a value's size in the file says nothing of
 * its size once expanded.
 *
 * The file: a redis-server gets one string of `--string-mb` MB (SET) and one
 * set of `--members` members (`member:<n>`, SADD in batches of 10,000), then
 * SAVE; `--rdb` measures an existing file instead. Then, each against a
 * fresh empty target (maxmemory 0: no eviction), the whole command under
 * /usr/bin/time (peak RSS):
 *  1. `node bin/redis-dr.cjs migrate --from-rdb <file> --to <target> --json`
 *  2. the same with `--verify`.
 * The target is 2 × the largest value (in the file) + 100 MB. Exits 1 when a
 * run fails or --verify does not find the target equal.
 */
import { mkdtempSync, renameSync, copyFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../../test/support/redis-server.js';
import { gitDescription } from '../support.js';
import { migrateFromRdb } from './migrate-run.js';

const { values: flags } = parseArgs({
  options: {
    'string-mb': { type: 'string', default: '50' },
    members: { type: 'string', default: '1000000' },
    compressible: { type: 'string', default: '0' },
    random: { type: 'string', default: '0' },
    rdb: { type: 'string' },
    'keep-rdb': { type: 'string' },
    out: { type: 'string', default: path.join(__dirname, 'big-keys-results.json') },
  },
  strict: true,
});
const stringBytes = Math.round(Number(flags['string-mb']) * 1e6);
const compressible = Number(flags.compressible);
const random = Number(flags.random);
const members = compressible > 0 || random > 0 ? 0 : Number(flags.members);
const MB = 1e6;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Writes the two keys into a fresh server, SAVEs, moves the dump to `into`. */
async function generate(into: string): Promise<void> {
  const server = await startRedisServer();
  try {
    const c = server.client();
    if (compressible > 0) {
      // Text LZF compresses about 88 times (its best): the file holds a sliver of each value.
      const value = Buffer.alloc(stringBytes, 'abcdefghij');
      for (let i = 0; i < compressible; i++) await c.set(`big:${i}`, value);
      await c.save();
      const dump = path.join(server.dir, 'dump.rdb');
      copyFileSync(dump, into);
      return;
    }
    // Random bytes: LZF (rdbcompression is on by default) cannot shrink them, so the file holds all 50 MB.
    if (random > 0) for (let i = 0; i < random; i++) await c.set(`big:${i}`, randomBytes(stringBytes));
    else await c.set('big:string', randomBytes(stringBytes));
    for (let from = 0; from < members; from += 10_000) {
      const batch: string[] = [];
      for (let i = from; i < Math.min(members, from + 10_000); i++) batch.push(`member:${i}`);
      await c.sadd('big:set', ...batch);
    }
    await c.save();
    const dump = path.join(server.dir, 'dump.rdb');
    try {
      renameSync(dump, into);
    } catch {
      copyFileSync(dump, into);
    }
  } finally {
    await server.stop();
  }
}

interface Run {
  verify: boolean;
  code: number | null;
  wallSeconds: number;
  maxRssMB: number | null;
  copied?: number;
  equal?: boolean | null;
  error?: string | null;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-big-keys-'));
  try {
    const file = flags.rdb ?? flags['keep-rdb'] ?? path.join(scratch, 'dump.rdb');
    if (!flags.rdb) {
      log(
        compressible > 0
          ? `writing ${compressible} compressible strings of ${stringBytes / MB} MB, SAVE`
          : `writing one ${stringBytes / MB} MB string and one ${members.toLocaleString('en-US')}-member set, SAVE`,
      );
      await generate(file);
    }
    const rdbBytes = statSync(file).size;
    log(`file ${file}: ${(rdbBytes / MB).toFixed(1)} MB`);
    const runs: Run[] = [];
    for (const verify of [false, true]) {
      const target = await startRedisServer({ args: ['--maxmemory', '0', '--maxmemory-policy', 'noeviction'] });
      try {
        const { process: p, report: j, maxRssMB } = await migrateFromRdb(file, target.url, verify, scratch);
        runs.push({
          verify,
          code: p.code,
          wallSeconds: p.wallSeconds,
          maxRssMB,
          copied: j.copied,
          equal: verify ? (j.verify?.equal ?? null) : undefined,
          error: j.error ?? null,
        });
        log(
          `  migrate --from-rdb${verify ? ' --verify' : ''}: exit ${p.code}, ${p.wallSeconds.toFixed(2)} s, peak RSS ${maxRssMB?.toFixed(1)} MB` +
            `, copied ${j.copied}${verify ? `, verify equal ${j.verify?.equal}` : ''}${p.code === 0 ? '' : `\n${p.stderr.slice(-800)}${p.stdout.slice(-800)}`}`,
        );
      } finally {
        await target.stop();
      }
    }
    // The largest value: the string (its set is smaller in the file and in a RESTORE payload).
    const largestValueBytes = stringBytes;
    const targetMB = (2 * largestValueBytes) / MB + 100;
    const met = runs.every((r) => r.maxRssMB !== null && r.maxRssMB <= targetMB);
    const keys = compressible > 0 ? compressible : 2;
    const ok = runs.every((r) => r.code === 0 && r.copied === keys && (!r.verify || r.equal === true));
    log(`target: peak RSS <= 2 x ${largestValueBytes / MB} MB + 100 MB = ${targetMB} MB: ${met}; runs ok: ${ok}`);
    const results = {
      date: new Date().toISOString(),
      code: gitDescription(
        ['lambdas/jobs/keys', 'lambdas/domain/rdb', 'lambdas/adapters/redis/dump-restore.ts', 'bench/migrate/big-keys.ts'],
        'uncommitted changes',
      ),
      machine: { cpus: os.cpus().length, memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1), node: process.version },
      file: { stringBytes, members, ...(compressible > 0 ? { compressibleStrings: compressible } : {}), rdbBytes },
      runs,
      targetMB,
      met,
      ok,
    };
    writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${flags.out}`);
    if (!ok) process.exitCode = 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
