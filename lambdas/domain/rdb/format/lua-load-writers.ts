/**
 * A file's function libraries judged by releases known without a target named (lua-load.ts's rules, one
 * {@link FileLibraries} per release): the release that wrote the file, which the verifier holds them against
 * (format/parse-opcodes.ts functionLibraryEnd: a library its own writer refuses makes the file corrupt), and every
 * release whose load is known, which verify-rdb's engines line leaves out where one refuses (engines.ts).
 */
import { FileLibraries, judgedReleases, loadEnvironment } from './lua-load.js';

/**
 * The libraries of one file as the release that wrote it loads them ({@link FileLibraries}): why it certainly refuses
 * the next one, naming that release, or undefined where it loads it or that is not judged. The writer is read from the
 * file's AUX fields (they come before its libraries): `valkey-ver` (Valkey 8.0 on), else `redis-ver`, which Valkey 7.2
 * writes too (7.2.x: judged as both, refused only where both refuse). A server holds only libraries it loaded, so a
 * library its own release refuses was changed after the file was written: a verifier that called such a file OK would
 * give a false OK (the server that wrote it refuses to start on it). Not judged: a writer whose load environment is not
 * known (a release not read from source, such as Redis 8.2 or 8.8; a version no field names), and a file convert-rdb
 * wrote (`redis-dr-converted-from`).
 */
export class WriterLibraries {
  private readonly writers: readonly { readonly libraries: FileLibraries; readonly field: string; readonly version: string }[];

  constructor(aux: Readonly<Record<string, string>>) {
    const valkey = aux['valkey-ver'];
    const redis = aux['redis-ver'];
    // A file convert-rdb wrote names redis-dr as its writer (its `redis-ver` is the target's release, of either engine):
    // no server loaded its libraries before (the conversion judged them for the target where it could).
    const named: [engine: 'redis' | 'valkey', version: string, field: string][] =
      aux['redis-dr-converted-from'] !== undefined
        ? []
        : valkey !== undefined
          ? [['valkey', valkey, 'valkey-ver']]
          : redis !== undefined
            ? [['redis', redis, 'redis-ver'], ...(/^7\.2(\.|$)/.test(redis.trim()) ? [['valkey', redis, 'redis-ver'] as ['valkey', string, string]] : [])]
            : [];
    const envs = named.map(([engine, version]) => loadEnvironment(engine, version));
    this.writers = envs.every((e) => e !== undefined)
      ? envs.map((env, i) => ({ libraries: new FileLibraries(env), field: named[i]![2], version: named[i]![1] }))
      : [];
  }

  /** Why the file's writer certainly refuses this next library (`code` as stored, `name` from its first line), or undefined. */
  refused(code: Uint8Array, name: string): string | undefined {
    // Every writer is told every library (each keeps the names its libraries registered), refused or not.
    const refusals = this.writers.map((w) => w.libraries.refusedCode({ code, name }));
    if (refusals.length === 0 || refusals.some((r) => r === undefined)) return undefined;
    const who = refusals.length === 1 ? 'that release' : 'either release that writes it';
    const { field, version } = this.writers[0]!;
    return `${refusals.map((r) => r!.reason).join('; ')}: the file says ${who} wrote it (${field} ${version}), and a server holds only libraries it loaded, so the library was changed after it was written`;
  }
}

/**
 * The libraries of one file as every release whose load is known ({@link judgedReleases}) loads them one after the
 * other: for each release that certainly refuses one, the first refusal, with the library's name (verify-rdb's engines
 * line leaves those releases out: engines.ts enginesLoading).
 */
export class ReleaseLibraries {
  private readonly releases = judgedReleases().map((r) => ({ name: r.name, libraries: new FileLibraries(r.env) }));
  readonly refusals: Record<string, string> = {};

  /** The next library of the file (`code` as stored, `name` from its first line), judged by every release. */
  add(code: Uint8Array, name: string): void {
    for (const r of this.releases) {
      const refused = r.libraries.refusedCode({ code, name });
      if (refused !== undefined) this.refusals[r.name] ??= `function library '${name}': ${refused.reason}`;
    }
  }
}
