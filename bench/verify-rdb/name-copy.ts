/**
 * bench/verify-rdb/name-copy: what copying a key's name into the DR
 * verifier's key index costs a key, three ways (not part of `npm test`):
 * `slot` (key-hash.ts's copyHashAndSlot: the copy, the lookup hash and the
 * Redis Cluster slot's CRC16 in one loop: what the index does until every
 * slot is set), `hash` (copyHash: the copy and the hash, what it does
 * after) and `copy` (the bytes alone: the floor any lookup hash taken from
 * elsewhere, e.g. the verifier's own key digest under a new layout, could
 * reach). Names `key:<12 digits>` (16 bytes, as bench/serve/written-rdb.ts
 * writes them), copied end to end into one buffer either fresh every round
 * (first touched here, as the index's is in a cold read: page faults) or
 * the same one every round (already touched). The process's CPU a round,
 * the median of the rounds after the first.
 *
 *   npx tsx bench/verify-rdb/name-copy.ts [--keys 2000000] [--rounds 9]
 *
 * bench/README.md's figures: compiled with tsc and run with node (its key-index sections say how).
 */
import { parseArgs } from 'node:util';
import { bytesView, copyHash, copyHashAndSlot } from '../../lambdas/domain/serve/key-hash.js';
import { intFlags, median } from '../support.js';

const { values: flags } = parseArgs({ options: { keys: { type: 'string', default: '2000000' }, rounds: { type: 'string', default: '9' } }, strict: true });
const int = intFlags<'keys' | 'rounds'>(flags);
const keys = int('keys', 1000, 50_000_000);
const rounds = int('rounds', 2, 50);

/** The bytes alone (a name of up to 32 bytes: a loop, as rdb/keys.ts' copyBytes). */
function copyOnly(names: Uint8Array, from: number, to: number, into: Uint8Array, at: number): void {
  for (let i = from, o = at; i < to; i++, o++) into[o] = names[i]!;
}

const names = Buffer.alloc(keys * 16);
const starts = new Float64Array(keys + 1);
let end = 0;
for (let i = 0; i < keys; i++) {
  starts[i] = end;
  end += names.write(`key:${String((i * 7919) % keys).padStart(12, '0')}`, end, 'latin1');
}
starts[keys] = end;
const hashes = new Uint32Array(keys);
const slots = new Uint8Array(2048);
const reused = Buffer.allocUnsafeSlow(end);
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const results: Record<string, number> = {};
for (const memory of ['fresh', 'reused'] as const)
  for (const way of ['slot', 'hash', 'copy'] as const) {
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const into = memory === 'fresh' ? Buffer.allocUnsafeSlow(end) : reused;
      const t = cpu();
      const from = bytesView(names);
      const to = bytesView(into);
      if (way === 'slot') for (let k = 0; k < keys; k++) copyHashAndSlot(0, names, from, starts[k]!, starts[k + 1]!, to, starts[k]!, hashes, slots, k);
      else if (way === 'hash') for (let k = 0; k < keys; k++) copyHash(0, names, from, starts[k]!, starts[k + 1]!, to, starts[k]!, hashes, k);
      else for (let k = 0; k < keys; k++) copyOnly(names, starts[k]!, starts[k + 1]!, into, starts[k]!);
      times.push(cpu() - t);
    }
    results[`${way}, ${memory}`] = median(times.slice(1));
    process.stderr.write(`${way}, ${memory} memory: ${median(times.slice(1)).toFixed(3)} CPU-s (rounds ${times.map((x) => x.toFixed(3)).join(', ')})\n`);
  }
process.stdout.write(`${JSON.stringify({ keys, nameBytes: end, rounds, cpuMedianSeconds: results })}\n`);
