import { describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../../lib/config/index.js';
import type { TemplateJson } from '../../../lib/asl.js';
import { REPLICATION_RULE_ID, VAULT_REPLICATION_RULE_ID } from '../../../lib/constructs/recovery-bucket.js';
import { synthesize } from '../../support/synth.js';

/**
 * The export replicas of an organization's vault (vault.organizationId): the export function copies each finished
 * shard under `<account>/<region>/` (lambdas/jobs/dr-copies/org-export-copy.ts), the export bucket's rule into the
 * vault replicates that prefix only (the organization vault takes nothing else) and the DR rule ElastiCache's
 * exports only (`rdr-`); the function's role writes under the prefix and nowhere new. A listed vault synthesizes
 * as before (no filter, no orgRoot, no grant).
 */
const FIXTURE = 'test/fixtures/config/vault.json';
const A = '111111111111';

function configWith(organizationId?: string): RedisDrConfig {
  const base = loadConfig(FIXTURE);
  return { ...base, vault: { ...base.vault!, ...(organizationId ? { organizationId } : {}) } };
}

type Resource = { Type: string; Properties: Record<string, any> };
const resources = (t: TemplateJson) => Object.values(t.Resources ?? {}) as Resource[];
const exportRules = (t: TemplateJson) =>
  resources(t).flatMap((r) =>
    r.Type === 'AWS::S3::Bucket' ? ((r.Properties.ReplicationConfiguration?.Rules ?? []) as { Id: string; Filter?: unknown }[]) : [],
  );
const statements = (t: TemplateJson) =>
  resources(t)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => r.Properties.PolicyDocument.Statement as { Sid?: string; Action: string | string[]; Resource: unknown }[]);

describe("an organization vault's export replicas", () => {
  const org = synthesize(configWith('o-abcdefghij'));
  const primary = org.primary.toJSON() as TemplateJson;
  const region = loadConfig(FIXTURE).primary.region;

  it('filters the rule into the vault on <account>/<primary region>/ and the DR rule on rdr-', () => {
    const rules = exportRules(primary);
    expect(rules.find((r) => r.Id === VAULT_REPLICATION_RULE_ID)!.Filter).toEqual({ Prefix: `${A}/${region}/` });
    expect(rules.find((r) => r.Id === REPLICATION_RULE_ID)!.Filter).toEqual({ Prefix: 'rdr-' });
  });

  it('sends the export function the prefix, and lets it write, read back and abort copies there only (and read source versions of rdr-)', () => {
    const schedules = resources(primary).filter((r) => r.Type === 'AWS::Scheduler::Schedule' && JSON.stringify(r.Properties).includes('minTier'));
    expect(schedules.length).toBeGreaterThan(0);
    for (const s of schedules) expect(JSON.stringify(s.Properties.Target.Input)).toContain(`\\"orgRoot\\":\\"${A}/${region}/\\"`);
    const copies = statements(primary).filter((s) => s.Sid === 'OrgCopies');
    expect(copies).toHaveLength(1);
    expect([copies[0]!.Action].flat().sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(copies[0]!.Resource)).toContain(`/${A}/${region}/*`);
    const sources = statements(primary).filter((s) => s.Sid === 'OrgCopySources');
    expect(sources).toHaveLength(1);
    expect(JSON.stringify(sources[0]!.Resource)).toContain('/rdr-*');
  });

  it('a listed vault (no organizationId) replicates everything as before: no filter, no orgRoot, no copy grant', () => {
    const listed = synthesize(configWith()).primary.toJSON() as TemplateJson;
    // The empty prefix: every key (CDK's filter when a bucket has more than one rule).
    for (const r of exportRules(listed).filter((x) => x.Id === VAULT_REPLICATION_RULE_ID || x.Id === REPLICATION_RULE_ID))
      expect(r.Filter).toEqual({ Prefix: '' });
    expect(JSON.stringify(listed)).not.toContain('orgRoot');
    expect(statements(listed).filter((s) => s.Sid === 'OrgCopies' || s.Sid === 'OrgCopySources')).toEqual([]);
  });
});
