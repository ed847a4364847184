/**
 * What a conversion can lose, by the names an operator accepts them with
 * (`convert-rdb --lossy`, `migrate --lossy`): light, so a command's options
 * load it at start.
 */

/** The losses an operator can accept by name (`--lossy a,b`). */
export const LOSS_KINDS = ['field-ttl', 'module', 'array', 'function', 'key-meta'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** What each loss costs, for refusals and the docs. */
export const LOSS_MEANING: Readonly<Record<LossKind, string>> = {
  'field-ttl': 'hash fields keep their values but lose their TTLs (they no longer expire)',
  module: 'keys holding a module value are left out',
  array: 'keys holding a Redis 8.8 array are left out',
  function: 'function libraries are left out (the target has no functions)',
  'key-meta': 'Redis 8.6 key metadata is left out (the keys are kept)',
};
