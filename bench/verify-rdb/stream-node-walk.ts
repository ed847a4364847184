/**
 * The verifier's stream node walk alone (not part of `npm test`): every node
 * of every stream of an RDB file, taken from its keys' DUMP payloads, walked
 * by `validateStreamNode` (WebAssembly, JavaScript for what it hands over)
 * and by `checkStreamNode` (JavaScript alone); prints the nodes, their bytes
 * and each walk's best CPU milliseconds of 7 passes. Run it against two
 * builds in turn (review 21: the entries' IDs checked), pinned to one CPU:
 *
 *   taskset -c 0 npx tsx bench/verify-rdb/stream-node-walk.ts <file.rdb>
 */
import { readFileSync } from 'node:fs';
import { Cursor } from '../../lambdas/domain/rdb/format/value-cursor.js';
import { checkStreamNode, validateStreamNode } from '../../lambdas/domain/rdb/format/stream-node.js';
import { RdbKeyReader } from '../../lambdas/domain/rdb/keys.js';

const nodes: [Buffer, Buffer, boolean][] = [];
for (const key of new RdbKeyReader({}).push(readFileSync(process.argv[2]!))) {
  const p = key.payload;
  if (p[0] !== 15 && p[0] !== 19 && p[0] !== 21) continue; // the stream types whose nodes come first
  const c = new Cursor(p, 1, p.length - 10);
  for (let n = c.length(), first = true; n > 0; n--, first = false) nodes.push([c.string(), c.string(), first]);
}
const best = (walk: () => void): number => {
  let ms = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const t = process.cpuUsage();
    walk();
    const u = process.cpuUsage(t);
    ms = Math.min(ms, (u.user + u.system) / 1000);
  }
  return ms;
};
const bytes = nodes.reduce((sum, [, lp]) => sum + lp.length, 0);
const walked = best(() => {
  for (const [id, lp, first] of nodes) validateStreamNode(lp, id, first);
});
const javascript = best(() => {
  for (const [id, lp, first] of nodes) checkStreamNode(lp, id, first);
});
console.log(JSON.stringify({ nodes: nodes.length, mb: +(bytes / 1e6).toFixed(1), validateStreamNodeMs: walked, checkStreamNodeMs: javascript }));
