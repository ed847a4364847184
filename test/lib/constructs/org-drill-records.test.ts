/**
 * The drills' signed records reach an organization's vault (issue 58 item 2,
 * docs/org.md): with `vault.organizationId`, the drill report of each region
 * keeps each record also under `<account>/<DR region>/` of the DR bucket, the
 * prefix the DR bucket's rule replicates into the vault (under its COMPLIANCE
 * retention). On the synthesized templates of the drills fixture (drills in
 * both regions) given an organization's vault: the rule's filter, the
 * report's environment, and the IAM simulation of its grant, with the keys
 * the job writes (lambdas/jobs/drills/drill-evidence.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TemplateJson } from '../../../lib/asl.js';
import { loadConfig } from '../../../lib/config/index.js';
import { REPORTS_REPLICATION_RULE_ID } from '../../../lib/constructs/recovery-bucket.js';
import { drillRecordKey } from '../../../lambdas/domain/drills/evidence-record.js';
import { evaluate, rolePolicies } from '../../support/iam.js';
import { DRILLS_CONFIG } from '../../support/state-machine.js';
import { synthesize } from '../../support/synth.js';

const ACCOUNT = '111111111111';
const DR_REGION = 'eu-central-1';
const PRIMARY_REGION = 'eu-west-1';
const ORG_ROOT = `${ACCOUNT}/${DR_REGION}/`;

const dir = mkdtempSync(join(tmpdir(), 'org-drill-records-'));
const file = join(dir, 'config.json');
const raw = JSON.parse(readFileSync(DRILLS_CONFIG, 'utf8')) as Record<string, any>;
writeFileSync(
  file,
  JSON.stringify({
    ...raw,
    $schema: undefined,
    primary: { ...raw.primary, account: ACCOUNT },
    vault: { account: '222222222222', region: DR_REGION, retentionDays: 400, organizationId: 'o-abcdefghij' },
  }),
);
const config = loadConfig(file);
const synth = synthesize(config);
afterAll(() => {
  synth.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** The drill report's role and function of a template, and the role's policies as deployed in `region`. */
function drillReport(template: TemplateJson, region: string) {
  const resources = Object.entries(template.Resources ?? {});
  const [roleId] = resources.find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties?.Description === 'redis-dr drill-report function')!;
  const fn = resources.find(
    ([, r]) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties?.Role ?? '').includes(roleId) && r.Properties?.Environment,
  )![1];
  const environment = fn.Properties!.Environment as { Variables: Record<string, unknown> };
  return { env: environment.Variables, policies: rolePolicies(template, roleId, { account: ACCOUNT, region }) };
}

describe("drill records in an organization's vault", () => {
  const bucket = `redis-dr-${config.name}-${ACCOUNT}-${DR_REGION}`;
  const object = (key: string) => `arn:aws:s3:::${bucket}/${key}`;

  it("the DR bucket's rule into the vault takes <account>/<DR region>/, where the drill reports keep their copies", () => {
    const dr = synth.dr.toJSON() as TemplateJson;
    const replicated = Object.values(dr.Resources ?? {}).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties?.ReplicationConfiguration)!;
    const rules = (replicated.Properties!.ReplicationConfiguration as { Rules: Record<string, any>[] }).Rules;
    expect(rules).toEqual([
      expect.objectContaining({ Id: REPORTS_REPLICATION_RULE_ID, Filter: { Prefix: ORG_ROOT }, DeleteMarkerReplication: { Status: 'Disabled' } }),
    ]);
    for (const [template, region] of [
      [dr, DR_REGION],
      [synth.primary.toJSON() as TemplateJson, PRIMARY_REGION],
    ] as const) {
      const { env } = drillReport(template, region);
      expect(env.EVIDENCE_ORG_ROOT, region).toBe(ORG_ROOT);
      // The record's organization copy is under the rule's prefix: it replicates.
      expect(`${ORG_ROOT}${drillRecordKey(region, 'sessions', 1)}`.startsWith(rules[0]!.Filter.Prefix)).toBe(true);
    }
  });

  it.each([
    [DR_REGION, 'dr'],
    [PRIMARY_REGION, 'primary'],
  ] as const)(
    'IAM: the %s drill report lists, reads and writes its region’s copies under the prefix, nothing of another region, account or the rest of it',
    async (region, stack) => {
      const { policies } = drillReport((stack === 'dr' ? synth.dr : synth.primary).toJSON() as TemplateJson, region);
      const judge = (action: string, resource: string, context: Record<string, string> = {}) =>
        evaluate(policies, { action, resource, context }, { account: ACCOUNT, region });
      const copy = `${ORG_ROOT}${drillRecordKey(region, 'sessions', 7)}`;
      expect(await judge('s3:PutObject', object(copy))).toBe('Allowed');
      expect(await judge('s3:GetObject', object(copy))).toBe('Allowed');
      expect(await judge('s3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': `${ORG_ROOT}drills/${region}/sessions/` })).toBe('Allowed');
      const other = region === DR_REGION ? PRIMARY_REGION : DR_REGION;
      for (const denied of [
        `${ORG_ROOT}${drillRecordKey(other, 'sessions', 7)}`,
        `222222222222/${DR_REGION}/${drillRecordKey(region, 'sessions', 7)}`,
        `${ORG_ROOT}reports/weekly/2026-11-23T0600Z/report.json`,
      ])
        expect(await judge('s3:PutObject', object(denied)), denied).toBe('ImplicitlyDenied');
      expect(await judge('s3:DeleteObject', object(copy))).toBe('ImplicitlyDenied');
    },
  );
});
