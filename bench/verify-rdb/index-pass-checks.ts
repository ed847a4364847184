/**
 * bench/verify-rdb/index-pass-checks: what the key index's pass saves by
 * leaving the CRC-64 and the duplicate-key check to the verifier beside it
 * (TrustedRead's `judgedBeside`, the DR copy's index: copy-key-index.ts).
 * One process, the same bytes in memory (bench/serve/written-rdb.ts's
 * strings of random bytes), 1 MiB chunks as readCopy's ranged GETs hand
 * them; in turn each round: the verifier alone, the index pass with its own
 * checks, the pass judged beside. The process's CPU-seconds of each, and
 * the SHA-256 of the keys each pass placed (the same, or the script fails).
 *
 *   npx tsx bench/verify-rdb/index-pass-checks.ts [--keys 2000000] [--value-bytes 200] [--rounds 3]
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createRdbVerifier, rdbVerdict } from '../../lambdas/domain/rdb/verifier.js';
import { KeyIndexBuilder } from '../../lambdas/domain/serve/key-index.js';
import { RdbIndexPass } from '../../lambdas/jobs/keys/rdb-index-pass.js';
import { writeRdb } from '../serve/written-rdb.js';
import { intFlags, median } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '2000000' },
    'value-bytes': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
  },
  strict: true,
});
const int = intFlags<'keys' | 'value-bytes' | 'rounds'>(flags);
const keys = int('keys', 1000, 50_000_000);
const rounds = int('rounds', 1, 20);
const parts: Buffer[] = [];
writeRdb(keys, int('value-bytes', 1, 100_000), (c) => void parts.push(Buffer.from(c)));
const file = Buffer.concat(parts);
parts.length = 0;
const CHUNK = 1 << 20;

/** CPU-seconds of `run` (user + system). */
function cpu(run: () => void): number {
  const t = process.cpuUsage();
  run();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
}

/** The pass over the file, its keys placed in a builder; the SHA-256 of what it placed. */
function pass(judgedBeside: boolean): string {
  const hash = createHash('sha256');
  const builder = new KeyIndexBuilder();
  const p = new RdbIndexPass('bench', builder, 0, undefined, judgedBeside);
  for (let at = 0; at < file.length; at += CHUNK) p.push(file.subarray(at, Math.min(file.length, at + CHUNK)));
  const r = p.finish();
  const index = builder.finish(r.version);
  for (const db of index.databases())
    for (let i = 0; i < index.size(db); i++) {
      const e = index.entry(db, i);
      hash.update(e.name).update(`${db} ${e.valueAt} ${e.valueEnd} ${e.expireAtMs}\n`);
    }
  return hash.digest('hex');
}

const rows: Record<string, number[]> = { verifier: [], 'pass, own checks': [], 'pass, judged beside': [] };
for (let round = 1; round <= rounds; round++) {
  rows.verifier!.push(
    cpu(() => {
      const v = createRdbVerifier({ requireChecksum: true });
      for (let at = 0; at < file.length; at += CHUNK) v.push(file.subarray(at, Math.min(file.length, at + CHUNK)));
      if (rdbVerdict(v.end()) !== 'ok') throw new Error('the verifier does not pass the file');
    }),
  );
  let own = '';
  let beside = '';
  rows['pass, own checks']!.push(cpu(() => void (own = pass(false))));
  rows['pass, judged beside']!.push(cpu(() => void (beside = pass(true))));
  if (own !== beside) throw new Error(`the passes placed different keys (${own} against ${beside})`);
  process.stderr.write(
    `round ${round}: ${Object.entries(rows)
      .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(2)}`)
      .join(', ')} CPU-s; keys placed ${own.slice(0, 16)} both (load ${os.loadavg()[0]!.toFixed(1)})\n`,
  );
}
for (const [k, v] of Object.entries(rows)) process.stdout.write(`${k}: ${median(v).toFixed(2)} CPU-s median (${v.map((x) => x.toFixed(2)).join(', ')})\n`);
