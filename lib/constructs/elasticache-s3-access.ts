import type { DrConfig } from '../config/index.js';
import { regionFacts } from '../config/regions.js';

/**
 * How ElastiCache in a region is let into a recovery bucket, in one place.
 *
 * ElastiCache's export guide ("Grant ElastiCache access to your Amazon S3
 * bucket") and seeding guide ("Grant ElastiCache read access to the .rdb
 * file") describe two routes, by the bucket's region:
 * - default regions (launched before 2019-03-20): an ACL grant to
 *   ElastiCache's canonical user id;
 * - opt-in regions (launched after): a bucket policy for the regional
 *   service principal `<region>.elasticache-snapshot.amazonaws.com`.
 * Pure: the route is a function of the region and the config override.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-exporting.html#backups-exporting-grant-access
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-seeding-redis.html
 * @see https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html
 */

/** `acl`: the bucket ACL grants ElastiCache's canonical user; `bucket-policy`: the regional service principal only. */
export type ElastiCacheBucketAccessRoute = NonNullable<DrConfig['elastiCacheBucketAccess']>;

/**
 * Opt-in regions (launched after 2019-03-20, disabled until an account enables
 * them), from the AWS CDK's region facts (`RegionInfo.isOptInRegion`, as
 * lib/config/regions.ts snapshots them), the one table this project reads;
 * test/lib/constructs/elasticache-s3-access.test.ts pins the list so a CDK
 * upgrade that changes it is seen.
 */
export function isOptInRegion(region: string): boolean {
  return regionFacts(region)?.optIn === true;
}

/**
 * ElastiCache's canonical user id per partition, as the export guide lists
 * them: China (Beijing, Ningxia), AWS GovCloud (US), and "all other AWS
 * Regions enabled by default".
 */
const CANONICAL_USER_IDS: Readonly<Record<string, string>> = {
  aws: '540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353',
  'aws-cn': 'b14d6a125bdf69854ed8ef2e71d8a20b7c490f252229b806e514966e490b8d83',
  'aws-us-gov': '40fa568277ad703bd160f66ae4f83fc9dfdfd06c2f1b5060ca22442ac3ef8be6',
};

/**
 * The route for a bucket in `region`: the config override when set, else
 * `bucket-policy` in opt-in regions and `acl` in default regions.
 */
export function elastiCacheBucketAccessRoute(region: string, override?: ElastiCacheBucketAccessRoute): ElastiCacheBucketAccessRoute {
  if (override) return override;
  return isOptInRegion(region) ? 'bucket-policy' : 'acl';
}

/** ElastiCache's canonical user id for an ACL grant in `region`; an error naming the fix where AWS documents none. */
export function elastiCacheCanonicalUserId(region: string): string {
  const partition = regionFacts(region)?.partition ?? 'unknown';
  const id = CANONICAL_USER_IDS[partition];
  if (!id) {
    throw new Error(
      `ElastiCache's export guide lists no canonical user id for region ${region} (partition ${partition}), so its buckets cannot use the ACL route: set dr.elastiCacheBucketAccess to "bucket-policy"`,
    );
  }
  return id;
}

/** S3 ACL permissions ElastiCache is granted on the bucket, by what it does there. */
export const ELASTICACHE_ACL_PERMISSIONS = {
  // Export guide, default Region: "List objects", "Write objects", "Read bucket permissions".
  export: ['READ', 'WRITE', 'READ_ACP'],
  // Seeding guide, default Region: read and read permissions (granted on the bucket; see docs/dr-copies.md).
  seed: ['READ', 'READ_ACP'],
} as const satisfies Record<string, readonly ('READ' | 'WRITE' | 'READ_ACP')[]>;
