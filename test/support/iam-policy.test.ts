import { describe, expect, it } from 'vitest';
import { allowingStatements, iamGlob, renderIntrinsic, type TemplateStatement } from './iam-policy';

const refs = { 'AWS::Partition': 'aws', 'B.Arn': 'arn:aws:s3:::b' };
const allow = (Condition?: TemplateStatement['Condition']): TemplateStatement => ({
  Sid: 'S',
  Effect: 'Allow',
  Action: 's3:Get*',
  Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['B', 'Arn'] }, '/rdr-*']] },
  Condition,
});
const request = (context: Record<string, string | string[]> = {}, resource = 'arn:aws:s3:::b/rdr-1') => ({ action: 's3:GetObject', resource, context });

describe('iam-policy (test support)', () => {
  it('matches actions and resources with IAM wildcards, rendering intrinsics', () => {
    expect(renderIntrinsic({ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }]] }, refs)).toBe('arn:aws');
    expect(iamGlob('rdr-*-r?', 'rdr-a-b-r2')).toBe(true);
    expect(iamGlob('rdr-*-r?', 'rdr-a-b-r22')).toBe(false);
    expect(allowingStatements([allow()], request(), refs)).toEqual(['S']);
    expect(allowingStatements([allow()], request({}, 'arn:aws:s3:::b/other'), refs)).toEqual([]);
    expect(allowingStatements([allow()], { ...request(), action: 's3:PutObject' }, refs)).toEqual([]);
  });

  it('evaluates StringEquals, IfExists, Null and ForAllValues as IAM does, absent keys included', () => {
    const eq = allow({ StringEquals: { 'aws:ResourceTag/k': 'v' } });
    expect(allowingStatements([eq], request({ 'aws:ResourceTag/k': 'v' }), refs)).toEqual(['S']);
    expect(allowingStatements([eq], request({ 'aws:ResourceTag/k': 'w' }), refs)).toEqual([]);
    expect(allowingStatements([eq], request(), refs)).toEqual([]);
    const ifExists = allow({ StringEqualsIfExists: { 'aws:ResourceTag/k': 'v' } });
    expect(allowingStatements([ifExists], request(), refs)).toEqual(['S']);
    expect(allowingStatements([ifExists], request({ 'aws:ResourceTag/k': 'w' }), refs)).toEqual([]);
    const absent = allow({ Null: { 'aws:ResourceTag/k': 'true' } });
    expect(allowingStatements([absent], request(), refs)).toEqual(['S']);
    expect(allowingStatements([absent], request({ 'aws:ResourceTag/k': 'v' }), refs)).toEqual([]);
    const keys = allow({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } });
    expect(allowingStatements([keys], request({ 'aws:TagKeys': ['a'] }), refs)).toEqual(['S']);
    expect(allowingStatements([keys], request({ 'aws:TagKeys': ['a', 'c'] }), refs)).toEqual([]);
  });

  it('refuses an operator it does not model instead of guessing', () => {
    expect(() => allowingStatements([allow({ ArnLike: { 'aws:SourceArn': 'x' } })], request(), refs)).toThrow(/ArnLike is not modelled/);
  });
});
