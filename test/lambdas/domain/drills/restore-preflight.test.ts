import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyRdbStream } from '../../../../lambdas/domain/rdb/verifier.js';
import { bgsave, startRedisServer } from '../../../support/redis-server.js';
import type { RecoveryPointChoice } from '../../../../lambdas/domain/drills/drill.js';
import { engineRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { formatRdbSummary, parseRdbSummary } from '../../../../lambdas/domain/points/rdb-summary.js';
import type { RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';
import {
  assertRestorable,
  exportEvidence,
  NODE_MEMORY_GIB,
  parseCacheSize,
  restorePreflight,
  RestorePreflightError,
  snapshotEvidence,
} from '../../../../lambdas/domain/drills/restore-preflight.js';

const GIB = 1024 ** 3;

function choice(over: Partial<RecoveryPointChoice> = {}): RecoveryPointChoice {
  return {
    kind: 'replication-group',
    target: 'orders',
    recoveryPoint: 'rdr-orders-20261123t0400z-daily',
    createdAt: '2026-11-23T04:00:00.000Z',
    ageSeconds: 60,
    clusterId: 'rdr-drill-orders-1',
    engine: 'redis',
    engineVersion: '7.1',
    nodeType: 'cache.r6g.large',
    shards: 1,
    clusterMode: 'disabled',
    expected: {},
    ...over,
  };
}

const rules = (c: RecoveryPointChoice, e: Parameters<typeof restorePreflight>[1], caller: 'restore' | 'drill' = 'restore') =>
  restorePreflight(c, e, caller).map((r) => r.rule);

describe('restorePreflight', () => {
  it('passes a point whose file, engine, size and node type fit, and one about which nothing is known', () => {
    expect(restorePreflight(choice(), { rdbVersion: 10, databases: [0, 3], shardBytes: [GIB], sourceNodeType: 'cache.r6g.large' }, 'drill')).toEqual([]);
    expect(restorePreflight(choice({ clusterMode: 'enabled', shards: 3, nodeType: 'cache.unknown.type' }), {}, 'drill')).toEqual([]);
  });

  describe('cluster-mode-databases', () => {
    it('refuses a cluster-mode-enabled target for a file with keys outside db 0, and says how to restore it', () => {
      const [r] = restorePreflight(choice({ clusterMode: 'enabled', shards: 2 }), { databases: [0, 3] }, 'restore');
      expect(r!.rule).toBe('cluster-mode-databases');
      expect(r!.reason).toMatch(/database\(s\) 0, 3.*cluster-mode-enabled.*refuses/);
      expect(r!.fix).toMatch(/cluster mode disabled.*migrate --from-rdb/);
    });
    it('refuses a serverless target too (serverless caches are cluster mode)', () => {
      expect(rules(choice({ kind: 'serverless-cache', nodeType: 'serverless', clusterMode: 'enabled', engineVersion: '7' }), { databases: [1] })).toEqual([
        'cluster-mode-databases',
      ]);
    });
    it('lets cluster mode take a db-0-only file, and cluster mode disabled take any', () => {
      expect(rules(choice({ clusterMode: 'enabled', shards: 2 }), { databases: [0] })).toEqual([]);
      expect(rules(choice(), { databases: [0, 5, 9] })).toEqual([]);
    });
  });

  describe('engine-reads-rdb', () => {
    it('refuses an engine older than the file (RDB 12, Redis 7.4, into Redis 7.0)', () => {
      const [r] = restorePreflight(choice({ engineVersion: '7.0.7' }), { rdbVersion: 12 }, 'restore');
      expect(r!.rule).toBe('engine-reads-rdb');
      expect(r!.reason).toMatch(/redis 7\.0\.7 cannot load .*RDB version 12.*up to 10/);
      expect(r!.fix).toMatch(/reads RDB version 12/);
    });
    it('refuses Valkey 9 format (VALKEY magic, version 80) into Valkey 8', () => {
      expect(rules(choice({ engine: 'valkey', engineVersion: '8.0' }), { rdbVersion: 80 })).toEqual(['engine-reads-rdb']);
      expect(rules(choice({ engine: 'valkey', engineVersion: '9.0' }), { rdbVersion: 80 })).toEqual([]);
    });
    it('passes a file no newer than the engine reads, and a major version alone is its newest minor', () => {
      expect(rules(choice({ engineVersion: '7.0.7' }), { rdbVersion: 10 })).toEqual([]);
      expect(rules(choice({ engine: 'valkey', engineVersion: '7.2' }), { rdbVersion: 11 })).toEqual([]);
      expect(engineRdbSupport('redis', '7').maxRedisVersion).toBe(12);
      expect(engineRdbSupport('redis', '6.2').maxRedisVersion).toBe(9);
      // ElastiCache's Redis OSS 7.1 has no OSS release: taken as 7.2, so its own v11 copies are never refused.
      expect(rules(choice({ engineVersion: '7.1' }), { rdbVersion: 11 })).toEqual([]);
    });
  });

  describe('node-memory', () => {
    it('refuses a shard file larger than the node type holds (less 25% reserved), naming a node type that does', () => {
      const [r] = restorePreflight(choice({ nodeType: 'cache.t4g.small' }), { shardBytes: [0.5 * GIB, 1.2 * GIB] }, 'drill');
      expect(r!.rule).toBe('node-memory');
      expect(r!.reason).toMatch(/1\.20 GiB on file, more than cache\.t4g\.small holds \(1\.37 GiB less 25% reserved = 1\.03 GiB\)/);
      expect(r!.fix).toMatch(/e\.g\. cache\.\S+.*drill\.nodeType/);
      expect(restorePreflight(choice({ nodeType: 'cache.t4g.small' }), { shardBytes: [1.2 * GIB] }, 'restore')[0]!.fix).toMatch(/--node-type/);
    });
    it('passes a file that fits, an unknown node type, and a serverless target', () => {
      expect(rules(choice({ nodeType: 'cache.t4g.small' }), { shardBytes: [GIB] })).toEqual([]);
      expect(rules(choice({ nodeType: 'cache.x9.huge' }), { shardBytes: [1000 * GIB] })).toEqual([]);
      expect(rules(choice({ kind: 'serverless-cache', nodeType: 'serverless', clusterMode: 'enabled' }), { shardBytes: [1000 * GIB] })).toEqual([]);
      expect(NODE_MEMORY_GIB['cache.r6g.large']).toBe(13.07);
    });
  });

  describe('data-tiering', () => {
    it('refuses a snapshot taken on r6gd into a node type without data tiering', () => {
      const [r] = restorePreflight(choice({ nodeType: 'cache.r6g.xlarge' }), { sourceNodeType: 'cache.r6gd.xlarge' }, 'restore');
      expect(r!.rule).toBe('data-tiering');
      expect(r!.reason).toMatch(/taken on cache\.r6gd\.xlarge.*only onto r6gd/);
      expect(rules(choice({ nodeType: 'cache.r6gd.xlarge' }), { sourceNodeType: 'cache.r6gd.xlarge' })).toEqual([]);
    });
    it('refuses r6gd for an engine older than Redis OSS 6.2 / Valkey 7.2', () => {
      expect(rules(choice({ nodeType: 'cache.r6gd.xlarge', engineVersion: '6.0.5' }), {})).toEqual(['data-tiering']);
      expect(rules(choice({ nodeType: 'cache.r6gd.xlarge', engineVersion: '6.2.6' }), {})).toEqual([]);
      expect(rules(choice({ nodeType: 'cache.r6gd.xlarge', engine: 'valkey', engineVersion: '7.2' }), {})).toEqual([]);
    });
    it('refuses r6gd in a drill (its create step cannot turn data tiering on), not in a restore', () => {
      expect(rules(choice({ nodeType: 'cache.r6gd.xlarge' }), {}, 'drill')).toEqual(['data-tiering']);
      expect(rules(choice({ nodeType: 'cache.r6gd.xlarge' }), {}, 'restore')).toEqual([]);
    });
    it('does not count r6gd memory against the dataset (it tiers to SSD)', () => {
      expect(rules(choice({ nodeType: 'cache.r6gd.xlarge' }), { shardBytes: [40 * GIB] })).toEqual([]);
    });
  });

  it('assertRestorable throws one error naming every rule broken, and that nothing was created', () => {
    const c = choice({ clusterMode: 'enabled', shards: 2, nodeType: 'cache.t4g.micro', engineVersion: '7.0' });
    let err: unknown;
    try {
      assertRestorable(c, { databases: [0, 2], rdbVersion: 11, shardBytes: [GIB] }, 'drill');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RestorePreflightError);
    expect((err as Error).name).toBe('RestorePreflightError');
    expect((err as RestorePreflightError).refusals.map((r) => r.rule)).toEqual(['cluster-mode-databases', 'engine-reads-rdb', 'node-memory']);
    expect((err as Error).message).toMatch(/^restore preflight refused rdr-orders-20261123t0400z-daily \(nothing was created\): \[cluster-mode-databases\]/);
    expect(() => assertRestorable(choice(), {}, 'drill')).not.toThrow();
  });
});

describe('evidence', () => {
  it('reads RDB versions, databases and sizes from an export (databases only when a summary records them)', () => {
    const s = (version: number, databases?: number[]) => ({ version, ...(databases ? { databases } : {}) });
    expect(exportEvidence([s(10), s(11, [0, 4])], [100, 200])).toEqual({ rdbVersion: 11, databases: [0, 4], shardBytes: [100, 200] });
    expect(exportEvidence([s(10)], [undefined])).toEqual({ rdbVersion: 10 });
  });
  it('reads a snapshot node type and CacheSize', () => {
    expect(parseCacheSize('6 MB')).toBe(6 * 1024 ** 2);
    expect(parseCacheSize('1.5 GB')).toBe(1.5 * GIB);
    expect(parseCacheSize('n/a')).toBeUndefined();
    expect(snapshotEvidence({ nodeType: 'cache.r6gd.xlarge', cacheSizes: ['2 GB', 'x'] })).toEqual({
      sourceNodeType: 'cache.r6gd.xlarge',
      shardBytes: [2 * GIB],
    });
  });
  it('the verifier summary tag records databases other than db 0 alone, and reads them back', () => {
    const report = { ok: true, version: 11, keys: 3, expires: 0, byType: { string: 3 }, databases: [0, 3] } as unknown as RdbReport;
    const text = formatRdbSummary(report);
    expect(text).toBe('v=11 keys=3 expires=0 dbs=0+3 string=3');
    expect(parseRdbSummary(text)?.databases).toEqual([0, 3]);
    expect(formatRdbSummary({ ...report, databases: [0] } as RdbReport)).toBe('v=11 keys=3 expires=0 string=3');
    expect(parseRdbSummary('v=11 keys=3 expires=0 string=3')?.databases).toBeUndefined();
    expect(parseRdbSummary('v=11 keys=3 expires=0 dbs=0+x string=3')).toBeUndefined();
  });
});

describe('a real multi-database file (redis-server 7.0)', () => {
  it('is summarized with its databases, and the preflight refuses it into cluster mode only', async () => {
    const server = await startRedisServer();
    try {
      const client = server.client();
      await client.set('a', '1');
      await client.select(3);
      await client.set('b', '2');
      const file = readFileSync(await bgsave(server, client));
      const report = await verifyRdbStream(
        (async function* () {
          yield new Uint8Array(file);
        })(),
      );
      const tag = formatRdbSummary(report);
      expect(tag).toMatch(/^v=10 keys=2 expires=0 dbs=0\+3 string=2$/);
      const evidence = exportEvidence([parseRdbSummary(tag)], [file.length]);
      expect(rules(choice({ clusterMode: 'enabled', shards: 2, engineVersion: '7.0.7' }), evidence)).toEqual(['cluster-mode-databases']);
      expect(rules(choice({ engineVersion: '7.0.7' }), evidence)).toEqual([]);
      // Redis 6.2 reads RDB 9: a 7.0 file is newer than it.
      expect(rules(choice({ engineVersion: '6.2.6' }), evidence)).toEqual(['engine-reads-rdb']);
    } finally {
      await server.stop();
    }
  });
});
