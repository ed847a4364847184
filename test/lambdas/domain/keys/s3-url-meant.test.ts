import { describe, expect, it } from 'vitest';
import { fileUrlPath, noSuchFileHint, s3UrlFix, s3UrlMeant } from '../../../../lambdas/domain/keys/s3-url-meant.js';

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
    expect(noSuchFileHint(location)).toBe(`; an S3 object is written ${meant}`);
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
    expect(noSuchFileHint(location)).toBe('');
    expect(s3UrlFix(location, 's3://<bucket>/<key>')).toBe('write S3 locations as s3://<bucket>/<key>');
  });
});

describe('noSuchFileHint of a file URL: the local path to give (backup prints its locations as file:///…)', () => {
  it.each([
    ['file:///var/backups/redis/rdr-cache-20261126-0300.rdb', '/var/backups/redis/rdr-cache-20261126-0300.rdb'],
    ['FILE:///tmp/x.rdb', '/tmp/x.rdb'],
    ['file://localhost/tmp/x.rdb', '/tmp/x.rdb'],
    ['file:///tmp/a%20b.rdb', '/tmp/a b.rdb'],
    ['file:///tmp/100%.rdb', '/tmp/100%.rdb'],
  ])('%j -> %s', (location, path) => {
    expect(fileUrlPath(location)).toBe(path);
    expect(noSuchFileHint(location)).toBe(`; a local file is given by its path: ${path}`);
  });

  // An encoded slash or NUL names no file (Node's fileURLToPath refuses both): `a%2Fb` was given as the path /tmp/a/b.rdb.
  it.each([
    ['/tmp/x.rdb'],
    ['x.rdb'],
    ['file://host/tmp/x.rdb'],
    ['file:/tmp/x.rdb'],
    ['./file:///tmp/x.rdb'],
    ['s3://b/x.rdb'],
    ['file:///tmp/a%2Fb.rdb'],
    ['file:///tmp/a%2fb.rdb'],
    ['file:///tmp/a%00.rdb'],
  ])('negative: %j names no path', (location) => {
    expect(fileUrlPath(location)).toBeUndefined();
    expect(noSuchFileHint(location)).toBe('');
  });
});
