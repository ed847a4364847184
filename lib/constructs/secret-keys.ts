/**
 * The `kms:Decrypt` a reader of a configured secret needs when the secret is
 * encrypted with a customer managed KMS key (the AWS managed
 * `aws/secretsmanager` key's own policy lets the account's principals use it
 * through Secrets Manager: no grant). One shape for the Lambda roles
 * (grantReadSecrets) and the operator policy (operatorPolicyFor).
 *
 * Secrets Manager decrypts a secret's data key as the caller, through
 * itself (`kms:ViaService` = `secretsmanager.<region>.amazonaws.com`), with
 * the secret's ARN as the `SecretARN` encryption context: the grant holds to
 * both, so it lets the caller read these secrets and decrypt nothing else.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { secretArnResources } from './elasticache-arns.js';

/** A configured secret and, where it is customer managed, the key that encrypts it (config: `authSecretKmsKeyArn`, `secretKmsKeyArn`). */
export interface ConfiguredSecret {
  readonly arn: string;
  readonly kmsKeyArn?: string;
}

/** One kms:Decrypt grant: on `key`, through Secrets Manager in `region`, for the data keys of `secrets`. */
export interface SecretKeyGrant {
  readonly key: string;
  readonly region: string;
  readonly secrets: readonly string[];
}

/**
 * The grants reading `secrets` needs, one per key. A secret whose key is
 * configured: exactly that key. One without: `unnamed` decides — `none`
 * (the operator policy: a customer managed key must be configured), or
 * `account-keys` (the Lambda roles, as before the setting existed: any key
 * of the secret's account and region, still only through Secrets Manager and
 * only for this secret's data keys, so a deployed secret under a customer
 * managed key stays readable until its key is configured).
 */
export function secretKeyGrants(secrets: readonly ConfiguredSecret[], unnamed: 'none' | 'account-keys'): SecretKeyGrant[] {
  const grants = new Map<string, { key: string; region: string; secrets: string[] }>();
  for (const { arn, kmsKeyArn } of secrets) {
    const [, partition, , region = '', account] = arn.split(':');
    const key = kmsKeyArn ?? (unnamed === 'account-keys' ? `arn:${partition}:kms:${region}:${account}:key/*` : undefined);
    if (!key) continue;
    const grant = grants.get(key) ?? { key, region: kmsKeyArn ? kmsKeyArn.split(':')[3]! : region, secrets: [] };
    if (!grant.secrets.includes(arn)) grant.secrets.push(arn);
    grants.set(key, grant);
  }
  return [...grants.values()];
}

/** The IAM statement of one grant (as a policy document spells it). */
export function secretKeyStatement(grant: SecretKeyGrant, sid: string): Record<string, unknown> {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['kms:Decrypt'],
    Resource: [grant.key],
    Condition: {
      StringEquals: { 'kms:ViaService': `secretsmanager.${grant.region}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:SecretARN': grant.secrets.flatMap(secretArnResources) },
    },
  };
}

/** Every configured secret the probe reads (plans with the probe on), with its key. */
export function probeSecrets(plans: readonly { probe: { enabled?: boolean; authSecretArn?: string; authSecretKmsKeyArn?: string } }[]): ConfiguredSecret[] {
  return plans.flatMap(({ probe }) => (probe.enabled && probe.authSecretArn ? [{ arn: probe.authSecretArn, kmsKeyArn: probe.authSecretKmsKeyArn }] : []));
}

/**
 * Lets `role` read the configured secrets (each as given and with the
 * suffix Secrets Manager appends, see {@link secretArnResources}) and
 * decrypt them where a customer managed key encrypts them
 * ({@link secretKeyGrants}: the configured key, else the keys of the
 * secret's account and region), and acknowledges the wildcards.
 */
export function grantReadSecrets(role: iam.IRole, sid: string, configured: readonly ConfiguredSecret[]): void {
  const secrets = [...new Set(configured.map((s) => s.arn))];
  if (secrets.length === 0) return;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions: ['secretsmanager:GetSecretValue'], resources: secrets.flatMap(secretArnResources) }));
  for (const [i, grant] of secretKeyGrants(configured, 'account-keys').entries()) {
    role.addToPrincipalPolicy(iam.PolicyStatement.fromJson(secretKeyStatement(grant, `${sid}Key${i === 0 ? '' : i + 1}`)));
    if (grant.key.endsWith('/*'))
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${grant.key}]`,
        reason:
          "The secrets' customer managed KMS key is not in the config (authSecretKmsKeyArn, secretKmsKeyArn); kms:Decrypt is limited to calls Secrets Manager makes for exactly these secrets (kms:ViaService and the SecretARN encryption context).",
      });
  }
  Validations.of(role).acknowledge(
    ...secrets.map((arn) => ({
      id: `AwsSolutions-IAM5[Resource::${arn}-??????]`,
      reason: 'The configured secret ARN may lack the 6-character suffix Secrets Manager appends; ?????? matches exactly that suffix of this one secret.',
    })),
  );
}
