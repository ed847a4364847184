import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RedisDrConfig, VaultConfig } from '../config/index.js';
import { AlertTopic } from '../constructs/alert-topic.js';
import { AccessLogBucket } from '../constructs/recovery-bucket.js';
import { VaultBucket } from '../constructs/vault-bucket.js';

/** Props for {@link VaultStack}. */
export interface VaultStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
  /** Its `vault` section. */
  readonly vault: VaultConfig;
}

/** Output holding the vault bucket's name. */
export const VAULT_BUCKET_OUTPUT = 'VaultBucketName';

/**
 * The vault account (config `vault`), deployed with that account's
 * credentials: the Object Lock bucket the export bucket replicates into, its
 * access logs, and the vault's own alert topic, so that nothing in the
 * workload account can delete the copies or the topic that pages about them.
 */
export class VaultStack extends Stack {
  /** The vault bucket. */
  public readonly vaultBucket: VaultBucket;
  /** Alerts of the vault account. */
  public readonly alerts: AlertTopic;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    const { config, vault } = props;
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retentionDays: Math.max(365, vault.retentionDays) });
    this.vaultBucket = new VaultBucket(this, 'Vault', {
      deployment: config.name,
      vault,
      workloadAccounts: vaultWorkloadAccounts(config, vault),
      accessLogs: accessLogs.bucket,
    });
    this.alerts = new AlertTopic(this, 'Alerts', { emails: config.alerts.emails, httpsEndpoints: config.alerts.httpsEndpoints });
    new CfnOutput(this, VAULT_BUCKET_OUTPUT, { description: 'The vault bucket (Object Lock COMPLIANCE)', value: this.vaultBucket.bucket.bucketName });
  }
}

/** The accounts allowed to replicate into the vault: `vault.workloadAccounts`, else `primary.account`. */
export function vaultWorkloadAccounts(config: RedisDrConfig, vault: VaultConfig): string[] {
  if (vault.workloadAccounts) return [...vault.workloadAccounts];
  if (!config.primary.account) throw new Error('vault needs primary.account (the config checks refuse it without)');
  return [config.primary.account];
}
