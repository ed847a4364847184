/**
 * What a conversion can lose, by the names an operator accepts them with
 * (`convert-rdb --lossy`, `migrate --lossy`): light, so a command's options
 * load it at start.
 */

/** The losses an operator can accept by name (`--lossy a,b`). */
export const LOSS_KINDS = ['field-ttl', 'module', 'array', 'function', 'key-meta', 'stream-ids', 'stream-nacks', 'stream-idmp'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** What each loss costs, for refusals and the docs. */
export const LOSS_MEANING: Readonly<Record<LossKind, string>> = {
  'field-ttl': 'hash fields keep their values but lose their TTLs (they no longer expire)',
  module: 'keys holding a module value are left out',
  array: 'keys holding a Redis 8.8 array are left out',
  function: 'function libraries are left out (the target has no functions)',
  'key-meta': 'Redis 8.6 key metadata is left out (the keys are kept)',
  'stream-ids':
    "streams keep their entries, groups and pending entries but lose entries-added, max-deleted-entry-id and groups' entries-read (RDB 9 has none: the target derives them from the entries, and XINFO may report lag unknown)",
  'stream-nacks':
    "Redis 8.8 streams lose their NACKed entries' place in their group's PEL (pending entries no consumer owns, which an older server cannot hold): the target treats them as acknowledged; the entries stay in the stream",
  'stream-idmp':
    "Redis 8.6/8.8 streams lose their idempotent-producer data (IDMP settings, producers' ids, totals): the target has no XADD IDMP, so a producer's retry adds its entry again (streams whose IDMP data is empty, Redis 8.6's default settings with no producer and no id ever added, need no --lossy: nothing is lost)",
};

/**
 * Module AUX data (module-global data a module saves beside the keys:
 * RediSearch's index definitions, for one) is carried by neither
 * `convert-rdb` nor `migrate --from-rdb` (a server without the module
 * refuses the file: "AUX module data I can't load"): why a file holding it
 * is refused, naming its modules, unless `--lossy module` accepts leaving it
 * out; undefined when it holds none or the loss is accepted.
 */
export function moduleAuxProblem(moduleAux: readonly string[] | undefined, lossy: ReadonlySet<LossKind>): string | undefined {
  if (!moduleAux || moduleAux.length === 0 || lossy.has('module')) return undefined;
  return `module AUX data of ${moduleAux.join(', ')}: redis-dr does not carry module data (--lossy module leaves it out)`;
}

/** What a summary says of module AUX data `--lossy module` let go (undefined: none). */
export function moduleAuxLeftOut(moduleAux: readonly string[] | undefined, lossy: ReadonlySet<LossKind>): string | undefined {
  if (!moduleAux || moduleAux.length === 0 || !lossy.has('module')) return undefined;
  return `--lossy module: module AUX data of ${moduleAux.join(', ')} left out (redis-dr does not carry module data)`;
}

/** Redis 8.6 key metadata classes a server without their module refuses (`META-<class>` among a report's module types), each with its keys. */
function keyMetaClasses(moduleTypes: Readonly<Record<string, number>> | undefined): [string, number][] {
  return Object.entries(moduleTypes ?? {}).filter(([t]) => t.startsWith('META-'));
}

/**
 * Redis 8.6 key metadata of a class a server without its module refuses is
 * carried by neither `convert-rdb` nor `migrate --from-rdb` (each key is
 * written from its type byte on, its metadata left behind): why a file
 * holding it is refused, naming the classes, unless `--lossy key-meta`
 * accepts leaving it out; undefined when it holds none or the loss is accepted.
 */
export function keyMetaProblem(moduleTypes: Readonly<Record<string, number>> | undefined, lossy: ReadonlySet<LossKind>): string | undefined {
  const classes = keyMetaClasses(moduleTypes);
  if (classes.length === 0 || lossy.has('key-meta')) return undefined;
  return `key metadata of class${classes.length === 1 ? '' : 'es'} ${classes.map(([t]) => t).join(', ')} (Redis 8.6): redis-dr does not carry it (--lossy key-meta leaves it out)`;
}

/** The values of key metadata {@link keyMetaProblem} names (one a key and class), which `--lossy key-meta` leaves out. */
export function keyMetaValues(moduleTypes: Readonly<Record<string, number>> | undefined): number {
  return keyMetaClasses(moduleTypes).reduce((n, [, keys]) => n + keys, 0);
}

/** `ATTR (2 keys), BLES (1 key)`: classes with the keys carrying each. */
const classesText = (classes: readonly (readonly [string, number])[]): string => classes.map(([t, n]) => `${t} (${n} key${n === 1 ? '' : 's'})`).join(', ');

/**
 * Key metadata classes with the keys carrying each, by name (the order keys were met in is the source server's, not the
 * same from one save to the next): `[count, 'ATTR (2 keys), BLES (1 key)']`; what summaries and compare's `not compared` say.
 */
export function keyMetaClassesText(classes: Readonly<Record<string, number>> | undefined): [classes: number, text: string] {
  const named = Object.entries(classes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [named.length, classesText(named)];
}

/**
 * What a summary says of Redis 8.6 key metadata of classes a server without their module may skip (ALLOW_IGNORE;
 * undefined: none): no module is needed to load such a file, so neither refused nor a --lossy choice, but convert-rdb
 * and migrate --from-rdb write each key from its type on, leaving it out as such a server does, and say so (issue 55:
 * never a silent loss). `verb`: `left out`, or a dry run's `would be left out`.
 */
export function ignorableKeyMetaLeftOut(classes: Readonly<Record<string, number>> | undefined, verb = 'left out'): string | undefined {
  const [n, text] = keyMetaClassesText(classes);
  if (n === 0) return undefined;
  return `key metadata of ignorable class${n === 1 ? '' : 'es'} ${text} ${verb}: a server without the class's module skips it too (Redis 8.6 ALLOW_IGNORE); the keys are kept, redis-dr does not carry it`;
}

/** What a summary says of the key metadata `--lossy key-meta` let go (undefined: none): its classes, with the keys carrying each. */
export function keyMetaLeftOut(moduleTypes: Readonly<Record<string, number>> | undefined, lossy: ReadonlySet<LossKind>): string | undefined {
  const classes = keyMetaClasses(moduleTypes);
  if (classes.length === 0 || !lossy.has('key-meta')) return undefined;
  return `--lossy key-meta: key metadata of ${classesText(classes)} left out (${LOSS_MEANING['key-meta']}: redis-dr does not carry it)`;
}
