/**
 * What a conversion can lose, by the names an operator accepts them with
 * (`convert-rdb --lossy`, `migrate --lossy`): light, so a command's options
 * load it at start.
 */

/** The losses an operator can accept by name (`--lossy a,b`). */
export const LOSS_KINDS = ['field-ttl', 'module', 'array', 'function', 'key-meta', 'stream-ids'] as const;
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
