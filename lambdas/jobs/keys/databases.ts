/**
 * Every database of a server-to-server `migrate` or `compare`: the source's
 * `INFO keyspace` (every primary of a cluster) read, the databases to handle
 * planned (lambdas/domain/keys/databases.ts), and each one's URL opened on
 * both sides before anything is written, so that a target without a
 * database (fewer databases, or a cluster that has only database 0) refuses
 * the run up front.
 */
import { connectKeyspace, databaseKeys, namedDatabase, withDatabase, type KeyspaceSpec } from '../../adapters/redis/dump-restore.js';
import { RedisUrlError, redactUrl } from './clients.js';
import {
  DEFAULT_NAMES,
  planDatabases,
  type DatabaseLeftOut,
  type DatabasePair,
  type DatabasePlan,
  type DatabasePlanInput,
} from '../../domain/keys/databases.js';

/** The plan, with the keys per database it was made from. */
export interface ServerDatabasePlan extends DatabasePlan {
  readonly keysByDb: Readonly<Record<number, number>>;
}

/** Keys per database of the keyspace a URL opens. */
async function keysOf(spec: KeyspaceSpec, connectionName: string): Promise<Record<number, number>> {
  const ks = await connectKeyspace(spec, connectionName);
  try {
    return await databaseKeys(ks);
  } finally {
    ks.close();
  }
}

/**
 * Plans the databases of a run from `source` (and, for a compare, `also`:
 * the other side, whose databases holding keys count as well), then opens
 * every database of the plan on both sides once: a database a side does not
 * have is refused here, before anything is written (RedisUrlError from
 * connectUrl: a usage error).
 */
export async function planServerDatabases(
  source: KeyspaceSpec,
  target: KeyspaceSpec,
  options: {
    readonly mappings?: readonly DatabasePair[];
    readonly connectionName: string;
    readonly countTarget?: boolean;
    readonly names?: DatabasePlanInput['names'];
  },
): Promise<ServerDatabasePlan> {
  const keysByDb = await keysOf(source, options.connectionName);
  const sourceKeys = { ...keysByDb };
  const targetKeys = options.countTarget ? await keysOf(target, options.connectionName) : {};
  if (options.countTarget) for (const [d, n] of Object.entries(targetKeys)) keysByDb[Number(d)] = (keysByDb[Number(d)] ?? 0) + n;
  const planned = planDatabases({
    sourceDb: namedDatabase(source.url),
    targetDb: namedDatabase(target.url),
    mappings: options.mappings,
    keysByDb,
    names: options.names,
  });
  // A compare reads both sides: what it leaves out is each side's databases holding keys that no pair reads on that side
  // (A's not compared as a source, B's not as a target), never the two sides' counts summed by number: --a …/0 --b …/1
  // compared B's database 1 yet named it left out (exit 1 for equal data), and B's keys in database 0 went unnamed.
  const plan = options.countTarget ? { ...planned, leftOut: leftOutPerSide(planned.pairs, sourceKeys, targetKeys) } : planned;
  const names = options.names ?? DEFAULT_NAMES;
  for (const [spec, dbs, name, other] of [
    [source, new Set(plan.pairs.map((p) => p.from)), names.source, names.target],
    [target, new Set(plan.pairs.map((p) => p.to)), names.target, names.source],
  ] as const) {
    // A cluster has database 0 only: a database the plan adds (not one the URL names) is said as the data's, not as a
    // /<db> of the URL to remove (review 45: a file of databases 0, 5 and 15 against a cluster was told to "remove /5").
    if ([...dbs].some((db) => db !== 0) && namedDatabase(spec.url) === undefined) {
      const at0 = await connectKeyspace(spec, options.connectionName);
      const cluster = at0.cluster;
      at0.close();
      const others = [...dbs].filter((db) => db !== 0);
      if (cluster)
        throw new RedisUrlError(
          `${name} (${redactUrl(spec.url)}) is a Redis Cluster, which has database 0 only, and ${other} holds keys in database${others.length === 1 ? '' : 's'} ${others.join(', ')}: ${options.countTarget ? 'those cannot be compared with it' : 'a cluster cannot hold those'}` +
            (options.countTarget ? '' : `; map them into database 0 with ${names.option ?? '--db'} <src>:0 (one source database into it)`),
        );
    }
    for (const db of dbs) (await connectKeyspace({ ...spec, url: withDatabase(spec.url, db) }, options.connectionName)).close();
  }
  return { ...plan, keysByDb };
}

/** The databases holding keys on either side that no pair reads on that side, with those keys, on each side and together. */
export function leftOutPerSide(
  pairs: readonly DatabasePair[],
  sourceKeys: Readonly<Record<number, number>>,
  targetKeys: Readonly<Record<number, number>>,
): DatabaseLeftOut[] {
  const from = new Set(pairs.map((p) => p.from));
  const to = new Set(pairs.map((p) => p.to));
  const left = new Map<number, { A?: number; B?: number }>();
  for (const [side, keys, read] of [
    ['A', sourceKeys, from],
    ['B', targetKeys, to],
  ] as const)
    for (const [d, n] of Object.entries(keys)) if (n > 0 && !read.has(Number(d))) left.set(Number(d), { ...left.get(Number(d)), [side]: n });
  return [...left].sort(([x], [y]) => x - y).map(([db, bySide]) => ({ db, keys: (bySide.A ?? 0) + (bySide.B ?? 0), bySide }));
}

/** The two sides of one pair of the plan. */
export function pairSpecs(source: KeyspaceSpec, target: KeyspaceSpec, pair: DatabasePair): [KeyspaceSpec, KeyspaceSpec] {
  return [
    { ...source, url: withDatabase(source.url, pair.from) },
    { ...target, url: withDatabase(target.url, pair.to) },
  ];
}
