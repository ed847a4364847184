import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_FIXTURES, SERVER_FIXTURES_DIR, TRIED, type Release } from '../../../support/server-fixtures.js';
import { inWorker } from '../../support/in-process.js';

/** `Redis ≥ 7.4` → 7.4; `every Valkey from 7.2` → 7.2; `no Redis` → undefined: the lowest release of `engine` the line says loads the file. */
function lowest(line: string, engine: Release['engine']): number | undefined {
  const m = new RegExp(`(?:^|, )(?:${engine} ≥ |every ${engine} from )(\\d+\\.\\d+)`).exec(line);
  if (m) return Number(m[1]);
  expect(line, `the line names ${engine} one way or the other`).toMatch(new RegExp(`(?:^|, )no ${engine}\\b`));
  return undefined;
}

/**
 * verify-rdb's engines line on files real newer servers wrote (test/fixtures/rdb-servers), held against what those
 * servers did with them (README.md: each file loaded into Redis 7.0.15, 8.0.6, 8.6.3, Valkey 8.1.1 and 9.1.2).
 */
describe('verify-rdb: the engines line of files real newer servers wrote, against what the servers did', () => {
  it.each(SERVER_FIXTURES)(
    '$file: OK; the engines line says loaded by exactly the releases that loaded it',
    async (f) => {
      const r = await inWorker('verify-rdb', join(SERVER_FIXTURES_DIR, f.file));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^OK ${f.file.replace(/\./g, '\\.')}: `));
      const line = (r.stdout.split('\n').find((l) => l.startsWith('engines: ')) ?? '').replace(/^engines: /, '').replace(/; ElastiCache: .*$/, '');
      const says = TRIED.map((t) => {
        const from = lowest(line, t.engine);
        return `${t.engine} ${t.version} ${from !== undefined && Number(t.version) >= from ? 'loads' : 'refuses'}`;
      });
      expect(says).toEqual(TRIED.map((t) => `${t.engine} ${t.version} ${f.loadedBy.includes(`${t.engine} ${t.version}`) ? 'loads' : 'refuses'}`));
      // Relaxed Valkey 9.1 stopped at a key of a type it lacks: the line names that type among those it says it stops at.
      if (f.relaxedValkey91StopsAt !== undefined) {
        const named = /stops at the first key of a type it lacks: RDB types ([\d, ]+) here/.exec(line)?.[1]?.split(', ').map(Number);
        expect(named).toContain(f.relaxedValkey91StopsAt);
      } else expect(line).not.toContain('relaxed');
    },
    30_000,
  );

  it('the lines as said today (README.md), word for word', async () => {
    const lines: (string | undefined)[] = [];
    // One after the other: the in-process runs share one stdout.
    for (const f of SERVER_FIXTURES)
      lines.push((await inWorker('verify-rdb', join(SERVER_FIXTURES_DIR, f.file))).stdout.split('\n').find((l) => l.startsWith('engines: ')));
    const relaxed = (types: string) =>
      `no Valkey (Valkey ≥ 9.0 needs \`rdb-version-check relaxed\` to load it, and stops at the first key of a type it lacks: RDB types ${types} here)`;
    expect(lines.map((l) => l?.replace(/^engines: /, '').replace(/; ElastiCache: .*$/, ''))).toEqual([
      `Redis ≥ 7.4, ${relaxed('24, 25')}`,
      `Redis ≥ 8.6, ${relaxed('24, 25, 26')}`,
      'Redis ≥ 7.2, every Valkey from 7.2',
      'no Redis, Valkey ≥ 9.0',
    ]);
  }, 30_000);
});
