import {
  InvalidCacheClusterStateFault,
  InvalidReplicationGroupStateFault,
  InvalidServerlessCacheStateFault,
  InvalidSnapshotStateFault,
  ServerlessCacheSnapshotAlreadyExistsFault,
  ServerlessCacheSnapshotQuotaExceededFault,
  SnapshotAlreadyExistsFault,
  SnapshotNotFoundFault,
  SnapshotQuotaExceededFault,
  ServerlessCacheSnapshotNotFoundFault,
  APICallRateForCustomerExceededFault,
} from '@aws-sdk/client-elasticache';
import { describe, expect, it } from 'vitest';
import { isAlreadyExists, isQuotaExceeded, isSnapshotNotFound } from '../../../../lambdas/adapters/aws/elasticache.js';
import { describeError, errorName, isBusy, isThrottling } from '../../../../lambdas/adapters/aws/errors.js';
import { awsError } from '../../../support/fakes.js';

const meta = { message: 'm', $metadata: {} };

// The classifiers match on names; these rows pin the names against the SDK's
// own exception classes, so an SDK rename fails here rather than in production.
describe('error classification', () => {
  it.each([
    ['InvalidReplicationGroupStateFault', new InvalidReplicationGroupStateFault(meta), { busy: true, throttling: false }],
    ['InvalidCacheClusterStateFault', new InvalidCacheClusterStateFault(meta), { busy: true, throttling: false }],
    ['InvalidServerlessCacheStateFault', new InvalidServerlessCacheStateFault(meta), { busy: true, throttling: false }],
    ['InvalidSnapshotStateFault', new InvalidSnapshotStateFault(meta), { busy: true, throttling: false }],
    ['APICallRateForCustomerExceededFault', new APICallRateForCustomerExceededFault(meta), { busy: false, throttling: true }],
    ['ThrottlingException', awsError('ThrottlingException'), { busy: false, throttling: true }],
    ['Throttling (query protocol)', awsError('Throttling'), { busy: false, throttling: true }],
    ['any HTTP 429', awsError('Whatever', 'slow down', 429), { busy: false, throttling: true }],
    ['SnapshotQuotaExceededFault', new SnapshotQuotaExceededFault(meta), { busy: false, throttling: false }],
    ['AccessDenied', awsError('AccessDeniedException', 'no', 403), { busy: false, throttling: false }],
    ['a plain Error', new Error('x'), { busy: false, throttling: false }],
  ])('%s', (_, err, expected) => {
    expect(isBusy(err)).toBe(expected.busy);
    expect(isThrottling(err)).toBe(expected.throttling);
  });

  it.each([
    [new SnapshotAlreadyExistsFault(meta), 'exists'],
    [new ServerlessCacheSnapshotAlreadyExistsFault(meta), 'exists'],
    [new SnapshotQuotaExceededFault(meta), 'quota'],
    [new ServerlessCacheSnapshotQuotaExceededFault(meta), 'quota'],
    [new SnapshotNotFoundFault(meta), 'gone'],
    [new ServerlessCacheSnapshotNotFoundFault(meta), 'gone'],
  ])('recognises %s', (err, kind) => {
    expect(isAlreadyExists(err)).toBe(kind === 'exists');
    expect(isQuotaExceeded(err)).toBe(kind === 'quota');
    expect(isSnapshotNotFound(err)).toBe(kind === 'gone');
  });

  it('describes errors by name and message only', () => {
    expect(describeError(new SnapshotQuotaExceededFault({ message: 'limit reached', $metadata: {} }))).toBe('SnapshotQuotaExceededFault: limit reached');
    expect(errorName('a string')).toBe('Error');
    expect(describeError('a string')).toBe('Error: a string');
  });
});
