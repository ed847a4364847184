/**
 * The engine releases `convert-rdb --for` names, as names alone (what each reads: engines.ts, which builds its table
 * from these lists): a module importing nothing, so the CLI's command definition lists them in its help without
 * loading the RDB format tables at every command's start.
 */

/** The open-source releases, oldest first per engine. */
export const OSS: readonly (readonly ['redis' | 'valkey', string])[] = [
  ['redis', '5.0'],
  ['redis', '6.0'],
  ['redis', '6.2'],
  ['redis', '7.0'],
  ['redis', '7.2'],
  ['redis', '7.4'],
  ['redis', '8.0'],
  ['redis', '8.2'],
  ['redis', '8.4'],
  ['redis', '8.6'],
  ['redis', '8.8'],
  ['redis', '8.10'],
  ['valkey', '7.2'],
  ['valkey', '8.0'],
  ['valkey', '8.1'],
  ['valkey', '9.0'],
  // Valkey 9.1 reads what 9.0 reads (VALKEY080; 81 from 9.2): ElastiCache's 9.1 is listed below, and so is the release.
  ['valkey', '9.1'],
];

/** ElastiCache's engine versions (Redis OSS 7.1 has no OSS release: written for as 7.0, checked as 7.2, see lambdas/domain/rdb/format/dump-payload.ts ELASTICACHE_REDIS_7_1). */
export const ELASTICACHE: readonly (readonly ['redis' | 'valkey', string])[] = [
  ['redis', '5.0'],
  ['redis', '6.0'],
  ['redis', '6.2'],
  ['redis', '7.0'],
  ['redis', '7.1'],
  ['valkey', '7.2'],
  ['valkey', '8.0'],
  ['valkey', '8.1'],
  // ElastiCache's Valkey 8.2 is Valkey 8.1's engine with vector search (a module's data: no RDB type of its own) and
  // reads what 8.1 reads; its 9.0 and 9.1 read Valkey 9's own format (VALKEY080), hash field TTLs included
  // (docs.aws.amazon.com AmazonElastiCache engine-versions, read 2026-11-26).
  ['valkey', '8.2'],
  ['valkey', '9.0'],
  ['valkey', '9.1'],
];

/** A release's name: `redis-7.0`, `valkey-9.0`, `elasticache-redis-7.1`. */
export const engineReleaseName = (engine: 'redis' | 'valkey', version: string, elasticache: boolean): string =>
  `${elasticache ? 'elasticache-' : ''}${engine}-${version}`;

/** Every name `--for` takes, in engines.ts ENGINE_RELEASES's order: the OSS releases, then the ElastiCache ones. */
export const ENGINE_RELEASE_NAMES: readonly string[] = [
  ...OSS.map(([e, v]) => engineReleaseName(e, v, false)),
  ...ELASTICACHE.map(([e, v]) => engineReleaseName(e, v, true)),
];
