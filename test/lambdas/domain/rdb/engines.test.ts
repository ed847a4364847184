import { describe, expect, it } from 'vitest';
import { engineRelease, enginesLine, enginesLoading, ENGINE_RELEASES, formatFor } from '../../../../lambdas/domain/rdb/engines.js';
import { rdbRefusal, targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { FileReencoding } from '../../../../lambdas/jobs/keys/reencode.js';

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
      'Redis ≥ 7.4, no Valkey (Valkey ≥ 8.1 needs `rdb-version-check relaxed` to load it, and stops at a type it lacks, such as hash field TTLs); ' +
        'ElastiCache: none of its engine versions (redis-dr convert-rdb --for <engine> writes a copy the others load)',
    );
  });

  it('the rdb-version-check relaxed hint: for a Redis file of RDB 12 to 15 only, never for one a Valkey loads, a Valkey file or an unknown version', () => {
    for (const version of [12, 13, 15]) expect(enginesLine({ version, valkey: false }), `RDB ${version}`).toContain('rdb-version-check relaxed');
    for (const file of [
      { version: 10, valkey: false },
      { version: 11, valkey: false },
      { version: 80, valkey: true },
      { version: 16, valkey: false },
    ])
      expect(enginesLine(file), JSON.stringify(file)).not.toContain('relaxed');
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

  it('ElastiCache Redis OSS 7.1: checks that refuse take it as reading RDB 11, writing for or into it takes RDB 10', () => {
    const ec71 = engineRelease('elasticache-redis-7.1')!;
    // The refusal check passes an RDB 11 file (never refuses what 7.1 may read), and still refuses RDB 12.
    expect(rdbRefusal({ version: 11, valkey: false }, ec71.reads)).toBeUndefined();
    expect(rdbRefusal({ version: 12, valkey: false }, ec71.reads)).toMatch(/RDB version 12, newer than the target \(redis 7\.1\) reads \(RDB up to 11\)/);
    expect(names({ version: 11, valkey: false })).toContain('elasticache-redis-7.1');
    // What is written for it: RDB 10, as for 7.0; 7.2 keeps 11.
    expect(formatFor(ec71.reads)).toEqual({ magic: 'REDIS', version: 10 });
    expect(formatFor(engineRelease('redis-7.2')!.reads)).toEqual({ magic: 'REDIS', version: 11 });
    // migrate into a live 7.1 (its INFO says redis_version:7.1.x): an RDB 11 file goes re-encoded to RDB 10; an RDB 10 file as it is.
    const live71 = targetRdbSupport('# Server\r\nredis_version:7.1.0\r\n');
    expect(live71.maxRedisVersion).toBe(11);
    expect(FileReencoding.of({ version: 11, valkey: false }, live71, new Set())?.target).toEqual({ magic: 'REDIS', version: 10 });
    expect(FileReencoding.of({ version: 10, valkey: false }, live71, new Set())).toBeUndefined();
    // Negative: a 7.2 target reads RDB 11 as it is, nothing re-encoded.
    expect(FileReencoding.of({ version: 11, valkey: false }, targetRdbSupport('redis_version:7.2.4\r\n'), new Set())).toBeUndefined();
  });
});
