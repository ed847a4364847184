/**
 * Which databases a server-to-server `migrate` or `compare` handles. A
 * FLUSHALL empties every database, so a source URL that names none means
 * every database holding keys, each into the database of the same number;
 * a URL that names one means that one, and the others holding keys are
 * named (the run then exits 1, as `migrate --from-rdb` does); `--db
 * <src>:<dst>` maps them explicitly (a restore into another database).
 */

/** One database copied (or compared) into another. */
export interface DatabasePair {
  readonly from: number;
  readonly to: number;
}

/** A database holding keys that the run leaves out, and its keys on each side. */
export interface DatabaseLeftOut {
  readonly db: number;
  readonly keys: number;
  /** A compare's: the keys of each side left out there (a side that reads the database on it absent). */
  readonly bySide?: { readonly A?: number; readonly B?: number };
}

/** What a run handles and what it leaves out. */
export interface DatabasePlan {
  readonly pairs: readonly DatabasePair[];
  readonly leftOut: readonly DatabaseLeftOut[];
}

/** The databases asked for cannot be combined: the caller's input is wrong (a usage error). */
export class DatabasePlanError extends Error {
  override readonly name = 'DatabasePlanError';
}

/** Parses `--db <src>:<dst>` (or `--db <n>`: the same number on both sides); undefined when it is not that form. */
export function parseDatabasePair(text: string): DatabasePair | undefined {
  const m = /^\s*(\d{1,7})\s*(?::\s*(\d{1,7})\s*)?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  return { from, to: m[2] === undefined ? from : Number(m[2]) };
}

/** What {@link planDatabases} decides from. */
export interface DatabasePlanInput {
  /** The database the source URL names (its `/n`), undefined when it names none. */
  readonly sourceDb?: number;
  /** The database the target URL names, undefined when it names none. */
  readonly targetDb?: number;
  /** `--db` mappings, in the order given. @default none */
  readonly mappings?: readonly DatabasePair[];
  /** Keys per database on the source (INFO keyspace; on a cluster, every primary summed). */
  readonly keysByDb: Readonly<Record<number, number>>;
  /** How the sides are called in messages, and the mapping option (compare has none: it reads both sides). @default --from, --to, --db */
  readonly names?: { readonly source: string; readonly target: string; readonly option?: string };
}

/** How a plan's messages name the two sides and the mapping option when the caller names none (migrate's). */
export const DEFAULT_NAMES = { source: '--from', target: '--to', option: '--db' } as const;

/**
 * The databases to handle, one pair each, and those holding keys that are
 * left out (only when the source URL names one database: `--db` is an
 * explicit choice, as `migrate --from-rdb --db` is). Throws
 * {@link DatabasePlanError} for a combination that says two things.
 */
export function planDatabases(input: DatabasePlanInput): DatabasePlan {
  const names = input.names ?? DEFAULT_NAMES;
  const holding = Object.entries(input.keysByDb)
    .map(([d, n]) => ({ db: Number(d), keys: n }))
    .filter((e) => e.keys > 0)
    .sort((x, y) => x.db - y.db);
  const mappings = input.mappings ?? [];
  if (mappings.length > 0) {
    const named = [
      input.sourceDb === undefined ? undefined : `${names.source} names /${input.sourceDb}`,
      input.targetDb === undefined ? undefined : `${names.target} names /${input.targetDb}`,
    ].filter(Boolean);
    if (named.length > 0)
      throw new DatabasePlanError(
        `${names.option} and a database in the URL (${named.join(', ')}) say the same thing twice: remove the /<db> from the URL and keep ${names.option} <src>:<dst>`,
      );
    const seen = new Set<number>();
    const into = new Map<number, number>();
    for (const m of mappings) {
      if (seen.has(m.from)) throw new DatabasePlanError(`${names.option} ${m.from}:… is given twice: map each database of the source once`);
      seen.add(m.from);
      // Two source databases into one target database: a key in both would be written once (or overwritten after it was
      // verified), and the verification of each would still say EQUAL. Never a merge.
      const first = into.get(m.to);
      if (first !== undefined)
        throw new DatabasePlanError(
          `${names.option} ${first}:${m.to} and ${names.option} ${m.from}:${m.to} write two source databases into target database ${m.to}: ` +
            `a key in both would keep only one value while each side compares equal; map each into a database of its own (run twice into another server for a merge you check yourself)`,
        );
      into.set(m.to, m.from);
    }
    return { pairs: mappings, leftOut: [] };
  }
  if (input.sourceDb !== undefined) {
    return { pairs: [{ from: input.sourceDb, to: input.targetDb ?? input.sourceDb }], leftOut: holding.filter((e) => e.db !== input.sourceDb) };
  }
  if (input.targetDb !== undefined) {
    // A target database and every source database: only one source database can go there.
    if (holding.length > 1)
      throw new DatabasePlanError(
        names.option === undefined
          ? // compare: the counts are both sides', and nothing is copied.
            `${names.target} names database ${input.targetDb}, but ${names.source} names none and the two sides hold keys in databases ${holding.map((e) => `${e.db} (${e.keys} keys)`).join(', ')}: ` +
              `name the database in both URLs (/${input.targetDb} in ${names.source} too) to compare those two, or remove /${input.targetDb} from ${names.target} to compare each database with the database of its number`
          : `${names.target} names database ${input.targetDb}, but the source holds keys in databases ${holding.map((e) => `${e.db} (${e.keys} keys)`).join(', ')}: ` +
              `remove /${input.targetDb} from the ${names.target} URL to copy each into the database of its number, or map them with ${names.option} <src>:<dst> (repeat it)`,
      );
    return { pairs: [{ from: holding[0]?.db ?? 0, to: input.targetDb }], leftOut: [] };
  }
  // Every database holding keys, each into its own number; an empty source is database 0 (a run that finds nothing says so).
  const dbs = holding.length > 0 ? holding.map((e) => e.db) : [0];
  return { pairs: dbs.map((d) => ({ from: d, to: d })), leftOut: [] };
}

/** `database 1 (100 keys), database 3 (2 keys)` for messages. */
export function describeDatabases(entries: readonly DatabaseLeftOut[]): string {
  const keys = (n: number) => `${n} key${n === 1 ? '' : 's'}`;
  return entries
    .map((e) => {
      if (!e.bySide) return `database ${e.db} (${keys(e.keys)})`;
      const sides = (['A', 'B'] as const).flatMap((side) => (e.bySide![side] === undefined ? [] : [`${keys(e.bySide![side]!)} on ${side}`]));
      return `database ${e.db} (${sides.join(', ')})`;
    })
    .join(', ');
}
