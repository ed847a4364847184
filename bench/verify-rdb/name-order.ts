/**
 * bench/verify-rdb/name-order: what putting a key index's keys in (database,
 * name) order costs (domain/serve/name-order.ts, the radix sort the index
 * uses) beside the comparison sort it replaced (`Buffer.compare` a pair),
 * in one process, same names, CPU-seconds. A file's keys come in the order
 * of the server's hash table: the names are shuffled (seeded), as there;
 * `--sorted` keeps them in order, as bench/serve/written-rdb.ts writes them
 * (and dr-read-index.ts reads them). Three kinds of names: `key:` and 12
 * zero-padded digits (written-rdb's), `user:session:<hex>:<n>`, `k<n>`.
 * Both orders are checked equal.
 *
 *   npx tsx bench/verify-rdb/name-order.ts [--keys 2000000] [--sorted]
 */
import { parseArgs } from 'node:util';
import { nameOrder } from '../../lambdas/domain/serve/name-order.js';
import { intFlags } from '../support.js';

const { values: flags } = parseArgs({ options: { keys: { type: 'string', default: '2000000' }, sorted: { type: 'boolean', default: false } }, strict: true });
const n = intFlags<'keys'>(flags)('keys', 1, 50_000_000);
const cpu = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

const kinds: Record<string, (i: number) => string> = {
  'key:<12 digits>': (i) => `key:${String(i).padStart(12, '0')}`,
  'user:session:<hex>:<n>': (i) => `user:session:${(Math.imul(i, 2654435761) >>> 0).toString(16)}:${i}`,
  'k<n>': (i) => `k${i}`,
};
for (const [kind, name] of Object.entries(kinds)) {
  const ids = Array.from({ length: n }, (_, i) => i);
  let s = 12345;
  const random = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  if (!flags.sorted)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
  const bufs = ids.map((i) => Buffer.from(name(i)));
  const names = Buffer.concat(bufs);
  const nameAt = new Float64Array(n);
  const nameLen = new Uint32Array(n);
  const db = new Uint32Array(n);
  let at = 0;
  bufs.forEach((b, k) => {
    nameAt[k] = at;
    nameLen[k] = b.length;
    at += b.length;
  });
  let radix: Uint32Array = new Uint32Array(0);
  const radixCpu = cpu(() => {
    radix = nameOrder(n, names, nameAt, nameLen, db);
  });
  const compared = new Uint32Array(n);
  const compareCpu = cpu(() => {
    for (let i = 0; i < n; i++) compared[i] = i;
    compared.sort((a, b) => db[a]! - db[b]! || names.compare(names, nameAt[b]!, nameAt[b]! + nameLen[b]!, nameAt[a]!, nameAt[a]! + nameLen[a]!));
  });
  if (!Buffer.from(radix.buffer).equals(Buffer.from(compared.buffer))) throw new Error(`${kind}: the two orders differ`);
  console.log(
    `${kind}, ${n} names ${flags.sorted ? 'in order' : 'shuffled'}: radix ${radixCpu.toFixed(2)} CPU-s, Buffer.compare sort ${compareCpu.toFixed(2)} CPU-s (same order)`,
  );
}
