import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/index.js';
import { secretKeyStatement } from '../../lib/constructs/secret-keys.js';
import {
  AUTH_SECRET_KEY_PLACEHOLDER,
  AUTH_SECRET_PLACEHOLDER,
  alertTopicArnPatterns,
  alertTopicLogicalId,
  authSecretKeyStatement,
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

  it("fills in the secrets' key statement once per configured customer managed key, through Secrets Manager in its region; none configured: it goes (issue 53 item 1)", () => {
    const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const policy: OperatorPolicy = { ...POLICY, Statement: [...POLICY.Statement, authSecretKeyStatement()] };
    expect(JSON.stringify(authSecretKeyStatement())).toContain(AUTH_SECRET_KEY_PLACEHOLDER);
    const keyed = { ...withSecret, plans: withSecret.plans.map((p) => ({ ...p, probe: { ...p.probe, authSecretKmsKeyArn: KEY } })) };
    const filled = operatorPolicyFor(policy, keyed);
    // The Lambda roles' shape (test/lib/constructs/secret-keys.test.ts spells it out): the key, its region, the secret.
    expect(filled.Statement.at(-1)).toEqual(secretKeyStatement({ key: KEY, region: 'eu-west-1', secrets: [SECRET] }, 'AuthTokenSecretKeys'));
    expect(JSON.stringify(filled)).not.toContain('<');
    // The secret under aws/secretsmanager: no key statement.
    expect(operatorPolicyFor(policy, withSecret).Statement.map((s) => s.Sid)).toEqual(['AlertTopics', 'AuthTokenSecrets', 'Any']);
  });
});
