import { describe, expect, it } from 'vitest';
import { ENGINE_RELEASE_NAMES } from '../../../../lambdas/domain/rdb/engine-names.js';
import {
  engineRelease,
  enginesLine,
  enginesLoading,
  ENGINE_RELEASES,
  formatFor,
  requiredFormat,
  sanitizeOnlyProblem,
  validatesEveryValue,
} from '../../../../lambdas/domain/rdb/engines.js';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';
import { frameFile, listpack } from '../../../support/rdb-newer.js';
import { rdbRefusal, targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { FileReencoding } from '../../../../lambdas/jobs/keys/reencode.js';

const names = (file: { version: number; valkey: boolean }) => enginesLoading(file).loads.map((r) => r.name);

describe('the engine table: which releases load a file, and what a file for one is written as', () => {
  it("names every release in the order of the table, from the one list of releases (engine-names.ts, the CLI's `--for` help)", () => {
    expect(ENGINE_RELEASES.map((r) => r.name)).toEqual(ENGINE_RELEASE_NAMES);
    expect(ENGINE_RELEASE_NAMES).toEqual(expect.arrayContaining(['redis-6.2', 'valkey-9.0', 'elasticache-redis-7.1', 'elasticache-valkey-9.1']));
  });

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
      'Redis ≥ 7.4, no Valkey (Valkey ≥ 9.0 needs `rdb-version-check relaxed` to load it, and stops at a type it lacks, such as hash field TTLs); ' +
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

  it('an RDB 11 file: ElastiCache Redis OSS 7.1 is said as not known, with the convert-rdb that writes one it loads, never as loading it', () => {
    const { loads, unsure } = enginesLoading({ version: 11, valkey: false });
    expect(loads.map((r) => r.name)).not.toContain('elasticache-redis-7.1');
    expect(unsure.map((r) => r.name)).toEqual(['elasticache-redis-7.1']);
    expect(enginesLine({ version: 11, valkey: false })).toBe(
      'Redis ≥ 7.2, every Valkey from 7.2; ElastiCache: Redis 7.1 not known (it most likely reads RDB 10 only: ' +
        'redis-dr convert-rdb --for elasticache-redis-7.1 writes a copy it loads), every Valkey from 7.2 (redis-dr convert-rdb --for <engine> writes a copy the others load)',
    );
    // Negative: an RDB 10 file loads in 7.1 for sure.
    expect(enginesLoading({ version: 10, valkey: false }).unsure).toEqual([]);
    expect(enginesLine({ version: 10, valkey: false })).toMatch(/ElastiCache: Redis ≥ 7\.0, every Valkey from 7\.2/);
  });

  it('a file with module data loads only where its modules are loaded, and in no ElastiCache engine version', () => {
    expect(enginesLine({ version: 10, valkey: false }, ['ReJSON-RL'])).toBe(
      'Redis ≥ 7.0, every Valkey from 7.2, each only with module ReJSON-RL loaded; ' +
        'ElastiCache: none (it loads no module data; redis-dr convert-rdb --lossy module writes a copy without it)',
    );
    expect(enginesLine({ version: 13, valkey: false }, ['META-abcd'])).toMatch(/with module META-abcd loaded; .*--lossy key-meta writes/);
  });

  it("a VALKEY080 file loads in Valkey 9 only (ElastiCache's 9.0 and 9.1 too); an RDB 16 file in nothing known", () => {
    expect(names({ version: 80, valkey: true })).toEqual(['valkey-9.0', 'valkey-9.1', 'elasticache-valkey-9.0', 'elasticache-valkey-9.1']);
    expect(enginesLine({ version: 80, valkey: true })).toMatch(/ElastiCache: .*Valkey ≥ 9\.0/);
    // ElastiCache's Valkey 8.2 reads what 8.1 reads: RDB 11, not Valkey 9's format.
    expect(names({ version: 11, valkey: false })).toContain('elasticache-valkey-8.2');
    expect(names({ version: 80, valkey: true })).not.toContain('elasticache-valkey-8.2');
    expect(names({ version: 16, valkey: false })).toEqual([]);
    expect(enginesLine({ version: 16, valkey: false })).toMatch(/^no Redis, no Valkey; ElastiCache: none/);
    // A VALKEY081 file: the release that writes it (Valkey 9.2), newer than any --for names, not "no Valkey".
    expect(names({ version: 81, valkey: true })).toEqual([]);
    expect(enginesLine({ version: 81, valkey: true })).toBe(
      'no Redis, Valkey ≥ 9.2 (which writes VALKEY 81; newer than the releases --for names); ElastiCache: none of its engine versions (redis-dr convert-rdb --for <engine> writes a copy the others load)',
    );
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
    // verify-rdb's line says it as not known (it most likely reads 10 only), never as loading it.
    expect(names({ version: 11, valkey: false })).not.toContain('elasticache-redis-7.1');
    expect(enginesLoading({ version: 11, valkey: false }).unsure.map((r) => r.name)).toEqual(['elasticache-redis-7.1']);
    // What is written for it: RDB 10, as for 7.0; 7.2 keeps 11.
    expect(formatFor(ec71.reads)).toEqual({ magic: 'REDIS', version: 10 });
    expect(formatFor(engineRelease('redis-7.2')!.reads)).toEqual({ magic: 'REDIS', version: 11 });
    // migrate into a live 7.1 (its INFO says redis_version:7.1.x): an RDB 11 file goes re-encoded to RDB 10; an RDB 10 file as it is.
    const live71 = targetRdbSupport('# Server\r\nredis_version:7.1.0\r\n');
    expect(live71.maxRedisVersion).toBe(11);
    expect(FileReencoding.of({ version: 11, valkey: false }, live71, new Set())?.target).toEqual({ magic: 'REDIS', version: 10 });
    // An RDB 10 file as it is: each key by its type (a type 20 set under a REDIS0010 header re-encoded all the same).
    const as10 = FileReencoding.of({ version: 10, valkey: false }, live71, new Set())!;
    expect(as10.readsVersion).toBe(true);
    expect(as10.payloadVersion).toBe(10);
    expect([16, 19].map((t) => as10.passesAsIs(t))).toEqual([true, true]);
    expect(as10.passesAsIs(20)).toBe(false);
    // Negative: a 7.2 target reads RDB 11 as it is, every type of it too.
    const as11 = FileReencoding.of({ version: 11, valkey: false }, targetRdbSupport('redis_version:7.2.4\r\n'), new Set())!;
    expect(as11.readsVersion).toBe(true);
    expect([20, 21].map((t) => as11.passesAsIs(t))).toEqual([true, true]);
  });

  it('a file loads where its header and every key type it holds are read: a REDIS0010 header over a type 20 set needs 7.2, a REDIS0009 one over listpacks 7.0', () => {
    const v10 = { version: 10, valkey: false };
    expect(requiredFormat(v10, { rdbTypes: [0, 2, 20] })).toEqual({ version: 11, valkey: false });
    expect(names(requiredFormat(v10, { rdbTypes: [0, 2, 20] }))).not.toContain('redis-7.0');
    expect(enginesLine(requiredFormat(v10, { rdbTypes: [20] }))).toMatch(/^Redis ≥ 7\.2,/);
    expect(enginesLine(requiredFormat({ version: 9, valkey: false }, { rdbTypes: [0, 16, 17, 18] }))).toMatch(/^Redis ≥ 7\.0,/);
    expect(requiredFormat({ version: 9, valkey: false }, { rdbTypes: [0], functionLibraries: 1 }).version).toBe(10);
    // Negative: types the header's version has leave it as it is (and a VALKEY file is judged by its header).
    expect(requiredFormat(v10, { rdbTypes: [0, 1, 2, 4, 5, 11, 15, 16, 17, 18, 19] })).toBe(v10);
    expect(enginesLine(requiredFormat({ version: 9, valkey: false }, { rdbTypes: [0, 11, 14] }))).toMatch(/^every Redis from 5\.0,/);
    expect(requiredFormat({ version: 80, valkey: true }, { rdbTypes: [22] })).toEqual({ version: 80, valkey: true });
  });

  it('the verifier reports the RDB types its keys had (what requiredFormat judges by)', () => {
    const file = frameFile('REDIS0010', [
      { db: 0, name: 's', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null },
      { db: 0, name: 'lpset', type: 20, object: Uint8Array.from([listpack(['a', 'b', 7]).length, ...listpack(['a', 'b', 7])]), expireAtMs: null },
    ]);
    const v = createRdbVerifier();
    v.push(file);
    const report = v.end();
    expect(report.ok).toBe(true);
    expect(report.rdbTypes).toEqual([0, 20]);
  });
});

describe('Valkey from 9.1 validates every value on load: a file with values only deep sanitization refuses', () => {
  it('is refused by Valkey 9.1 and its ElastiCache version, loaded by Valkey 7.2-9.0 and every Redis that reads it', () => {
    expect(ENGINE_RELEASES.filter(validatesEveryValue).map((r) => r.name)).toEqual(['valkey-9.1', 'elasticache-valkey-9.1']);
    const names = (rs: readonly { name: string }[]) => rs.map((r) => r.name);
    const plain = enginesLoading({ version: 9, valkey: false });
    const warned = enginesLoading({ version: 9, valkey: false }, true);
    expect(names(plain.loads)).toContain('valkey-9.1');
    expect(names(warned.loads)).not.toContain('valkey-9.1');
    expect(names(warned.refuses)).toEqual(['valkey-9.1', 'elasticache-valkey-9.1']);
    expect(names(warned.loads)).toEqual(names(plain.loads).filter((n) => !n.endsWith('valkey-9.1')));
  });

  it("says so in verify-rdb's line, as a range of Valkey releases with the reason", () => {
    expect(enginesLine({ version: 9, valkey: false }, [], undefined, true)).toMatch(
      /^every Redis from 5\.0, Valkey 7\.2 to 9\.0 \(from 9\.1 it validates every value on load and refuses the values warned of above\); ElastiCache: every Redis from 5\.0, Valkey 7\.2 to 9\.0 \(/,
    );
    expect(enginesLine({ version: 80, valkey: true }, [], undefined, true)).toMatch(/^no Redis, Valkey 9\.0 only \(from 9\.1 it validates/);
    expect(enginesLine({ version: 9, valkey: false })).toMatch(/every Valkey from 7\.2/);
  });

  it('names the values in a refusal: the count, and the warnings that say deep sanitization refuses them', () => {
    const report = {
      warningKinds: { 'sanitize-only': 2, 'server-held': 1 },
      warnings: [
        {
          offset: 1,
          message:
            'key 1 value (set, RDB type 11): intset members are not strictly ascending at index 1: Redis loads it; only sanitize-dump-payload yes refuses it',
        },
        { offset: 2, message: 'key 2 value (stream, RDB type 15): a live entry below its node ID: Redis before 7.2 wrote it so' },
      ],
    };
    expect(sanitizeOnlyProblem('valkey-9.1', report)).toBe(
      '2 values valkey-9.1 refuses on load, as it validates every value (key 1 value (set, RDB type 11): intset members are not strictly ascending at index 1: Redis loads it; only sanitize-dump-payload yes refuses it; …)',
    );
    expect(sanitizeOnlyProblem('valkey-9.1', { warningKinds: { 'server-held': 1 }, warnings: report.warnings })).toBeUndefined();
  });
});
