import { describe, expect, it } from 'vitest';
import { engineRelease, enginesLine, enginesLoading, ENGINE_RELEASES, formatFor } from '../../../../lambdas/domain/rdb/engines.js';

const names = (file: { version: number; valkey: boolean }) => enginesLoading(file).loads.map((r) => r.name);

describe('the engine table: which releases load a file, and what a file for one is written as', () => {
  it('an RDB 10 file loads in Redis 7.0 on and every Valkey, not in Redis 6.2', () => {
    const loads = names({ version: 10, valkey: false });
    expect(loads).toContain('redis-7.0');
    expect(loads).toContain('valkey-9.0');
    expect(loads).toContain('elasticache-redis-7.0');
    expect(loads).not.toContain('redis-6.2');
    expect(loads).not.toContain('elasticache-redis-6.2');
  });

  it('an RDB 12 file (Redis 7.4) loads in no Valkey and no ElastiCache engine version: the line says so and names convert-rdb', () => {
    const loads = names({ version: 12, valkey: false });
    expect(loads.every((n) => n.startsWith('redis-'))).toBe(true);
    expect(loads[0]).toBe('redis-7.4');
    expect(enginesLine({ version: 12, valkey: false })).toBe(
      'Redis ≥ 7.4, no Valkey; ElastiCache: none of its engine versions (redis-dr convert-rdb --for <engine> writes a copy the others load)',
    );
  });

  it('a VALKEY080 file loads in Valkey 9 only; an RDB 16 file in nothing known', () => {
    expect(names({ version: 80, valkey: true })).toEqual(['valkey-9.0']);
    expect(names({ version: 16, valkey: false })).toEqual([]);
    expect(enginesLine({ version: 16, valkey: false })).toMatch(/^no Redis, no Valkey; ElastiCache: none/);
  });

  it('writes for each release a format that release loads (the table agrees with itself)', () => {
    for (const r of ENGINE_RELEASES) {
      const f = formatFor(r.reads);
      expect(names({ version: f.version, valkey: f.magic === 'VALKEY' }), r.name).toContain(r.name);
    }
    expect(engineRelease(' Redis-7.0 ')?.name).toBe('redis-7.0');
    expect(engineRelease('redis-7.3')).toBeUndefined();
  });
});
