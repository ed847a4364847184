import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionsCallsNeed, API_ACTIONS, PLATFORM_ACTIONS } from '../../lib/iam-actions.js';
import { apiActionsDoc } from '../../lib/iam-actions-doc.js';

/**
 * lib/iam-actions.ts, the one table of AWS API calls → IAM actions (issue 53
 * item 2), held to the sources and to every policy built from them: a call
 * with no row, a row with no call, and a granted action no call (nor the
 * platform) needs each fail here. The roles are read from the golden
 * templates (test/lib/template-review.test.ts holds them equal to a synth),
 * so this file synthesizes nothing.
 */
const ROOT = join(__dirname, '..', '..');

/** The SDK client packages → the IAM service prefix of their calls. */
const PREFIX: Record<string, string> = {
  cloudformation: 'cloudformation',
  cloudwatch: 'cloudwatch',
  'config-service': 'config',
  elasticache: 'elasticache',
  kms: 'kms',
  lambda: 'lambda',
  organizations: 'organizations',
  'resource-groups-tagging-api': 'tag',
  s3: 's3',
  securityhub: 'securityhub',
  scheduler: 'scheduler',
  'secrets-manager': 'secretsmanager',
  sfn: 'states',
  sns: 'sns',
  sts: 'sts',
};
/** lib-storage's Upload: a multipart upload, aborted on failure. */
const UPLOAD = ['s3:CreateMultipartUpload', 's3:UploadPart', 's3:CompleteMultipartUpload', 's3:AbortMultipartUpload'];

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** `<prefix>:<Operation>` of every SDK command a source imports as a value, each with the files that do. */
function sdkCallsOf(sources: readonly { file: string; text: string }[]): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  const add = (call: string, file: string) => calls.set(call, [...(calls.get(call) ?? []), file]);
  for (const { file, text } of sources) {
    for (const m of text.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      if (m[1]) continue;
      const prefix = PREFIX[m[3]!] ?? `unknown-client-${m[3]}`;
      for (const raw of m[2]!.split(',')) {
        const name = raw.trim();
        if (name.startsWith('type ') || !name.endsWith('Command')) continue;
        add(`${prefix}:${name.slice(0, -'Command'.length)}`, file);
      }
    }
    if (/from '@aws-sdk\/lib-storage'/.test(text)) for (const call of UPLOAD) add(call, file);
    // The stacks' custom resources (AwsCustomResource: `service: 'S3', action: 'PutBucketAcl'`).
    for (const m of text.matchAll(/service:\s*'([A-Za-z0-9]+)',\s*action:\s*'([A-Za-z]+)'/g)) add(`${m[1]!.toLowerCase()}:${m[2]}`, file);
  }
  return calls;
}

/** The golden templates: name and parsed JSON. */
const TEMPLATES = readdirSync(join(ROOT, 'test', 'fixtures', 'templates'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ name: f, text: readFileSync(join(ROOT, 'test', 'fixtures', 'templates', f), 'utf8') }));

/** The state machines' `aws-sdk` tasks, as calls. */
function aslCalls(): Set<string> {
  const out = new Set<string>();
  for (const t of TEMPLATES)
    for (const m of t.text.matchAll(/states:::aws-sdk:([a-z0-9]+):([a-zA-Z]+)/g)) out.add(`${m[1]}:${m[2]![0]!.toUpperCase()}${m[2]!.slice(1)}`);
  return out;
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

/** Every action granted to a role a Lambda function or a state machine assumes, with where. */
function grantedToRunners(template: Template, name: string): { action: string; where: string }[] {
  const runners = new Set(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument ?? {}).match(/"(lambda|states)\.amazonaws\.com"|states\.[^"]*amazonaws\.com/))
      .map(([id]) => id),
  );
  const out: { action: string; where: string }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const policies =
      r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles ?? []).some((x: { Ref?: string }) => runners.has(x.Ref ?? ''))
        ? [r.Properties.PolicyDocument]
        : r.Type === 'AWS::IAM::Role' && runners.has(id)
          ? (r.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)
          : [];
    for (const doc of policies)
      for (const s of doc.Statement ?? [])
        if (s.Effect === 'Allow') for (const a of [s.Action ?? []].flat() as string[]) out.push({ action: a, where: `${name} ${id} ${s.Sid ?? ''}`.trim() });
  }
  return out;
}

