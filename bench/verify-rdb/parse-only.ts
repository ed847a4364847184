/**
 * The parsing thread alone (not part of `npm test`): the verifier with the
 * CRC-64 left to the caller (`externalChecksum`, as the CLI's two-thread path
 * runs it), fed 1 MiB chunks read synchronously into two reused buffers.
 * Prints its wall and CPU milliseconds; profile it with `node --cpu-prof`.
 *
 *   npx esbuild bench/verify-rdb/parse-only.ts --bundle --platform=node --outfile=/tmp/po.js
 *   node /tmp/po.js <file.rdb>
 */
import { openSync, readSync } from 'node:fs';
import { createRdbVerifier } from '../../lambdas/domain/rdb/verifier.js';
const file = process.argv[2]!;
const fd = openSync(file, 'r');
const size = 1 << 20;
const bufs = [new Uint8Array(size), new Uint8Array(size)];
const v = createRdbVerifier({ externalChecksum: true });
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
let pos = 0;
let i = 0;
for (;;) {
  const b = bufs[i++ & 1]!;
  const n = readSync(fd, b, 0, size, pos);
  if (n === 0) break;
  pos += n;
  v.push(b.subarray(0, n));
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(c0);
console.log(JSON.stringify({ ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), state: v.state }));
