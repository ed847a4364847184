import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../../../lambdas/adapters/storage/object-store-file.js';
import { type Attestation, attest, ed25519Signer } from '../../../../lambdas/domain/attest/chain.js';
import { type DrillEvidenceRecord, drillRecordKey } from '../../../../lambdas/domain/drills/evidence-record.js';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { checkAttestation } from '../../../../lambdas/jobs/attest/check.js';
import { orgRollup } from '../../../../lambdas/jobs/org/rollup.js';
import { orgHtml } from '../../../../lambdas/domain/org/page.js';

/**
 * The roll-up reads each account's chains of signed drill records where the drill reports keep the
 * organization's copy, `<account>/<DR region>/drills/<drill region>/<plan>/` (docs/org.md): per chain
 * its newest record and how many records the tree holds. A chain with records missing (fewer than the
 * newest's place) or whose newest drill failed makes the line FAIL naming it; a record that is not one is
 * MALFORMED. The same folder is what `redis-dr attest` checks.
 */
const NOW = new Date('2026-11-23T06:30:00Z');
const A = '111122223333';
const REGION = 'eu-central-1';
const root = accountRegionPrefix(A, REGION);
const DEPLOYMENT = 's3://redis-dr-prod-111122223333-eu-central-1/';
const report = {
  deployment: 'prod',
  until: '2026-11-23T06:00:00.000Z',
  caches: [{ facts: { cache: 'c0' }, controls: [{ control: 'cross-region-copy', verdict: 'pass', why: 'x' }] }],
};
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = ed25519Signer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const drill = (region: string, plan: string, day: number, passed: boolean): DrillEvidenceRecord => ({
  kind: 'redis-dr-drill',
  deployment: 'prod',
  plan,
  region,
  trigger: 'scheduled',
  startedAt: `2026-11-${day}T02:00:00.000Z`,
  finishedAt: `2026-11-${day}T02:12:00.000Z`,
  target: 'sessions-prod',
  pointSelection: 'newest',
  passed,
  ...(passed ? { rtoSeconds: 720 } : { failedStep: 'verify' }),
  rtoTargetSeconds: 1800,
  checks: [],
  summary: passed ? 'passed' : 'failed',
});

/** A chain of records (days of November, each passed or not) under the account's prefix, signed in order. */
function chain(region: string, plan: string, days: readonly [number, boolean][]): Record<string, unknown> {
  let head: Attestation | undefined;
  const out: Record<string, unknown> = {};
  days.forEach(([day, passed], i) => {
    const signed = attest(drill(region, plan, day, passed), {
      deployment: DEPLOYMENT,
      ...(head ? { head } : {}),
      at: new Date(`2026-11-${day}T02:13:00Z`),
      signer,
    });
    head = signed.attestation;
    out[`${root}${drillRecordKey(region, plan, i + 1)}`] = signed;
  });
  return out;
}

function tree(files: Record<string, unknown>): { store: FileObjectStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-drills-'));
  dirs.push(dir);
  for (const [key, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`);
  }
  return { store: new FileObjectStore(dir), dir };
}

const reportKey = `${root}reports/weekly/2026-11-23T0600Z/report.json`;

describe('report --org reads the signed drill records under <account>/<region>/drills/', () => {
  it('shows each chain (both regions, each plan) with its newest record; whole chains whose newest passed keep the line ok; attest checks the same folder', async () => {
    const { store, dir } = tree({
      [reportKey]: report,
      ...chain('eu-central-1', 'sessions', [
        [18, false],
        [20, true],
        [22, true],
      ]),
      ...chain('eu-west-1', 'sessions', [[21, true]]),
    });
    const r = await orgRollup(store, NOW);
    expect(r.accounts[0]).toMatchObject({ account: A, state: 'ok', why: null });
    expect(r.accounts[0]!.drillChains).toEqual([
      {
        plan: 'sessions',
        region: 'eu-central-1',
        records: 3,
        newestSeq: 3,
        newest: {
          key: `${root}drills/eu-central-1/sessions/redis-dr-drill-00000003.json`,
          finishedAt: '2026-11-22T02:12:00.000Z',
          passed: true,
          trigger: 'scheduled',
          target: 'sessions-prod',
          rtoSeconds: 720,
        },
      },
      expect.objectContaining({ plan: 'sessions', region: 'eu-west-1', records: 1, newestSeq: 1 }),
    ]);
    const pem = join(dir, 'pub.pem');
    writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
    expect(await checkAttestation({ path: join(dir, root, 'drills', 'eu-central-1', 'sessions'), publicKey: pem, deployment: DEPLOYMENT })).toMatchObject({
      ok: true,
      records: 3,
    });
  });

  it('a record missing from a chain makes the line FAIL naming the chain (attest names the gap); so does a newest drill that failed', async () => {
    const files = {
      [reportKey]: report,
      ...chain('eu-central-1', 'sessions', [
        [18, true],
        [20, true],
        [22, true],
      ]),
    };
    const { store, dir } = tree(files);
    unlinkSync(join(dir, root, drillRecordKey('eu-central-1', 'sessions', 2)));
    const gap = await orgRollup(store, NOW);
    expect(gap.accounts[0]).toMatchObject({ state: 'fail' });
    expect(gap.accounts[0]!.why).toBe(
      'drill records of sessions in eu-central-1: 2 of 3 in the tree (1 missing from the chain: check it with redis-dr attest)',
    );
    // The page's account section lists the chain, its missing records said.
    const page = orgHtml(gap);
    expect(page).toContain(`<caption>Signed drill records of ${A} in ${REGION}</caption>`);
    expect(page).toContain('<td>2 of 3: MISSING RECORDS</td>');
    // A record copied under a second name of the same place (redis-dr-drill-3.json) fills no gap: places are counted, not keys.
    const doubled = tree(files);
    unlinkSync(join(doubled.dir, root, drillRecordKey('eu-central-1', 'sessions', 2)));
    writeFileSync(
      join(doubled.dir, root, 'drills/eu-central-1/sessions/redis-dr-drill-3.json'),
      JSON.stringify(files[`${root}${drillRecordKey('eu-central-1', 'sessions', 3)}`]),
    );
    expect((await orgRollup(doubled.store, NOW)).accounts[0]!.why).toBe(
      'drill records of sessions in eu-central-1: 2 of 3 in the tree (1 missing from the chain: check it with redis-dr attest)',
    );
    const failed = await orgRollup(tree({ [reportKey]: report, ...chain('eu-central-1', 'queues', [[22, false]]) }).store, NOW);
    expect(failed.accounts[0]!.why).toBe('signed drill record of queues in eu-central-1 of 2026-11-22T02:12:00.000Z failed (verify)');
  });

  it('names a drill record that is not one (MALFORMED), the rest still rolled up; keys outside an account prefix or not records are not read', async () => {
    const key = `${root}${drillRecordKey('eu-central-1', 'sessions', 1)}`;
    const r = await orgRollup(
      tree({
        [reportKey]: report,
        [key]: { kind: 'redis-dr-drill', passed: 'yes' },
        [drillRecordKey('eu-central-1', 'sessions', 1)]: { not: 'read' },
        [`${root}drills/eu-central-1/sessions/notes.json`]: { not: 'read' },
      }).store,
      NOW,
    );
    expect(r.malformed).toEqual([{ key, why: expect.stringMatching(/^not a drill record: /) }]);
    expect(r.accounts[0]).toMatchObject({ state: 'ok', drillChains: [] });
  });
});