/** The granted actions neither a call nor the platform needs. */
function unneeded(granted: readonly { action: string; where: string }[]): string[] {
  const needed = actionsCallsNeed();
  const platform = new Set(Object.keys(PLATFORM_ACTIONS).map((a) => a.toLowerCase()));
  return granted.filter((g) => !needed.has(g.action.toLowerCase()) && !platform.has(g.action.toLowerCase())).map((g) => `${g.action} (${g.where})`);
}

const SOURCES = ['lambdas', 'cli', 'lib'].flatMap(tsFiles).map((file) => ({ file: relative(ROOT, file), text: readFileSync(file, 'utf8') }));

describe('lib/iam-actions.ts: one table of AWS calls and their IAM actions', () => {
  const calls = new Map([...sdkCallsOf(SOURCES), ...[...aslCalls()].map((c): [string, string[]] => [c, ['a state machine']])]);

  it('has a row for every call the sources make (SDK commands, lib-storage, aws-sdk tasks, custom resources)', () => {
    expect(calls.size).toBeGreaterThan(60);
    const missing = [...calls.entries()].filter(([call]) => !API_ACTIONS[call]).map(([call, files]) => `${call} (${files.join(', ')})`);
    expect(missing, 'add each to lib/iam-actions.ts').toEqual([]);
  });

  it('names no call the sources do not make (a stale row)', () => {
    expect(Object.keys(API_ACTIONS).filter((call) => !calls.has(call))).toEqual([]);
  });

  it('a new command in a source without a row is found (negative)', () => {
    const planted = sdkCallsOf([{ file: 'x.ts', text: "import { RebootCacheClusterCommand, type Snapshot } from '@aws-sdk/client-elasticache';" }]);
    expect([...planted.keys()].filter((c) => !API_ACTIONS[c])).toEqual(['elasticache:RebootCacheCluster']);
  });

  it('every action a Lambda function or state machine of the synthesized stacks holds is one a call (or the platform) needs', () => {
    const granted = TEMPLATES.flatMap((t) => grantedToRunners(JSON.parse(t.text) as Template, t.name));
    expect(granted.length).toBeGreaterThan(500);
    expect(unneeded(granted)).toEqual([]);
  });

  it('an action no call needs, planted in a role, is found (negative)', () => {
    const template: Template = {
      Resources: {
        R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } } },
        P: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'R' }],
            PolicyDocument: { Statement: [{ Sid: 'Planted', Effect: 'Allow', Action: ['s3:GetObject', 'elasticache:ModifyReplicationGroup'] }] },
          },
        },
      },
    };
    expect(unneeded(grantedToRunners(template, 't'))).toEqual(['elasticache:ModifyReplicationGroup (t P Planted)']);
  });

  it('every action the operator policy allows is one a call needs (its Deny statements grant nothing: they may name any)', () => {
    const policy = JSON.parse(readFileSync(join(ROOT, 'docs', 'iam', 'operator-policy.json'), 'utf8')) as {
      Statement: { Action: string[]; Sid: string; Effect: string }[];
    };
    const needed = actionsCallsNeed();
    const allows = policy.Statement.filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(10);
    expect(allows.flatMap((s) => s.Action.filter((a) => !needed.has(a.toLowerCase())).map((a) => `${a} (${s.Sid})`))).toEqual([]);
  });

  it('docs/iam/api-actions.md is written from it (npm run docs:iam)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'iam', 'api-actions.md'), 'utf8')).toBe(apiActionsDoc());
  });
});
