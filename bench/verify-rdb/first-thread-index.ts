/**
 * bench/verify-rdb/first-thread-index: the DR verifier's key index on the
 * first thread alone, in-process (not part of `npm test`). The copy is
 * written into memory (bench/serve/written-rdb.ts, 2 M keys of 200 random
 * bytes by default) and read in 64 KiB chunks, each round two ways in turn:
 * the verifier alone (readCopy's options), and the verifier with a
 * `CopyKeyIndex` placing its keys (its parse's sink), then the index file
 * encoded. No S3 stand-in, no HTTP, no worker: what the index adds to this
 * thread, with a spread of about ±0.02 CPU-s a round against ±0.04 through
 * `dr-read-index.ts`.
 *
 * Measured by this thread's own counters (Linux: /proc/self/task/<pid>/
 * schedstat for its CPU, …/stat for its system time and minor page faults),
 * so V8's threads and the garbage collector's helpers are left out.
 *
 * The index's buffers are freshly mapped every read (glibc maps an
 * allocation this large on its own and unmaps it when freed): its first
 * touch of ~110 MB costs page faults (about 25,000 a read). To measure the
 * index with memory already touched (what a writer of the blocks in reused
 * parts, or buffers kept across warm invocations, would see), run it with
 * glibc's malloc kept from mapping and trimming:
 * `MALLOC_MMAP_THRESHOLD_=4294967295 MALLOC_TRIM_THRESHOLD_=4294967295`
 * (freed buffers then stay in the heap and the next round's come from
 * them; the first round is left out of the medians either way).
 *
 *   npx tsx bench/verify-rdb/first-thread-index.ts [--keys 2000000] [--rounds 7] [--order name|shuffled]
 *
 * bench/README.md's figures: compiled with tsc and run with node (its key-index sections say how), as dr-read-index.ts.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createRdbVerifier, rdbVerdict, rdbVerifierParser, type RdbVerifierOptions, verifierOver } from '../../lambdas/domain/rdb/verifier.js';
import { CopyKeyIndex } from '../../lambdas/jobs/dr-copies/copy-key-index.js';
import { writeRdb } from '../serve/written-rdb.js';
import { intFlags, median } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '7' },
    order: { type: 'string', default: 'name' },
  },
  strict: true,
});
const int = intFlags<'keys' | 'rounds'>(flags);
const keys = int('keys', 1000, 20_000_000);
const rounds = int('rounds', 2, 50);
if (flags.order !== 'name' && flags.order !== 'shuffled') throw new Error(`--order ${flags.order}: give name or shuffled`);
const order: 'name' | 'shuffled' = flags.order;

/** This thread's CPU-s (schedstat), system CPU-s and minor page faults so far (Linux). */
function thread(): { cpu: number; system: number; faults: number } {
  const cpu = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 10 (minflt) and 15 (stime, in clock ticks) of proc(5), counted from the state (field 3).
  return { cpu, system: Number(f[12]) / 100, faults: Number(f[7]) };
}

const parts: Buffer[] = [];
writeRdb(keys, 200, (c) => void parts.push(Buffer.from(c)), order);
const file = Buffer.concat(parts);
parts.length = 0;
const CHUNK = 64 << 10;
const chunks: Buffer[] = [];
for (let at = 0; at < file.length; at += CHUNK) chunks.push(file.subarray(at, Math.min(file.length, at + CHUNK)));
// readCopy's options (jobs/dr-copies/verify-rdb-read.ts) but the spill: 2 M keys fit the duplicate check's memory.
const options: RdbVerifierOptions = { requireChecksum: true };

type Way = { cpu: number[]; system: number[]; faults: number[] };
const ways: Record<'alone' | 'index', Way> = { alone: { cpu: [], system: [], faults: [] }, index: { cpu: [], system: [], faults: [] } };
const encoding: number[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const way of ['alone', 'index'] as const) {
    const t0 = thread();
    const index = way === 'index' ? new CopyKeyIndex('s3://bench/copy.rdb') : undefined;
    index?.expect(file.length);
    const indexed = index?.verifying((sink) => rdbVerifierParser(options, sink));
    const v = indexed ? verifierOver(indexed.parser, indexed.push, indexed.end) : createRdbVerifier(options);
    let at = 0;
    for (const c of chunks) {
      index?.push(c, at);
      at += c.length;
      v.push(c);
    }
    const verdict = rdbVerdict(v.end());
    if (verdict !== 'ok') throw new Error(`verdict ${verdict}`);
    const t1 = thread();
    const encoded = index?.encode(file.length);
    if (typeof encoded === 'string') throw new Error(`no index: ${encoded}`);
    const t2 = thread();
    if (index) encoding.push(t2.cpu - t1.cpu);
    const w = ways[way];
    w.cpu.push(t2.cpu - t0.cpu);
    w.system.push(t2.system - t0.system);
    w.faults.push(t2.faults - t0.faults);
    process.stderr.write(
      `round ${round}, ${way}: ${w.cpu.at(-1)!.toFixed(3)} CPU-s (system ${w.system.at(-1)!.toFixed(2)}, ${w.faults.at(-1)} minor faults)${encoded ? `, index ${encoded.length} bytes, its encoding ${encoding.at(-1)!.toFixed(3)}` : ''} (load ${os.loadavg()[0]!.toFixed(1)})\n`,
    );
  }
}
// The first round left out: its code not optimized yet, and under the malloc settings above its memory the file's.
const from = 1;
const extra = ways.index.cpu.map((c, i) => c - ways.alone.cpu[i]!).slice(from);
process.stdout.write(
  `${JSON.stringify({
    keys,
    order,
    fileBytes: file.length,
    rounds,
    mallocKept: process.env.MALLOC_MMAP_THRESHOLD_ !== undefined,
    aloneCpu: median(ways.alone.cpu.slice(from)),
    indexCpu: median(ways.index.cpu.slice(from)),
    indexExtraCpu: median(extra),
    indexExtraByRound: extra.map((x) => Number(x.toFixed(3))),
    encodingCpu: median(encoding.slice(from)),
    systemAlone: median(ways.alone.system.slice(from)),
    systemIndex: median(ways.index.system.slice(from)),
    minorFaultsAlone: median(ways.alone.faults.slice(from)),
    minorFaultsIndex: median(ways.index.faults.slice(from)),
    loadAverage: os.loadavg(),
  })}\n`,
);
