import { describe, expect, it } from 'vitest';
import { servedKeysText } from '../../../../cli/commands/serve/action.js';

describe("serve's start line: its key counts", () => {
  it('all live: the keys per database', () => {
    expect(servedKeysText({ keys: 4, databases: [{ db: 0, keys: 4, expired: 0 }], hashesUncounted: false })).toBe('4 keys: db0 4');
  });

  it('some expired before the start: both counts, the live ones as DBSIZE answers', () => {
    expect(servedKeysText({ keys: 5, databases: [{ db: 0, keys: 5, expired: 1 }], hashesUncounted: false })).toBe(
      '5 keys in the file, 1 already expired; live, as DBSIZE answers: db0 4',
    );
  });

  it("an S3 copy's field-TTL hashes not read at start: the counts say they are before those, not what DBSIZE answers (review 20)", () => {
    const text = servedKeysText({ keys: 4, databases: [{ db: 0, keys: 4, expired: 0 }], hashesUncounted: true });
    expect(text).toBe(
      '4 keys in the file, 0 already expired; live before the hashes whose every field has expired (read as met; DBSIZE leaves those out too, so it may answer less): db0 4',
    );
    expect(text).not.toContain('as DBSIZE answers');
  });

  it('names at most 16 databases and counts the others (a point with keys in 130,000 databases made a 1.5 MB line)', () => {
    const databases = Array.from({ length: 130_000 }, (_, db) => ({ db, keys: 1, expired: 0 }));
    const sixteen = Array.from({ length: 16 }, (_, db) => `db${db} 1`).join(', ');
    expect(servedKeysText({ keys: 130_000, databases, hashesUncounted: false })).toBe(`130000 keys: ${sixteen}, … 129984 more databases`);
    expect(servedKeysText({ keys: 16, databases: databases.slice(0, 16), hashesUncounted: false })).toBe(`16 keys: ${sixteen}`);
  });
});
