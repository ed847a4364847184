import { describe, expect, it } from 'vitest';
import { s3UrlFix, s3UrlHint, s3UrlMeant } from '../../../../lambdas/domain/keys/s3-url-meant.js';

describe('s3UrlMeant: the s3:// URL a misspelt location was meant as', () => {
  it.each([
    ['S3://b/x.rdb', 's3://b/x.rdb'],
    ['s3:/b/x.rdb', 's3://b/x.rdb'],
    ['S3:/b/x.rdb', 's3://b/x.rdb'],
    ['s3:/b', 's3://b'],
  ])('%s -> %s', (location, meant) => {
    expect(s3UrlMeant(location)).toBe(meant);
    expect(s3UrlHint(location)).toBe(`; an S3 object is written ${meant}`);
    expect(s3UrlFix(location, 's3://<bucket>/<key>')).toBe(`write it as ${meant}`);
  });

  it.each([['s3://b/x.rdb'], ['./s3:/b/x.rdb'], ['/tmp/x.rdb'], ['s3:x.rdb'], ['s3:///b/x'], ['https://b/x'], ['s3']])(
    'negative: %s is no slip',
    (location) => {
      expect(s3UrlMeant(location)).toBeUndefined();
      expect(s3UrlHint(location)).toBe('');
      expect(s3UrlFix(location, 's3://<bucket>/<key>')).toBe('write S3 locations as s3://<bucket>/<key>');
    },
  );
});
