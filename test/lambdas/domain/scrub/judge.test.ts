import { describe, expect, it } from 'vitest';
import { judgeReRead, type RecordedCopy, type ReReadCopy } from '../../../../lambdas/domain/scrub/judge.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const recorded: RecordedCopy = { bytes: 100, sha256: A, readBack: { bytes: 100, sha256: A }, sidecarSha256: A, keys: 5, keysByDb: { '0': 5 } };
const good: ReReadCopy = { bytes: 100, sha256: A, verdict: { ok: true, checksum: 'ok', keys: 5, keysByDb: { '0': 5 } } };

describe('judgeReRead', () => {
  it('finds nothing wrong with a copy that is what was stored', () => {
    expect(judgeReRead(recorded, good)).toEqual([]);
  });

  it.each<[string, RecordedCopy | undefined, ReReadCopy, RegExp[]]>([
    [
      'a flipped byte: structure and every digest',
      recorded,
      { bytes: 100, sha256: B, verdict: { ok: false, checksum: 'mismatch', keys: 5, error: { offset: 90, message: 'CRC-64 mismatch' } } },
      [/^structure: CRC-64 mismatch at byte 90$/, /is not the record's a+$/, /is not the read-back on arrival's a+$/, /is not the \.sha256 file's a+$/],
    ],
    ['a changed digest in the sidecar only', { ...recorded, sidecarSha256: B }, good, [/^SHA-256 a+ is not the \.sha256 file's b+$/]],
    [
      'a truncated copy',
      recorded,
      { ...good, bytes: 90, sha256: B },
      [/SHA-256/, /SHA-256/, /SHA-256/, /^length 90 bytes is not the record's 100$/, /^length 90 bytes is not the read-back on arrival's 100$/],
    ],
    [
      'keys that are not the recorded ones',
      recorded,
      { ...good, verdict: { ...good.verdict, keys: 4, keysByDb: { '0': 4 } } },
      [/^keys 4 are not the recorded 5$/, /^keys per database/],
    ],
    ['no record: nothing to compare with', undefined, good, [/^no record of what was stored/]],
    ['a record without any SHA-256', { keys: 5 }, good, [/^no SHA-256 recorded/]],
    [
      'a format the verifier does not read',
      recorded,
      { ...good, verdict: { ...good.verdict, ok: false, unsupported: true, error: { offset: 5, message: 'RDB 99' } } },
      [/^not judged: .*RDB 99/],
    ],
  ])('%s', (_what, rec, found, expected) => {
    const problems = judgeReRead(rec, found);
    expect(problems).toHaveLength(expected.length);
    for (const [i, p] of problems.entries()) expect(p).toMatch(expected[i]!);
  });
});
