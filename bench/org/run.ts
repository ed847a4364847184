/**
 * `npm run bench:org -- [--write <dir>] [--accounts 300] [--regions 2] [--caches 10]`:
 * writes a synthetic evidence tree (bench/org/tree.ts: reports built by the
 * report's own code) and, unless `--write` alone is asked (`--write-only`),
 * times `redis-dr report --org --from file://<dir>` as a process of its own
 * (the built CLI, dist/: `npx tsx scripts/build-dist.ts` first), peak RSS by
 * /usr/bin/time. Targets (issue 52 item 7): ≤ 60 s, ≤ 300 MB at 300 × 2 × 10.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { intFlags, timedProcess } from '../support.js';
import { writeTree } from './tree.js';

const { values } = parseArgs({
  options: {
    write: { type: 'string' },
    'write-only': { type: 'boolean', default: false },
    accounts: { type: 'string', default: '300' },
    regions: { type: 'string', default: '2' },
    caches: { type: 'string', default: '10' },
  },
});
const int = intFlags(values);
const shape = { accounts: int('accounts', 1, 10_000), regions: int('regions', 1, 3), caches: int('caches', 1, 1_000) };
const root = join(__dirname, '..', '..');
const scratch = mkdtempSync(join(os.tmpdir(), 'bench-org-'));
const dir = values.write ?? join(scratch, 'tree');

async function main(): Promise<void> {
  const now = new Date();
  const t0 = Date.now();
  // One account in 50 fails its drills, one in 100 stopped reporting: the FAIL lines are part of the work.
  const objects = writeTree(dir, { ...shape, now, kindOf: (i) => (i % 100 === 7 ? 'stale' : i % 50 === 3 ? 'failing-drill' : 'ok') });
  const writeSeconds = (Date.now() - t0) / 1000;
  process.stdout.write(
    `wrote ${objects} report objects (${shape.accounts} accounts × ${shape.regions} regions × 2 weeks, ${shape.caches} caches each) to ${dir} in ${writeSeconds.toFixed(1)} s\n`,
  );
  if (values['write-only']) return;
  const load = os.loadavg()[0]!;
  const run = await timedProcess(
    process.execPath,
    [join(root, 'bin', 'redis-dr.cjs'), 'report', '--org', '--from', `file://${dir}`, '--json', join(scratch, 'org.json')],
    scratch,
    root,
  );
  const result = {
    at: now.toISOString(),
    shape,
    objects,
    wallSeconds: run.wallSeconds,
    cpuSeconds: run.cpuSeconds,
    maxRssMiB: run.maxRssMiB,
    exit: run.code,
    firstLine: run.stdout.split('\n')[0],
    loadAverage1m: load,
    loadAverage1mAfter: os.loadavg()[0],
    cpus: os.cpus().length,
    node: process.version,
  };
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (run.code !== 1) throw new Error(`report --org exited ${run.code}, expected 1 (the tree has failing accounts): ${run.stderr}`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench:org failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!values.write) rmSync(scratch, { recursive: true, force: true });
  });
