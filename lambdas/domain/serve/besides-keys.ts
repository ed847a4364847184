/**
 * What a recovery point holds besides its keys, which no command `serve` answers (FUNCTION LIST is refused) and
 * `compare` does not compare (it compares keys): its function libraries, the modules whose AUX data it holds, and its
 * keys' Redis 8.6 key metadata per class. Taken from a file's verifier report, or from its key index, which keeps it
 * (index-file.ts Header.besidesKeys), so a point opened from its index unread still says it. Pure.
 */
import type { RdbReport } from '../rdb/report.js';

/** What a point (or one of its shards' files) holds besides its keys. */
export interface BesidesKeys {
  readonly functionLibraries: number;
  /** Modules whose AUX data it holds, each once. */
  readonly moduleAux: readonly string[];
  /** Keys carrying Redis 8.6 key metadata, per class (`ATTR`; served and DUMPed without it), ignorable or not. Absent when none. */
  readonly keyMeta?: Readonly<Record<string, number>>;
}

/** What one file holds besides its keys, from its verifier report. */
export function besidesKeysOfReport(r: RdbReport): BesidesKeys {
  const keyMeta: Record<string, number> = {};
  const count = (cls: string, keys: number) => (keyMeta[cls] = (keyMeta[cls] ?? 0) + keys);
  for (const [type, keys] of Object.entries(r.moduleTypes ?? {})) if (type.startsWith('META-')) count(type.slice('META-'.length), keys);
  for (const [cls, keys] of Object.entries(r.ignorableKeyMeta ?? {})) count(cls, keys);
  return { functionLibraries: r.functionLibraries, moduleAux: [...(r.moduleAux ?? [])], ...(Object.keys(keyMeta).length > 0 ? { keyMeta } : {}) };
}

/**
 * What a point of these shards holds besides its keys: a cluster-mode point holds its function libraries in every
 * shard's file, so they are counted once (the most any shard holds); module AUX names once each; key metadata summed.
 */
export function besidesKeysOfShards(shards: readonly BesidesKeys[]): BesidesKeys {
  const keyMeta: Record<string, number> = {};
  for (const s of shards) for (const [cls, keys] of Object.entries(s.keyMeta ?? {})) keyMeta[cls] = (keyMeta[cls] ?? 0) + keys;
  return {
    functionLibraries: Math.max(0, ...shards.map((s) => s.functionLibraries)),
    moduleAux: [...new Set(shards.flatMap((s) => s.moduleAux))],
    ...(Object.keys(keyMeta).length > 0 ? { keyMeta } : {}),
  };
}

/** `v` (an index header's field, parsed JSON) when it is a {@link BesidesKeys}; else undefined. */
export function checkedBesidesKeys(v: unknown): BesidesKeys | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { functionLibraries, moduleAux, keyMeta } = v as Record<string, unknown>;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!count(functionLibraries) || !Array.isArray(moduleAux) || !moduleAux.every((m) => typeof m === 'string')) return undefined;
  if (keyMeta !== undefined && (typeof keyMeta !== 'object' || keyMeta === null || Array.isArray(keyMeta) || !Object.values(keyMeta).every(count)))
    return undefined;
  return v as BesidesKeys;
}
