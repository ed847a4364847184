import { RegionInfo } from 'aws-cdk-lib/region-info';
import { describe, expect, it } from 'vitest';
import {
  ELASTICACHE_ACL_PERMISSIONS,
  elastiCacheBucketAccessRoute,
  elastiCacheCanonicalUserId,
  isOptInRegion,
} from '../../../lib/constructs/elasticache-s3-access.js';

describe('elastiCacheBucketAccessRoute', () => {
  it('pins the opt-in regions (launched after 2019-03-20) the CDK region facts list', () => {
    // Seen on aws-cdk-lib 2.276; a CDK upgrade that changes the table shows up here.
    const optIn = RegionInfo.regions
      .map((r) => r.name)
      .filter(isOptInRegion)
      .sort();
    expect(optIn).toEqual([
      'af-south-1',
      'ap-east-1',
      'ap-east-2',
      'ap-south-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
      'ap-southeast-6',
      'ap-southeast-7',
      'ca-west-1',
      'eu-central-2',
      'eu-south-1',
      'eu-south-2',
      'il-central-1',
      'me-central-1',
      'me-south-1',
      'me-west-1',
      'mx-central-1',
    ]);
  });

  it.each([
    ['eu-west-1', 'acl'],
    ['eu-central-1', 'acl'],
    ['us-east-1', 'acl'],
    ['eu-north-1', 'acl'],
    ['cn-north-1', 'acl'],
    ['ap-east-1', 'bucket-policy'],
    ['me-south-1', 'bucket-policy'],
    ['il-central-1', 'bucket-policy'],
  ] as const)('%s: %s by default', (region, route) => {
    expect(elastiCacheBucketAccessRoute(region)).toBe(route);
  });

  it('lets the config override the table both ways', () => {
    expect(elastiCacheBucketAccessRoute('eu-west-1', 'bucket-policy')).toBe('bucket-policy');
    expect(elastiCacheBucketAccessRoute('ap-east-1', 'acl')).toBe('acl');
  });
});

describe('elastiCacheCanonicalUserId', () => {
  it("returns the export guide's id per partition", () => {
    expect(elastiCacheCanonicalUserId('eu-west-1')).toBe('540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353');
    expect(elastiCacheCanonicalUserId('cn-northwest-1')).toBe('b14d6a125bdf69854ed8ef2e71d8a20b7c490f252229b806e514966e490b8d83');
    expect(elastiCacheCanonicalUserId('us-gov-west-1')).toBe('40fa568277ad703bd160f66ae4f83fc9dfdfd06c2f1b5060ca22442ac3ef8be6');
  });

  it('names the setting to change where the guide lists no id', () => {
    expect(() => elastiCacheCanonicalUserId('us-iso-east-1')).toThrow(
      /no canonical user id for region us-iso-east-1 \(partition aws-iso\).*set dr\.elastiCacheBucketAccess to "bucket-policy"/,
    );
  });

  it('grants what the guides name: export lists, writes and reads the bucket ACL; seed lists and reads it', () => {
    expect(ELASTICACHE_ACL_PERMISSIONS).toEqual({ export: ['READ', 'WRITE', 'READ_ACP'], seed: ['READ', 'READ_ACP'] });
  });
});
