import { describe, expect, it } from 'vitest';
import { s3UrlFix, s3UrlHint, s3UrlMeant } from '../../../../lambdas/domain/keys/s3-url-meant.js';

describe('s3UrlMeant: the s3:// URL a misspelt location was meant as', () => {
  it.each([
    ['S3://b/x.rdb', 's3://b/x.rdb'],
    ['s3:/b/x.rdb', 's3://b/x.rdb'],
    ['S3:/b/x.rdb', 's3://b/x.rdb'],
    ['s3:/b', 's3://b'],
    // Review 22: no slash, no colon, a slash too many, whitespace before it (a copy-paste), in any case.
    ['s3:b/x.rdb', 's3://b/x.rdb'],
    ['S3:my-bucket.eu/dir/x.rdb', 's3://my-bucket.eu/dir/x.rdb'],
    ['s3//b/x.rdb', 's3://b/x.rdb'],
    ['s3///b/x.rdb', 's3://b/x.rdb'],
    ['s3:///b/x.rdb', 's3://b/x.rdb'],
    [' s3://b/x.rdb', 's3://b/x.rdb'],
    ['\t s3:/b/x.rdb', 's3://b/x.rdb'],
    [' S3:b/x', 's3://b/x'],
  ])('%j -> %s', (location, meant) => {
    expect(s3UrlMeant(location)).toBe(meant);
    expect(s3UrlHint(location)).toBe(`; an S3 object is written ${meant}`);
    expect(s3UrlFix(location, 's3://<bucket>/<key>')).toBe(`write it as ${meant}`);
  });

  it.each([
    ['s3://b/x.rdb'],
    ['./s3:/b/x.rdb'],
    ['/tmp/x.rdb'],
    ['x.rdb'],
    ['s3:x.rdb'],
    ['https://b/x'],
    ['s3'],
    // Ordinary relative paths: a folder s3, a file s3b…
    ['s3/b/x.rdb'],
    ['s3b/x.rdb'],
    ['s3-copies/x.rdb'],
    // No <bucket>/<key> after a form that is not s3:/ or s3://: nothing to name.
    ['s3:b'],
    ['s3//b'],
    ['s3:///b'],
    [' s3://b'],
    ['s3:////b/x'],
    ['s3:B/x.rdb'],
  ])('negative: %j is no slip', (location) => {
    expect(s3UrlMeant(location)).toBeUndefined();
    expect(s3UrlHint(location)).toBe('');
    expect(s3UrlFix(location, 's3://<bucket>/<key>')).toBe('write S3 locations as s3://<bucket>/<key>');
  });
});
