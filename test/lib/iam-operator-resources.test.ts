import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/index.js';
import {
  AUTH_SECRET_PLACEHOLDER,
  alertTopicArnPatterns,
  alertTopicLogicalId,
  authSecretResources,
  configuredAuthSecrets,
  DEPLOYMENT_PLACEHOLDER,
  type OperatorPolicy,
  operatorPolicyFor,
  orgSelftestRecords,
} from '../../lib/iam-operator-resources.js';

/** The deployment's own resources of docs/iam/operator-policy.json, and their filling-in for one config. */
const CONFIG = loadConfig('test/fixtures/config/selftest.json');
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-auth';
const withSecret = { ...CONFIG, plans: CONFIG.plans.map((p) => ({ ...p, probe: { ...p.probe, authSecretArn: SECRET } })) };
const POLICY: OperatorPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AlertTopics', Effect: 'Allow', Action: ['sns:Publish'], Resource: alertTopicArnPatterns(DEPLOYMENT_PLACEHOLDER, 'AlertsTopicABC') },
    { Sid: 'AuthTokenSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: authSecretResources() },
    { Sid: 'Any', Effect: 'Allow', Action: ['tag:GetResources'], Resource: '*' },
  ],
};

describe('lib/iam-operator-resources.ts', () => {
  it("names the two stacks' alert topics as CloudFormation names them, and the secret in both forms", () => {
    expect(alertTopicArnPatterns('prod', 'AlertsTopicABC')).toEqual([
      'arn:aws:sns:*:*:RedisDr-prod-Primary-AlertsTopicABC-*',
      'arn:aws:sns:*:*:RedisDr-prod-Dr-AlertsTopicABC-*',
    ]);
    expect(authSecretResources()).toEqual([AUTH_SECRET_PLACEHOLDER, `${AUTH_SECRET_PLACEHOLDER}-??????`]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, resolved by IAM per request
    expect(orgSelftestRecords()).toBe('arn:aws:s3:::redis-dr-*/${aws:PrincipalAccount}/*/selftest/*');
  });

  it("reads the topic's logical id from the template's AlertTopicArn output, and fails without one", () => {
    expect(alertTopicLogicalId({ Outputs: { AlertTopicArn: { Value: { Ref: 'AlertsTopicABC' } } } })).toBe('AlertsTopicABC');
    expect(() => alertTopicLogicalId({ Outputs: {} })).toThrow('no AlertTopicArn output');
  });

  it("fills in the deployment's name and each configured secret; no secret configured: the secrets' statement goes", () => {
    expect(configuredAuthSecrets(withSecret)).toEqual([SECRET]);
    const filled = operatorPolicyFor(POLICY, withSecret);
    expect(filled.Statement.map((s) => s.Resource)).toEqual([
      ['arn:aws:sns:*:*:RedisDr-st-Primary-AlertsTopicABC-*', 'arn:aws:sns:*:*:RedisDr-st-Dr-AlertsTopicABC-*'],
      [SECRET, `${SECRET}-??????`],
      ['*'],
    ]);
    expect(JSON.stringify(filled)).not.toContain('<');
    const none = operatorPolicyFor(POLICY, CONFIG);
    expect(configuredAuthSecrets(CONFIG)).toEqual([]);
    expect(none.Statement.map((s) => s.Sid)).toEqual(['AlertTopics', 'Any']);
  });
});
