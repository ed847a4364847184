import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
import { synthSummary } from '../../lib/synth-summary.js';
import { aclResetCommand } from '../../lambdas/domain/doctor/acl-reset.js';
import { judgeExportOwner } from '../../lambdas/domain/doctor/object-checks.js';
import { synthesize } from '../support/synth.js';

/**
 * The upgrade from `dr.elastiCacheBucketAccess` "acl" to "bucket-policy"
 * (issue 53 item 8): the diff of the two synths turns buckets from
 * BucketOwnerPreferred to BucketOwnerEnforced, which S3 refuses while the
 * bucket ACL still grants ElastiCache (the update rolls back). Every bucket
 * the diff turns must have its `put-bucket-acl --acl private` step in the
 * synth summary of the new config, and doctor's fix that recommends the
 * switch says the step too.
 */
const base = loadConfig(join(__dirname, '..', 'fixtures', 'config', 'basic.json'));
const config: RedisDrConfig = { ...base, primary: { ...base.primary, account: '111111111111' } };
const upgraded: RedisDrConfig = { ...config, dr: { ...config.dr, elastiCacheBucketAccess: 'bucket-policy' } };

/** Bucket name → its Object Ownership, over both stacks. */
function ownership(c: RedisDrConfig): Map<string, string> {
  const synth = synthesize(c);
  const out = new Map<string, string>();
  for (const t of [synth.primary, synth.dr]) {
    for (const b of Object.values(t.findResources('AWS::S3::Bucket'))) {
      const name = b.Properties.BucketName;
      if (typeof name !== 'string') continue; // the access-log buckets: generated names, never ACL-granted
      out.set(name, b.Properties.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? 'none');
    }
  }
  return out;
}

describe('acl -> bucket-policy upgrade', () => {
  it('every bucket the upgrade turns to BucketOwnerEnforced has its ACL reset step in the synth summary', () => {
    expect(config.dr.elastiCacheBucketAccess).toBeUndefined(); // the default route in eu-west-1 and eu-central-1: acl
    const before = ownership(config);
    const after = ownership(upgraded);
    const turned = [...before].filter(([name, o]) => o === 'BucketOwnerPreferred' && after.get(name) === 'BucketOwnerEnforced').map(([name]) => name);
    expect(turned).toHaveLength(2); // the export bucket and the DR bucket
    const summary = synthSummary(upgraded, [], 0);
    for (const bucket of turned) expect(summary).toContain(aclResetCommand(bucket, bucket.split('-').slice(-3).join('-')));
    // Nothing to reset where nothing turns.
    expect(synthSummary(config, [], 0)).not.toContain('put-bucket-acl');
  });

  it("doctor's fix that recommends the switch says to reset the ACL first", () => {
    const check = judgeExportOwner('eu-west-1', 'redis-dr-basic-111111111111-eu-west-1', 'rdr-x-0001.rdb', { object: 'elasticache', bucket: 'me' }, 'acl');
    expect(check.fix).toContain('"bucket-policy"');
    expect(check.fix).toContain(aclResetCommand('redis-dr-basic-111111111111-eu-west-1', 'eu-west-1'));
  });
});
