import { describe, expect, it } from 'vitest';
import { parseElastiCacheArn } from '../../../../lambdas/adapters/aws/tagging.js';

describe('parseElastiCacheArn', () => {
  it.each([
    ['arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:rg-a', { type: 'replicationgroup', name: 'rg-a' }],
    ['arn:aws:elasticache:eu-west-1:111122223333:serverlesscache:sls', { type: 'serverlesscache', name: 'sls' }],
    ['arn:aws-cn:elasticache:cn-north-1:111122223333:snapshot:rdr-a-20261121-1000', { type: 'snapshot', name: 'rdr-a-20261121-1000' }],
    [
      'arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:rdr-s-20261121-1000',
      { type: 'serverlesscachesnapshot', name: 'rdr-s-20261121-1000' },
    ],
    ['arn:aws:s3:::bucket/key', undefined],
    ['not an arn', undefined],
  ])('%s', (arn, expected) => {
    expect(parseElastiCacheArn(arn)).toEqual(expected);
  });
});
