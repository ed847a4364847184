import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicConfig, exampleConfig, synthesize, type Synthesized } from '../support/synth.js';
import { NAME_PROPERTIES } from '../support/template-review.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

/** Every explicit physical name of a template, as `Type Property=value` (values that are tokens as their JSON). */
function physicalNames(template: { Resources?: Resources }): string[] {
  const names: string[] = [];
  for (const r of Object.values(template.Resources ?? {})) {
    for (const p of NAME_PROPERTIES) {
      const v = r.Properties?.[p];
      // A plain Ref/GetAtt points at another resource of the stack (unique by construction); names built with Join/Sub count.
      const reference = typeof v === 'object' && v !== null && Object.keys(v).length === 1 && ('Ref' in v || 'Fn::GetAtt' in v);
      if (v !== undefined && !reference) names.push(`${r.Type} ${p}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  }
  return names;
}

/**
 * Two deployments of different configs in one account (the example, and basic.json renamed
 * `staging`): nothing collides, and a failed first deploy can be retried.
 */
describe('two deployments in one account', () => {
  let a: Synthesized;
  let b: Synthesized;
  beforeAll(() => {
    a = synthesize(exampleConfig());
    b = synthesize({ ...basicConfig(), name: 'staging' });
  });
  afterAll(() => {
    a.cleanup();
    b.cleanup();
  });

  it('a real (non-example) config carries no example rule', () => {
    for (const template of [b.primary, b.dr]) {
      const rules = (template.toJSON().Rules ?? {}) as Record<string, unknown>;
      expect(Object.keys(rules).filter((id) => id.startsWith('ExampleConfig'))).toEqual([]);
    }
  });

  it('share no fixed physical name (roles, buckets, log groups, state machines, topics, alarms, groups)', () => {
    const of = (s: Synthesized) => new Set([s.primary, s.dr].flatMap((t) => physicalNames(t.toJSON() as { Resources?: Resources })));
    const names = of(b);
    const shared = [...of(a)].filter((n) => names.has(n));
    expect(shared).toEqual([]);
    expect(names.size).toBeGreaterThan(5); // the check sees names at all
  });

  it('the replication role has no account-wide fixed name (CDK\'s default "CDKReplicationRole")', () => {
    const roles = Object.values(a.primary.toJSON().Resources as Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles.map((r) => r.Properties?.RoleName).filter((n) => n !== undefined)).not.toContain('CDKReplicationRole');
    expect(JSON.stringify(a.primary.toJSON())).not.toContain('CDKReplicationRole');
  });

  it('a failed first deploy can be retried: buckets RetainExceptOnCreate, schedule groups and state machine log groups deleted', () => {
    for (const template of [a.primary, a.dr]) {
      const resources = Object.values(template.toJSON().Resources as Resources);
      const buckets = resources.filter((r) => r.Type === 'AWS::S3::Bucket');
      expect(buckets.length).toBeGreaterThan(0);
      for (const bucket of buckets) expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
      for (const group of resources.filter((r) => r.Type === 'AWS::Scheduler::ScheduleGroup')) expect(group.DeletionPolicy).toBe('Delete');
      const named = resources.filter((r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties?.LogGroupName !== undefined);
      for (const group of named) expect(group.DeletionPolicy).toBe('Delete');
    }
  });

  it("state machines log under /aws/vendedlogs/states/ (no statement in the account's 5,120-character Logs resource policy)", () => {
    for (const template of [a.primary, a.dr]) {
      const resources = template.toJSON().Resources as Resources;
      for (const sm of Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')) {
        const destination = JSON.stringify(sm.Properties?.LoggingConfiguration);
        const ref = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(destination)?.[1];
        expect(ref, destination).toBeDefined();
        expect(resources[ref!]!.Properties?.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\/redis-dr-/);
      }
    }
  });
});
