/**
 * What a target's `MODULE LIST` says of the modules that could hold a file's module values (migrate --from-rdb: a
 * target with none is judged before any write, jobs/keys/reencode.ts).
 */

/** Whether the server answers `MODULE LIST` with no module that holds data (false where it refuses the command: not known). */
export async function noModuleLoaded(client: { call(...args: string[]): Promise<unknown> }): Promise<boolean> {
  try {
    const list = await client.call('MODULE', 'LIST');
    return Array.isArray(list) && list.every((m) => DATALESS_MODULES.has(moduleName(m)));
  } catch {
    return false;
  }
}

/**
 * Modules a server lists that hold no data type: Valkey 9.1's Lua scripting engine, a built-in module (`MODULE LIST`:
 * name lua, path lua; src/modules/lua of 9.1.2). A target listing only these has no module for a file's module value:
 * before, a Valkey 9.1 target counted as one with modules, and a Redis 8 file's vector set went to it, refused by RESTORE
 * after the other keys were written, `--lossy module` or not (a migrate campaign against a real 9.1.2).
 */
const DATALESS_MODULES = new Set(['lua']);

/** A `MODULE LIST` entry's name (RESP2: a flat name/value array; RESP3: a map), or '' where it has none. */
function moduleName(entry: unknown): string {
  if (Array.isArray(entry)) {
    const at = entry.findIndex((v, i) => i % 2 === 0 && String(v) === 'name');
    return at >= 0 ? String(entry[at + 1]) : '';
  }
  if (entry instanceof Map) return String(entry.get('name') ?? '');
  return '';
}
