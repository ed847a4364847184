/**
 * bench/verify-rdb/encode-parts: what the key index's encoding costs beside
 * everything else, by the order the keys come in: a KeyIndexBuilder given
 * 2,000,000 keys (bench/serve/written-rdb.ts's names, offsets as a file's)
 * in name order (`--order name`: how the bench RDB writer lays them out) or
 * shuffled (`--order random`: a real server's file comes in hash-table
 * order), then the process's CPU-seconds of the builder's `place`s (the
 * names prepared in one buffer first: the pass's part of the index, without
 * the verifier), of `finish` (the keys grouped by
 * database; a sort by name until RDRKEYS3) and of `encodeKeyIndex` (slot
 * map, blocks, lookup section, checksums), and the SHA-256 of the
 * index file (the same before and after a change of the encoding, or the
 * change altered the file). Then the same keys through `KeyBlocks` (the DR
 * verifier's builder: each key written into its block, the file finished
 * over them; its buffer sized as the DR index sizes it, from the share of
 * keys placed): its `place`s and its `encode`, and the SHA-256 of its file
 * (the same as the first's), beside the flat rows sized the same way and the
 * file written over them (the DR index before KeyBlocks).
 *
 *   npx tsx bench/verify-rdb/encode-parts.ts (or compiled with tsc, bench/README.md)
 *   [--keys 2000000] [--order name|random] [--rounds 3] [--dr flat|blocks|both]
 */
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { MAGIC } from '../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex, indexBytesFor } from '../../lambdas/domain/serve/index-write.js';
import { KeyBlocks } from '../../lambdas/domain/serve/key-blocks.js';
import { KeyIndexBuilder } from '../../lambdas/domain/serve/key-index.js';
import { keyName } from '../serve/written-rdb.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '2000000' },
    order: { type: 'string', default: 'name' },
    rounds: { type: 'string', default: '3' },
    // The DR index's ways timed: `flat`, `blocks` or both (one a process keeps each `place` call site to one class).
    dr: { type: 'string', default: 'both' },
  },
});
const n = Number(flags.keys);
const perm = new Uint32Array(n);
for (let i = 0; i < n; i++) perm[i] = i;
if (flags.order === 'random') {
  let s = 12345;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
}
const cpu = (f: () => void): number => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
};
const names = Buffer.from(Array.from(perm, (k) => keyName(k)).join(''), 'latin1');
const nameEnds = new Float64Array(n);
for (let i = 0, e = 0; i < n; i++) nameEnds[i] = e += keyName(perm[i]!).length;
for (let r = 0; r < Number(flags.rounds); r++) {
  const b = new KeyIndexBuilder();
  let at = 100;
  const place = cpu(() => {
    for (let i = 0, from = 0; i < n; i++) {
      b.place(0, 0, names, from, nameEnds[i]!, at, at + 210, i % 3 === 0 ? 1.9e12 + i : Number.NaN);
      from = nameEnds[i]!;
      at += 230;
    }
  });
  let idx!: ReturnType<KeyIndexBuilder['finish']>;
  const sort = cpu(() => void (idx = b.finish(11)));
  let sha = '';
  const enc = cpu(
    () =>
      void (sha = createHash('sha256')
        .update(encodeKeyIndex(idx, { bytes: at + 9, trailer: '0123456789abcdef' }, false))
        .digest('hex')),
  );
  process.stdout.write(
    `${flags.order}: place ${place.toFixed(3)} finish ${sort.toFixed(3)} encode ${enc.toFixed(3)} total ${(place + sort + enc).toFixed(3)} ${sha.slice(0, 16)}\n`,
  );
  // The DR index's two ways, each sized as it sizes its buffers (the share of keys placed): rows and names laid flat,
  // the file written over the rows (before this branch), and KeyBlocks.
  for (const way of (['flat, sized', 'KeyBlocks'] as const).filter((w) => flags.dr === 'both' || (flags.dr === 'blocks') === (w === 'KeyBlocks'))) {
    const into = way === 'KeyBlocks' ? new KeyBlocks() : new KeyIndexBuilder();
    let placed = 0;
    into.growBy({ share: () => placed / n, rowsBytes: (keys, nameBytes) => indexBytesFor(keys, nameBytes) });
    at = 100;
    const placeWay = cpu(() => {
      for (let i = 0, from = 0; i < n; i++, placed++) {
        into.place(0, 0, names, from, nameEnds[i]!, at, at + 210, i % 3 === 0 ? 1.9e12 + i : Number.NaN);
        from = nameEnds[i]!;
        at += 230;
      }
    });
    const copy = { bytes: at + 9, trailer: '0123456789abcdef' };
    let shaWay = '';
    const encWay = cpu(() => {
      const file = into instanceof KeyBlocks ? into.encode(copy, 11, false) : encodeKeyIndex(into.finish(11), copy, false, MAGIC, true);
      shaWay = createHash('sha256').update(file).digest('hex');
    });
    process.stdout.write(
      `${flags.order}, ${way}: place ${placeWay.toFixed(3)} encode ${encWay.toFixed(3)} total ${(placeWay + encWay).toFixed(3)} ${shaWay.slice(0, 16)}\n`,
    );
  }
}
