import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VAULT_REPLICATION_RULE_ID } from '../../../../lib/constructs/recovery-bucket.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { recoveryBucketName } from '../../../../lib/deployment.js';
import { synthesize } from '../../../support/synth.js';

/**
 * A vault that never receives a replica must page somebody (issue 53 item 6):
 * the export bucket's rule into the vault has replication metrics whether or
 * not Replication Time Control is on, and its OperationsFailedReplication
 * pages in the primary region (`replication-failed-vault`). The vault's own
 * staleness alarms' arming grace is held in the freshness job's tests
 * (test/lambdas/jobs/scheduled/freshness-vault.test.ts).
 */
const config = loadConfig(join(__dirname, '..', '..', '..', 'fixtures', 'config', 'vault.json'));

describe('replication into the vault: metrics on, failures page', () => {
  const synth = synthesize(config);
  const vaultBucket = recoveryBucketName(config.name, config.vault!.account, config.vault!.region);

  it('the rule into the vault has replication metrics without Replication Time Control', () => {
    expect(config.vault!.replicationTimeControl).toBe(false);
    const rules = Object.values(synth.primary.findResources('AWS::S3::Bucket')).flatMap(
      (b) => (b.Properties.ReplicationConfiguration?.Rules ?? []) as { Id: string; Destination: Record<string, unknown> }[],
    );
    const toVault = rules.filter((r) => r.Id === VAULT_REPLICATION_RULE_ID);
    expect(toVault).toHaveLength(1);
    expect(toVault[0]!.Destination.Metrics).toMatchObject({ Status: 'Enabled' });
    expect(toVault[0]!.Destination.ReplicationTime).toBeUndefined();
  });

  it('an alarm on OperationsFailedReplication of that rule, to the vault bucket, pages (replication-failed-vault)', () => {
    const alarms = Object.values(synth.primary.findResources('AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties.MetricName === 'OperationsFailedReplication',
    );
    const vault = alarms.filter((a) =>
      (a.Properties.Dimensions as { Name: string; Value: unknown }[]).some((d) => d.Name === 'RuleId' && d.Value === VAULT_REPLICATION_RULE_ID),
    );
    expect(vault).toHaveLength(1);
    const p = vault[0]!.Properties;
    expect(p.AlarmName).toBe(`redis-dr-${config.name}-replication-failed-vault`);
    expect(p.Namespace).toBe('AWS/S3');
    expect(p.Dimensions).toContainEqual({ Name: 'DestinationBucket', Value: vaultBucket });
    expect(p).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    expect(p.AlarmActions).toHaveLength(1);
  });

  it('no vault, no such alarm', () => {
    const plain = synthesize({ ...config, vault: undefined });
    const names = Object.values(plain.primary.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName as string);
    expect(names.filter((n) => n.endsWith('-replication-failed-vault'))).toEqual([]);
  });
});
