/**
 * migrate --from-rdb with re-encoding against the same run without it
 * (issue 55: at least 0.8× the keys/s). Not a test, not part of `npm test`:
 *
 *   npx tsx bench/migrate/reencode.ts [--keys 100000] [--rounds 3]
 *
 * The files: a redis-server 7.0 filled with `--keys` small sets of strings
 * and integers (3–12 members: the encodings a set of a cache holds most) and
 * BGSAVEd gives the file the target reads as it is (RDB 10: hashtable and
 * intset sets); the same keys framed again as Redis 7.2 writes small sets
 * (RDB 11, type 20: a listpack), which a 7.0 target cannot read, so each key
 * is re-encoded (lambdas/domain/rdb/write/express.ts) before its RESTORE.
 * Framing by test/support/rdb-newer.ts, not by the code under test. Per
 * round, in alternating order, each file goes into a fresh empty 7.0 server
 * by the built CLI (`migrate --from-rdb <file> --to <url> --json`) under
 * /usr/bin/time; keys/s from the whole command's wall time, and its CPU.
 * Writes bench/migrate/reencode-results.json.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeDumpPayload } from '../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../lambdas/domain/rdb/keys.js';
import { frameFile, type FramedKey, listpack } from '../../test/support/rdb-newer.js';
import { bgsave, startRedisServer } from '../../test/support/redis-server.js';
import { gitDescription, median, runFigures, timedProcess, type TimedProcess } from '../support.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } } });
const KEYS = Number(values.keys);
const ROUNDS = Number(values.rounds);
const ROOT = join(__dirname, '..', '..');
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Each set of the 7.0 file as Redis 7.2 writes a small set: type 20, a listpack of its members. */
function asListpackSets(rdb: Uint8Array): FramedKey[] {
  const reader = new RdbKeyReader();
  const keys = reader.push(rdb);
  if (!reader.end().ok) throw new Error('the 7.0 dump does not verify');
  return keys.map((k) => {
    const v = decodeDumpPayload(k.payload);
    if (v.type !== 'set') throw new Error(`key ${k.name} is a ${v.type}, not a set`);
    const items = v.members.map((m) => (/^(0|[1-9]\d{0,17})$/.test(m.toString()) ? Number(m) : m.toString('latin1')));
    const lp = Uint8Array.from(listpack(items));
    const object = Uint8Array.from([...lenBytes(lp.length), ...lp]);
    return { db: k.db, name: k.name.toString('latin1'), type: 20, object, expireAtMs: k.expireAtMs };
  });
}

/** An RDB length prefix (6, 14 or 32 bits). */
function lenBytes(n: number): number[] {
  if (n < 64) return [n];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff];
  return [0x80, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'redis-dr-bench-reencode-'));
  const source = await startRedisServer({ readyTimeoutMs: 60_000 });
  try {
    const c = source.client();
    for (let i = 0; i < KEYS; i += 1000) {
      const p = c.pipeline();
      for (let j = i; j < Math.min(KEYS, i + 1000); j++) {
        const n = 3 + (j % 10);
        const members = Array.from({ length: n }, (_, m) => (j % 2 === 0 ? String(m * 7 + j) : `member:${j}:${m}`));
        p.sadd(`set:${j}`, ...members);
      }
      await p.exec();
    }
    const asIs = join(scratch, 'as-is.rdb');
    const rdb = readFileSync(await bgsave(source, c));
    writeFileSync(asIs, rdb);
    const reencode = join(scratch, 'reencode.rdb');
    writeFileSync(reencode, frameFile('REDIS0011', asListpackSets(rdb)));
    c.disconnect();
    log(`files: ${rdb.length} bytes (RDB 10), ${readFileSync(reencode).length} bytes (RDB 11, listpack sets), ${KEYS} keys`);
    const runs: Record<'asIs' | 'reencode', TimedProcess[]> = { asIs: [], reencode: [] };
    const load: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: ('asIs' | 'reencode')[] = round % 2 === 0 ? ['asIs', 'reencode'] : ['reencode', 'asIs'];
      for (const name of order) {
        const target = await startRedisServer();
        try {
          const file = name === 'asIs' ? asIs : reencode;
          const r = await timedProcess(
            process.execPath,
            [join(ROOT, 'bin', 'redis-dr.cjs'), 'migrate', '--from-rdb', file, '--to', target.url, '--json'],
            scratch,
            ROOT,
          );
          if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr}`);
          const dbsize = await target.client().dbsize();
          if (dbsize !== KEYS) throw new Error(`${name}: the target holds ${dbsize} keys, not ${KEYS}`);
          const json = JSON.parse(r.stdout) as { reencoded?: number };
          log(
            `round ${round + 1} ${name}: ${r.wallSeconds.toFixed(2)} s, CPU ${r.cpuSeconds?.toFixed(2)} s, ${(KEYS / r.wallSeconds).toFixed(0)} keys/s${json.reencoded !== undefined ? `, ${json.reencoded} re-encoded` : ''}`,
          );
          runs[name].push(r);
        } finally {
          await target.stop();
        }
      }
      load.push(loadavg()[0]!);
    }
    const wall = (n: 'asIs' | 'reencode') => median(runs[n].map((r) => r.wallSeconds));
    const cpu = (n: 'asIs' | 'reencode') => median(runs[n].map((r) => r.cpuSeconds ?? Number.NaN));
    const results = {
      when: new Date().toISOString(),
      code: gitDescription(['bench/migrate/reencode.ts', 'lambdas/domain/rdb/write', 'lambdas/jobs/keys'], 'migrate --from-rdb re-encoding'),
      keys: KEYS,
      rounds: ROUNDS,
      loadAverage: load,
      keysPerSecond: { asIs: KEYS / wall('asIs'), reencode: KEYS / wall('reencode') },
      medianCpuSeconds: { asIs: cpu('asIs'), reencode: cpu('reencode') },
      // Target ≥ 0.8: re-encoding's keys/s over the same run's without it.
      ratio: { wall: wall('asIs') / wall('reencode'), cpu: cpu('asIs') / cpu('reencode') },
      runs: runFigures(runs),
    };
    writeFileSync(join(__dirname, 'reencode-results.json'), `${JSON.stringify(results, null, 2)}\n`);
    log(JSON.stringify({ keysPerSecond: results.keysPerSecond, ratio: results.ratio, load }));
  } finally {
    await source.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
