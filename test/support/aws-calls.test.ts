import { describe, expect, it } from 'vitest';
import { type AwsCall, namingMembers, uncheckedShapes } from './aws-calls.js';

const call = (input: Record<string, unknown>, operation = 'PutObjectTagging'): AwsCall => ({ principal: 'export', service: 's3', operation, input });

describe('the recorded AWS calls', () => {
  it('keep the members that name resources and tags, never data', () => {
    expect(
      namingMembers({
        Bucket: 'b',
        Key: 'k',
        Body: 'secret bytes',
        Message: 'm',
        SecretString: 's',
        AuthToken: 't',
        Passwords: ['p'],
        Tags: [{ Key: 'a', Value: '1' }],
        UserGroupIds: ['g'],
        MaxKeys: 5,
      }),
    ).toEqual({
      Bucket: 'b',
      Key: 'k',
      Tags: [{ Key: 'a', Value: '1' }],
      UserGroupIds: ['g'],
    });
  });

  it('accept a call of a checked-in shape whatever its values', () => {
    const checkedIn = [call({ Bucket: 'b', Key: 'k1', Tagging: { TagSet: [{ Key: 'redis-dr:tier', Value: 'daily' }] } })];
    expect(uncheckedShapes([call({ Bucket: 'other', Key: 'k2', Tagging: { TagSet: [{ Key: 'redis-dr:tier', Value: 'weekly' }] } })], checkedIn)).toEqual([]);
  });

  it('name a new operation, a new member or a new tag key, so the role is checked for it again', () => {
    const checkedIn = [call({ Bucket: 'b', Key: 'k', Tagging: { TagSet: [{ Key: 'redis-dr:tier', Value: 'daily' }] } })];
    const made = [
      call({ Bucket: 'b', Key: 'k' }, 'DeleteObject'),
      call({ Bucket: 'b', Key: 'k', VersionId: 'v', Tagging: { TagSet: [{ Key: 'redis-dr:tier', Value: 'daily' }] } }),
      call({ Bucket: 'b', Key: 'k', Tagging: { TagSet: [{ Key: 'team', Value: 'x' }] } }),
    ];
    expect(uncheckedShapes(made, checkedIn).map((s) => JSON.parse(s).slice(2))).toEqual([
      ['DeleteObject', ['Bucket', 'Key'], [], []],
      ['PutObjectTagging', ['Bucket', 'Key', 'Tagging', 'VersionId'], [], ['redis-dr:tier']],
      ['PutObjectTagging', ['Bucket', 'Key', 'Tagging'], [], ['team']],
    ]);
  });
});
