import { runSimulation } from '@cloud-copilot/iam-simulate';
import { expect } from 'vitest';

/**
 * The IAM simulation of a vault bucket's policy as deployed (@cloud-copilot/iam-simulate): the
 * policy rendered from a synthesized vault stack, and one request of a principal of the
 * organization against it. Shared by the single-account organization vault
 * (test/lib/constructs/vault/org-vault.test.ts) and the organization's own vault from the org
 * config (test/lib/org/org-vault.test.ts).
 */
export interface VaultPolicy {
  Statement: Record<string, unknown>[];
}

/** Where the vault is: its account, its bucket's name, the organization it grants. */
export interface VaultPlace {
  readonly vaultAccount: string;
  readonly bucket: string;
  readonly organizationId: string;
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

/**
 * The vault bucket's policy of `template` as deployed (partition aws, the bucket's name, the vault account, the
 * verifier's role ARN), and its minified size in bytes (what S3's 20 KB limit counts).
 */
export function renderVaultPolicy(template: Template, place: VaultPlace): { policy: VaultPolicy; bytes: number } {
  const render = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(render);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, any>;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    if (o.Ref === 'AWS::Partition') return 'aws';
    if (o.Ref === 'AWS::AccountId') return place.vaultAccount;
    if (o['Fn::GetAtt'])
      return template.Resources[o['Fn::GetAtt'][0]]?.Type === 'AWS::IAM::Role'
        ? `arn:aws:iam::${place.vaultAccount}:role/VaultVerifier`
        : `arn:aws:s3:::${place.bucket}`;
    if (o.Ref) return place.bucket;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, render(x)]));
  };
  const policies = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties.Bucket).includes('VaultBucket'),
  );
  expect(policies).toHaveLength(1);
  const policy = render(policies[0]!.Properties.PolicyDocument) as VaultPolicy;
  return { policy, bytes: JSON.stringify(policy).length };
}

/** The worst case: the account's own administrators gave the role every S3 action (a compromised account can). */
export const ADMIN = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }];

/**
 * Whether `role` of `account` (in the organization unless `orgId` says otherwise), with the identity policies
 * `identity` (by default every S3 action), may do `action` on `key` of the vault bucket whose policy is `policy`.
 */
export async function askVault(
  place: VaultPlace,
  policy: VaultPolicy,
  account: string,
  role: string,
  action: string,
  key: string,
  orgId = place.organizationId,
  identity: readonly unknown[] = ADMIN,
): Promise<string> {
  const principal = `arn:aws:iam::${account}:role/${role}`;
  const resource = action === 's3:ListBucket' ? `arn:aws:s3:::${place.bucket}` : `arn:aws:s3:::${place.bucket}/${key}`;
  const response = await runSimulation(
    {
      identityPolicies: identity.map((p, i) => ({ name: `identity${i}`, policy: p })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
      request: {
        action,
        principal,
        resource: { resource, accountId: place.vaultAccount },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:PrincipalArn': principal,
          'aws:PrincipalAccount': account,
          'aws:PrincipalOrgID': orgId,
          ...(action === 's3:ListBucket' ? { 's3:prefix': key } : {}),
        },
      },
    } as never,
    {},
  );
  return response.resultType === 'error' ? `error: ${JSON.stringify(response.errors)}` : response.overallResult;
}
