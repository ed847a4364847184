/**
 * bench/verify-rdb/index-pass-checks: what a key index costs beside the
 * verification, in one process, without S3 or threads: the same bytes in
 * memory (bench/serve/written-rdb.ts's strings of random bytes), 1 MiB
 * chunks as readCopy's ranged GETs hand them. In turn each round: the
 * verifier alone; the verifier and a separate index pass beside it (its own
 * parse of the bytes, with its own checks: serve's RdbIndexPass, and what
 * the DR copy's and backup's index were before issue 56's single pass); the
 * verifier reading through the index's key reader (one parse: VerifiedKeys,
 * what the DR copy's and backup's index are built with). The process's
 * CPU-seconds of each read, of the index's encoding, and the SHA-256 of the
 * index file each gives (the same, or the script fails).
 *
 * With `--file`, a real server's RDB instead (e.g. redis-server 7.0's SAVE
 * after `DEBUG POPULATE 2000000 key 200`): its keys come in the server's
 * hash-table order, as a copy's do, where the writer's come in name order
 * (which spares the index's sort and its reads in name order).
 *
 *   npx tsx bench/verify-rdb/index-pass-checks.ts [--keys 2000000] [--value-bytes 200] [--rounds 3] [--file <rdb>]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createRdbVerifier, rdbVerdict, rdbVerifierParser } from '../../lambdas/domain/rdb/verifier.js';
import { encodeKeyIndex } from '../../lambdas/domain/serve/index-write.js';
import { KeyIndexBuilder } from '../../lambdas/domain/serve/key-index.js';
import { RdbIndexPass, VerifiedKeys } from '../../lambdas/jobs/keys/rdb-index-pass.js';
import { writeRdb } from '../serve/written-rdb.js';
import { intFlags, median } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '2000000' },
    'value-bytes': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    file: { type: 'string' },
  },
  strict: true,
});
const int = intFlags<'keys' | 'value-bytes' | 'rounds'>(flags);
const keys = int('keys', 1000, 50_000_000);
const rounds = int('rounds', 1, 20);
const parts: Buffer[] = [];
if (!flags.file) writeRdb(keys, int('value-bytes', 1, 100_000), (c) => void parts.push(Buffer.from(c)));
// A real server's file (--file): its keys in the server's hash-table order, not the writer's name order.
const file = flags.file ? readFileSync(flags.file) : Buffer.concat(parts);
parts.length = 0;
const CHUNK = 1 << 20;
const trailer = file.subarray(file.length - 8).toString('hex');

/** CPU-seconds of `run` (user + system). */
function cpu(run: () => void): number {
  const t = process.cpuUsage();
  run();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
}

/** Each chunk of the file, in order. */
function chunks(each: (chunk: Buffer) => void): void {
  for (let at = 0; at < file.length; at += CHUNK) each(file.subarray(at, Math.min(file.length, at + CHUNK)));
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const rows: Record<string, number[]> = {
  verifier: [],
  'verifier + separate index pass: read': [],
  'verifier + separate index pass: encode': [],
  'verifier through the index (one parse): read': [],
  'verifier through the index (one parse): encode': [],
};
for (let round = 1; round <= rounds; round++) {
  rows.verifier!.push(
    cpu(() => {
      const v = createRdbVerifier({ requireChecksum: true });
      chunks((c) => v.push(c));
      if (rdbVerdict(v.end()) !== 'ok') throw new Error('the verifier does not pass the file');
    }),
  );
  // Two parses: the verifier, and the index pass beside it (its own CRC-64 and duplicate-key check).
  const separate = new KeyIndexBuilder();
  let pass: ReturnType<RdbIndexPass['finish']> | undefined;
  rows['verifier + separate index pass: read']!.push(
    cpu(() => {
      const v = createRdbVerifier({ requireChecksum: true });
      const p = new RdbIndexPass('bench', separate, 0);
      chunks((c) => {
        v.push(c);
        p.push(c);
      });
      if (rdbVerdict(v.end()) !== 'ok') throw new Error('the verifier does not pass the file');
      pass = p.finish();
    }),
  );
  let two = '';
  rows['verifier + separate index pass: encode']!.push(
    cpu(() => void (two = sha(encodeKeyIndex(separate.finish(pass!.version), { bytes: file.length, trailer }, false)))),
  );
  // One parse: the verifier reads through the index's key reader.
  const one = new KeyIndexBuilder();
  const through = new VerifiedKeys('bench', one);
  let version = 0;
  rows['verifier through the index (one parse): read']!.push(
    cpu(() => {
      const v = through.verifying((sink) => rdbVerifierParser({ requireChecksum: true }, sink));
      chunks((c) => {
        through.seen(c);
        v.push(c);
      });
      if (rdbVerdict(v.end()) !== 'ok') throw new Error('the verifier does not pass the file');
      version = through.finish().version;
    }),
  );
  let single = '';
  rows['verifier through the index (one parse): encode']!.push(
    cpu(() => void (single = sha(encodeKeyIndex(one.finish(version), { bytes: file.length, trailer }, false)))),
  );
  if (two !== single) throw new Error(`the two ways give different indexes (${two} against ${single})`);
  process.stderr.write(
    `round ${round}: ${Object.entries(rows)
      .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(2)}`)
      .join(', ')} CPU-s; index ${single.slice(0, 16)} both (load ${os.loadavg()[0]!.toFixed(1)})\n`,
  );
}
for (const [k, v] of Object.entries(rows)) process.stdout.write(`${k}: ${median(v).toFixed(2)} CPU-s median (${v.map((x) => x.toFixed(2)).join(', ')})\n`);
