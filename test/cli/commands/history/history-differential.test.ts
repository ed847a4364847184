/**
 * `redis-dr history` through the CLI over a generated change series
 * (test/support/history-fuzz.ts): its `--json` must be the job's history
 * (which test/lambdas/jobs/serve/history-differential.test.ts holds to the
 * server's own answers), for keys whose names need quoting on a command line
 * (spaces, glob characters, UTF-8), one in another database, one never there,
 * and `--match --since` with an escaped glob and an ISO time with its zone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonKey } from '../../../../lambdas/domain/rdb/fingerprint.js';
import { keyHistoryOf } from '../../../../lambdas/jobs/serve/history.js';
import { generateHistory, pointTime } from '../../../support/history-fuzz.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../support/in-process.js';

const SEED = Number(process.env.REDIS_DR_FUZZ_SEED ?? 5603);
let root: string;
let dest: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redis-dr-history-cli-fuzz-'));
  dest = join(root, 'dest');
  const server = await startRedisServer();
  try {
    await generateHistory(server, dest, SEED, 8);
  } finally {
    await server.stop();
  }
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The job's result as `--json` prints it (dates as ISO strings, keys with their base64). */
const asJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

describe(`redis-dr history --json over a generated series (seed ${SEED})`, () => {
  it.each([
    ['a key with spaces', 0],
    ['g*?[x]', 3],
    ['ünï', 0],
    ['never', 0],
    ['hash', 0],
  ])(
    'gives the job history of %j in db %i',
    async (key, db) => {
      const r = await inWorker('history', key, '--db', String(db), '--from', `file://${dest}`, '--json');
      expect(r.status, r.stderr).toBe(0);
      const job = await keyHistoryOf({ from: `file://${dest}`, key: Buffer.from(key), db, show: false });
      const printed = JSON.parse(r.stdout) as { rows: unknown[]; points: string[] };
      expect(printed.points).toEqual(job.points);
      expect(printed.rows).toEqual(asJson(job.rows));
      expect(printed.rows).toHaveLength(8);
    },
    30_000,
  );

  it('gives the job changes of --match with an escaped glob, --since an ISO time with its zone', async () => {
    const since = new Date(pointTime(3) + 1_800_000);
    const iso = `${since.toISOString().slice(0, 16)}+00:00`;
    let listed = 0;
    for (const [pattern, db] of [
      ['g\\*?\\[*', 3],
      ['*', 0],
      ['*', 3],
    ] as const) {
      const r = await inWorker('history', '--match', pattern, '--db', String(db), '--since', iso, '--from', `file://${dest}`, '--json');
      expect(r.status, r.stderr).toBe(0);
      const job = await keyHistoryOf({ from: `file://${dest}`, match: pattern, db, since });
      const printed = JSON.parse(r.stdout) as { changes: { point: string; change: string; key: string; keyBase64?: string }[] };
      expect(printed.changes.map((c) => [c.point, c.change, c.key, c.keyBase64])).toEqual(
        job.changes!.map((c) => [c.point, c.change, jsonKey(c.key).key, jsonKey(c.key).keyBase64]),
      );
      listed += printed.changes.length;
    }
    expect(listed).toBeGreaterThan(0);
  }, 30_000);
});
