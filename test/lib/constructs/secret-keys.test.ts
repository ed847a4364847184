import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { grantReadSecrets, probeSecrets, secretKeyGrants, secretKeyStatement } from '../../../lib/constructs/secret-keys.js';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-auth';
const OTHER = 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:app-user';
const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The kms:Decrypt grants for reading configured secrets (issue 53 item 1): one shape for the Lambda roles and the operator policy. */
describe('lib/constructs/secret-keys.ts', () => {
  it('grants exactly the configured key, through Secrets Manager in its region, for that secret’s data keys', () => {
    const [grant, ...rest] = secretKeyGrants([{ arn: SECRET, kmsKeyArn: KEY }], 'none');
    expect(rest).toEqual([]);
    expect(secretKeyStatement(grant!, 'Sid')).toEqual({
      Sid: 'Sid',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [KEY],
      Condition: {
        StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:SecretARN': [SECRET, `${SECRET}-??????`] },
      },
    });
  });

  it('without a configured key: nothing for the operator (aws/secretsmanager needs no grant), the keys of the secret’s account and region for a role', () => {
    expect(secretKeyGrants([{ arn: SECRET }], 'none')).toEqual([]);
    expect(secretKeyGrants([{ arn: SECRET }, { arn: OTHER }], 'account-keys')).toEqual([
      { key: 'arn:aws:kms:eu-west-1:111122223333:key/*', region: 'eu-west-1', secrets: [SECRET] },
      { key: 'arn:aws:kms:eu-central-1:111122223333:key/*', region: 'eu-central-1', secrets: [OTHER] },
    ]);
    // Two secrets under one key: one grant for both.
    expect(
      secretKeyGrants(
        [
          { arn: SECRET, kmsKeyArn: KEY },
          { arn: `${SECRET}-2`, kmsKeyArn: KEY },
        ],
        'none',
      ),
    ).toEqual([{ key: KEY, region: 'eu-west-1', secrets: [SECRET, `${SECRET}-2`] }]);
  });

  it('takes the probe’s secrets only from plans that probe', () => {
    const plan = (enabled: boolean, authSecretArn?: string) => ({ probe: { enabled, authSecretArn, authSecretKmsKeyArn: authSecretArn && KEY } });
    expect(probeSecrets([plan(true, SECRET), plan(false, OTHER), plan(true)])).toEqual([{ arn: SECRET, kmsKeyArn: KEY }]);
  });

  it('gives a role the read and the key statement; no key statement names a key wildcard when the key is configured', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    grantReadSecrets(role, 'ReadCacheAuth', [{ arn: SECRET, kmsKeyArn: KEY }]);
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    const statements = policy!.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    expect(statements.map((s) => [s.Sid, s.Resource])).toEqual([
      ['ReadCacheAuth', [SECRET, `${SECRET}-??????`]],
      ['ReadCacheAuthKey', KEY],
    ]);
  }, 120_000);
});
