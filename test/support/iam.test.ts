import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { ENCRYPTION_CONTEXT_STAND_IN, evaluate, type IamRequest, type PolicyDocument } from './iam.js';

/** The simulator's gap with KMS encryption context keys, and the stand-in test/support/iam.ts evaluates them under. */
const SECRET = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:app-auth';
const KEY = 'arn:aws:kms:eu-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY,
      Condition: {
        StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:SecretARN': `${SECRET}-??????` },
      },
    },
  ],
};
/** The key's default policy (the account's root: IAM policies decide); KMS, and the simulator, need a key policy. */
const KEY_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'kms:*', Resource: '*' }],
};
const decrypt = (secretArn: string): IamRequest => ({
  action: 'kms:Decrypt',
  resource: KEY,
  resourcePolicy: KEY_POLICY,
  context: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com', 'kms:EncryptionContext:SecretARN': secretArn },
});

describe('test/support/iam.ts: KMS encryption context', () => {
  it('pins the gap: @cloud-copilot/iam-simulate ignores kms:EncryptionContext:<key> in the request (an upgrade that evaluates it fails this)', async () => {
    const response = (await runSimulation(
      {
        identityPolicies: [{ name: 'p', policy: POLICY }],
        resourcePolicy: KEY_POLICY,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          action: 'kms:Decrypt',
          principal: 'arn:aws:iam::000000000000:role/r',
          resource: { resource: KEY, accountId: '000000000000' },
          contextVariables: decrypt(`${SECRET}-AbCdEf`).context,
        },
      } as never,
      {},
    )) as { overallResult?: string; result?: { ignoredContextKeys?: string[] } };
    expect(response.result?.ignoredContextKeys).toEqual(['kms:EncryptionContext:SecretARN']);
    expect(response.overallResult).toBe('ImplicitlyDenied');
  });

  it('evaluates the condition under its stand-in: the secret the grant names is allowed, another secret and a missing context denied', async () => {
    expect(ENCRYPTION_CONTEXT_STAND_IN.startsWith('aws:ResourceTag/')).toBe(true);
    expect(await evaluate([POLICY], decrypt(`${SECRET}-AbCdEf`))).toBe('Allowed');
    expect(await evaluate([POLICY], decrypt(`${SECRET}-admin-AbCdEf`))).toBe('ImplicitlyDenied');
    const { 'kms:EncryptionContext:SecretARN': _dropped, ...without } = decrypt(`${SECRET}-AbCdEf`).context;
    expect(await evaluate([POLICY], { ...decrypt(SECRET), context: without })).toBe('ImplicitlyDenied');
  });
});
