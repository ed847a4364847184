/**
 * The engines an RDB file can be written for (`convert-rdb --for`) and the
 * ones a file loads in (`verify-rdb`): one table of engine releases, each
 * mapped to what it reads through {@link engineRdbSupport} (format/dump-payload.ts,
 * the one table of RDB versions per release), so the answer to "does Redis
 * 7.0 read this?" is the same for a restore preflight, a migrate, a
 * conversion and a verification.
 */
import { namedFirst, type RdbReport } from './report.js';
import { VALKEY_VERSIONS, VALKEY_WRITERS } from './format/opcodes.js';
import { ELASTICACHE, engineReleaseName, OSS } from './engine-names.js';
import { engineRdbSupport, forWriting, rdbRefusal, type RdbFileFormat, type TargetRdbSupport, writtenRedisVersion } from './format/dump-payload.js';
import { loadEnvironment } from './format/lua-load.js';

/** One engine release a file can be written for. */
export interface EngineRelease {
  /** `redis-7.0`, `valkey-9.0`, `elasticache-redis-7.1`. */
  readonly name: string;
  readonly engine: 'redis' | 'valkey';
  readonly version: string;
  /** Whether it is an ElastiCache engine version (the OSS release it is based on reads the same). */
  readonly elasticache: boolean;
  readonly reads: TargetRdbSupport;
}

/** The format a file is written in: magic and RDB version. */
export interface RdbFormat {
  readonly magic: 'REDIS' | 'VALKEY';
  readonly version: number;
}

const release = (engine: 'redis' | 'valkey', version: string, elasticache: boolean): EngineRelease => ({
  name: engineReleaseName(engine, version, elasticache),
  engine,
  version,
  elasticache,
  reads: engineRdbSupport(engine, version),
});

/** Every engine release `--for` names, oldest first per engine; the ElastiCache ones after the OSS ones. */
export const ENGINE_RELEASES: readonly EngineRelease[] = [...OSS.map(([e, v]) => release(e, v, false)), ...ELASTICACHE.map(([e, v]) => release(e, v, true))];

/** The release `--for` names, or undefined. */
export function engineRelease(name: string): EngineRelease | undefined {
  const n = name.trim().toLowerCase();
  return ENGINE_RELEASES.find((r) => r.name === n);
}

/**
 * The first Valkey release that validates every value deeply on load, whatever `sanitize-dump-payload` says (there a
 * deprecated no-op): a value Redis refuses only with deep sanitization (an intset out of order, a listpack set or hash
 * holding a member twice, a pending entry no consumer owns: the verifier's `sanitize-only` warnings) it refuses, and
 * with it the whole file. Read from Valkey 9.1.2's source (7f1dffed: src/rdb.c rdbLoadObject calls each
 * *ValidateIntegrity with deep 1, src/config.c lists sanitize-dump-payload among the deprecated; valkey-io/valkey#3721)
 * and seen on a real 9.1.2 ("Intset integrity check failed" for an output convert-rdb wrote from a mutated file);
 * 8.1.1's rdb.c validates deeply only with the setting; 9.0 came before that change.
 */
export const VALKEY_VALIDATES_EVERY_VALUE_FROM = '9.1';

/** Whether `r` refuses, on load, a value the verifier warns of as `sanitize-only` ({@link VALKEY_VALIDATES_EVERY_VALUE_FROM}). */
export function validatesEveryValue(r: Pick<EngineRelease, 'engine' | 'version'>): boolean {
  if (r.engine !== 'valkey') return false;
  const [major, minor] = r.version.split('.').map(Number) as [number, number];
  const [fromMajor, fromMinor] = VALKEY_VALIDATES_EVERY_VALUE_FROM.split('.').map(Number) as [number, number];
  return major > fromMajor || (major === fromMajor && minor >= fromMinor);
}

/**
 * What a target that validates every value on load (Valkey from 9.1) refuses of an input the verifier warned of as
 * `sanitize-only`: the count, and the first warnings that say so; undefined for none. A server never writes such a
 * value (a corrupt or crafted file holds it); Redis and older Valkey load it as it is.
 */
export function sanitizeOnlyProblem(target: string, report: Pick<RdbReport, 'warningKinds' | 'warnings'>): string | undefined {
  const n = report.warningKinds?.['sanitize-only'] ?? 0;
  if (n === 0) return undefined;
  const named = (report.warnings ?? []).filter((w) => /sanitize-dump-payload/.test(w.message)).slice(0, 3);
  return `${n} value${n === 1 ? '' : 's'} ${target} refuses on load, as it validates every value (${named.map((w) => w.message).join('; ')}${n > named.length ? '; …' : ''})`;
}

/** The highest RDB version after the `REDIS` magic the writer writes (rdb/write/: the types of RDB 9 to 15 it emits are plain ones). */
export const WRITER_MAX_REDIS_VERSION = 15;
/** The lowest: RDB 9 (Redis 5.0 and 6.x) is the first with streams and binary zset scores in every release that reads it. */
export const WRITER_MIN_REDIS_VERSION = 9;

/**
 * The format a file is written in for a target: Valkey 9's own (`VALKEY`
 * magic, its newest version: it holds hash field TTLs) for a Valkey 9, else
 * `REDIS` at the highest version written for the target ({@link writtenRedisVersion}:
 * RDB 10 for ElastiCache Redis OSS 7.1), up to what the writer writes.
 */
export function formatFor(reads: TargetRdbSupport): RdbFormat {
  if (reads.valkeyFormat) return { magic: 'VALKEY', version: reads.maxValkeyVersion ?? 80 };
  return { magic: 'REDIS', version: Math.min(writtenRedisVersion(reads), WRITER_MAX_REDIS_VERSION) };
}

/** The problem with `--rdb-version N` (a `REDIS` file of that version), or null. */
export function rdbVersionProblem(version: number): string | null {
  if (!Number.isInteger(version) || version < WRITER_MIN_REDIS_VERSION || version > WRITER_MAX_REDIS_VERSION)
    return `--rdb-version ${version}: the writer writes RDB ${WRITER_MIN_REDIS_VERSION} to ${WRITER_MAX_REDIS_VERSION} (Redis 5.0 to 8.10); give one of them, or --for <engine>`;
  return null;
}

/** The highest value type each `REDIS` RDB version defines (rdb.h's rdbIsObjectType as of the release that writes it). */
export const REDIS_MAX_TYPE_OF: Readonly<Record<number, number>> = { 9: 15, 10: 19, 11: 21, 12: 25, 13: 26, 14: 28, 15: 32 };

/** The lowest `REDIS` RDB version defining value `type`: 9 for the types every release of the table reads. */
export function redisVersionOfType(type: number): number {
  for (const [version, max] of Object.entries(REDIS_MAX_TYPE_OF)) if (type <= max) return Number(version);
  return 16;
}

/**
 * What a loader must read to load a file: its header's version, or higher
 * where a key's type (`rdbTypes`: the verifier's report) or function
 * libraries need it. A loader judges each key by its type, not by the
 * header: Redis 7.0 refuses a `REDIS0010` file holding a type 20 set
 * ("Unknown RDB encoding type 20"), Redis 6.2 a `REDIS0009` one holding
 * a type 16–18 listpack. A `VALKEY` file is judged by its header (its types
 * are Valkey 9's own).
 */
export function requiredFormat(file: RdbFileFormat, seen: { readonly rdbTypes?: readonly number[]; readonly functionLibraries?: number }): RdbFileFormat {
  if (file.valkey) return file;
  let version = file.version;
  for (const type of seen.rdbTypes ?? []) version = Math.max(version, redisVersionOfType(type));
  // Function libraries (FUNCTION2) arrived with Redis 7.0's RDB 10.
  if ((seen.functionLibraries ?? 0) > 0) version = Math.max(version, 10);
  return version === file.version ? file : { ...file, version };
}

/**
 * Which of {@link ENGINE_RELEASES} load a file of this format as they are,
 * which do not, and which may (`unsure`: ElastiCache Redis OSS 7.1 and an
 * RDB 11 file, which it may read but most likely does not, see
 * ELASTICACHE_REDIS_7_1 in format/dump-payload.ts: never listed as loading).
 */
export function enginesLoading(
  file: RdbFileFormat,
  /** The file holds values only deep sanitization refuses (the verifier's `sanitize-only` warnings): refused by {@link validatesEveryValue}'s releases. */
  sanitizeOnly = false,
  /**
   * The releases that certainly refuse to run one of the file's function libraries on load (the report's
   * `libraryRefusals`): refused (`byLibrary` too); and where one of an engine does, that engine's releases whose load is
   * not judged (lua-load.ts: Redis 8.2, Valkey 9.0, every ElastiCache one) are `notJudged`, neither loading nor refusing.
   */
  libraryRefusals: Readonly<Record<string, string>> = {},
): {
  readonly loads: readonly EngineRelease[];
  readonly refuses: readonly EngineRelease[];
  readonly unsure: readonly EngineRelease[];
  readonly byLibrary: readonly EngineRelease[];
  readonly notJudged: readonly EngineRelease[];
} {
  const loads: EngineRelease[] = [];
  const refuses: EngineRelease[] = [];
  const unsure: EngineRelease[] = [];
  const byLibrary: EngineRelease[] = [];
  const notJudged: EngineRelease[] = [];
  const refusing = new Set(Object.keys(libraryRefusals).map((n) => engineRelease(n)?.engine));
  // Hash templates are a matter of RESTORE payloads, not of loading the file: left out of the question.
  const format: RdbFileFormat = { version: file.version, valkey: file.valkey };
  for (const r of ENGINE_RELEASES) {
    if (rdbRefusal(format, r.reads) !== undefined || (sanitizeOnly && validatesEveryValue(r))) refuses.push(r);
    else if (libraryRefusals[r.name] !== undefined) refuses.push(r), byLibrary.push(r);
    else if (refusing.has(r.engine) && (r.elasticache || loadEnvironment(r.engine, r.version) === undefined)) notJudged.push(r);
    else (rdbRefusal(format, forWriting(r.reads)) === undefined ? loads : unsure).push(r);
  }
  return { loads, refuses, unsure, byLibrary, notJudged };
}

/** Releases in words, grouped by engine: `Redis 7.0, 7.2, 8.0; ElastiCache Valkey 8.0`. */
function releasesInWords(releases: readonly EngineRelease[]): string {
  const groups = new Map<string, string[]>();
  for (const r of releases) {
    const title = `${r.elasticache ? 'ElastiCache ' : ''}${r.engine === 'redis' ? 'Redis' : 'Valkey'}`;
    groups.set(title, [...(groups.get(title) ?? []), r.version]);
  }
  return [...groups].map(([title, versions]) => `${title} ${versions.join(', ')}`).join('; ');
}

/**
 * The first Valkey release whose `rdb-version-check relaxed` (valkey.conf)
 * makes it try a `REDIS` file newer than it reads (Redis 7.4's RDB 12 on):
 * it loads the file unless it meets a value type or opcode it lacks (Redis's
 * 22 to 243: hash field TTLs, key metadata, templates), where it stops.
 * Not 8.1, which brought the setting: its relaxed check tries only future
 * Valkey versions (80 on) and still refuses RDB 12 to 79, "reserved for
 * foreign formats" (valkey-io/valkey#1604); trying those came with 9.0
 * ("Relaxed RDB check for foreign RDB formats", #2543, 9.0.0-rc2).
 */
export const VALKEY_RELAXED_FROM = '9.0';

/**
 * Which engines load a file, in one line: `Redis ≥ 7.4, no Valkey (Valkey ≥
 * 9.0 needs rdb-version-check relaxed …); ElastiCache: none (…convert-rdb…)`.
 * A release reads what every older one of its engine reads, so the oldest
 * that loads it says it all. The relaxed hint is given for a Redis file no
 * Valkey reads as it is but a Redis release does (RDB 12 on): not for a
 * Valkey file, one some Valkey loads, or one no known engine writes.
 */
export function enginesLine(
  file: RdbFileFormat,
  modules: readonly string[] = [],
  /** The RDB types of the file's keys, when known (verify-rdb's report): the relaxed hint names those Valkey lacks, or says there are none. */
  rdbTypes?: readonly number[],
  /** As {@link enginesLoading}'s. */
  sanitizeOnly = false,
  /** As {@link enginesLoading}'s: said after the releases, with the first refusal's words. */
  libraryRefusals: Readonly<Record<string, string>> = {},
): string {
  const { loads, unsure, byLibrary, notJudged } = enginesLoading(file, sanitizeOnly, libraryRefusals);
  const part = (engine: 'redis' | 'valkey', elasticache: boolean): string => {
    const title = engine === 'redis' ? 'Redis' : 'Valkey';
    const all = ENGINE_RELEASES.filter((r) => r.engine === engine && r.elasticache === elasticache);
    const ok = loads.filter((r) => r.engine === engine && r.elasticache === elasticache);
    // None loads it that is judged, and some are not (a function library: said after the releases).
    if (ok.length === 0 && notJudged.some((r) => r.engine === engine && r.elasticache === elasticache)) return `no ${title} known to load it`;
    if (ok.length === 0) return `no ${title}`;
    // The newer releases that validate every value on load refuse it where older ones load it: a range, said why.
    const last = ok.at(-1)!;
    if (sanitizeOnly && engine === 'valkey' && all.some((r) => validatesEveryValue(r) && !ok.includes(r))) {
      const range = ok[0] === last ? `${title} ${last.version} only` : `${title} ${ok[0]!.version} to ${last.version}`;
      return elasticache
        ? range
        : `${range} (from ${VALKEY_VALIDATES_EVERY_VALUE_FROM} it validates every value on load and refuses the values warned of above)`;
    }
    // A release after the first that loads it does not (a function library it refuses, or not judged): those that do, by name.
    if (!all.slice(all.indexOf(ok[0]!)).every((r) => ok.includes(r))) return `${title} ${ok.map((r) => r.version).join(', ')} only`;
    return ok.length === all.length ? `every ${title} from ${ok[0]!.version}` : `${title} ≥ ${ok[0]!.version}`;
  };
  const redisLoads = loads.some((r) => r.engine === 'redis' && !r.elasticache);
  const valkeyLoads = loads.some((r) => r.engine === 'valkey' && !r.elasticache);
  // Redis's value types from 22 on (hash field TTLs, Redis 8.6 streams, arrays, templates): no Valkey reads them in a Redis file.
  const lacking = rdbTypes?.filter((t) => t >= 22 && t < 200);
  const stops =
    lacking === undefined
      ? ', and stops at a type it lacks, such as hash field TTLs'
      : lacking.length > 0
        ? `, and stops at the first key of a type it lacks: RDB type${lacking.length === 1 ? '' : 's'} ${lacking.join(', ')} here`
        : '; the file holds no value type Valkey lacks (none from 22 on), so that most likely loads it';
  const relaxed = !file.valkey && redisLoads && !valkeyLoads ? ` (Valkey ≥ ${VALKEY_RELAXED_FROM} needs \`rdb-version-check relaxed\` to load it${stops})` : '';
  // A release that may read the file but most likely does not (ElastiCache Redis OSS 7.1 and RDB 11): said as not known, with the fix.
  const ecRedis = loads.some((r) => r.engine === 'redis' && r.elasticache)
    ? part('redis', true)
    : unsure
        .filter((r) => r.engine === 'redis' && r.elasticache)
        .map(
          (r) =>
            `Redis ${r.version} not known (it most likely reads RDB ${writtenRedisVersion(r.reads)} only: redis-dr convert-rdb --for ${r.name} writes a copy it loads)`,
        )
        .join(', ') || part('redis', true);
  const ec =
    loads.some((r) => r.elasticache) || unsure.length > 0
      ? `${ecRedis}, ${part('valkey', true)}`
      : notJudged.some((r) => r.elasticache)
        ? 'not known (whether its engines run the function libraries on load is not judged)'
        : 'none of its engine versions';
  // The releases a function library leaves out, with the first refusal's words, and those of their engines not judged.
  const libraries =
    byLibrary.length === 0
      ? ''
      : `; function libraries: ${releasesInWords(byLibrary)} certainly refuse${byLibrary.length === 1 ? 's' : ''} one on load (${libraryRefusals[byLibrary[0]!.name]})` +
        (notJudged.length > 0 ? `; not judged for ${releasesInWords(notJudged)}` : '');
  const missing = loads.length < ENGINE_RELEASES.length ? ' (redis-dr convert-rdb --for <engine> writes a copy the others load)' : '';
  // A Valkey format of a release newer than any --for names (VALKEY 81: Valkey 9.2): that release, not "no Valkey".
  const newerWriter = file.valkey && !valkeyLoads ? VALKEY_WRITERS[VALKEY_VERSIONS.indexOf(file.version)] : undefined;
  const valkey = newerWriter ? `Valkey ≥ ${newerWriter} (which writes VALKEY ${file.version}; newer than the releases --for names)` : part('valkey', false);
  const oss = `${part('redis', false)}, ${valkey}${relaxed}`;
  if (modules.length === 0) return `${oss}; ElastiCache: ${ec}${missing}${libraries}`;
  // Module data loads only where its module is loaded, which ElastiCache never does for a seed file (redis-dr carries none: --lossy module).
  const named = `module${modules.length === 1 ? '' : 's'} ${namedFirst(modules, ', ', 'module')}`;
  const losses = [modules.some((m) => !m.startsWith('META-')) ? 'module' : '', modules.some((m) => m.startsWith('META-')) ? 'key-meta' : '']
    .filter(Boolean)
    .join(',');
  return (
    `${loads.some((r) => !r.elasticache) ? `${oss}, each only with ${named} loaded` : oss}; ` +
    `ElastiCache: none (it loads no module data; redis-dr convert-rdb --lossy ${losses} writes a copy without it)${libraries}`
  );
}

/**
 * The modules a file's data needs loaded (the verifier's report): module
 * value types, module AUX data, and Redis 8.6 key metadata classes
 * (`META-<class>`), each named once, in order.
 */
export function modulesNeeded(report: { readonly moduleTypes?: Readonly<Record<string, number>>; readonly moduleAux?: readonly string[] }): string[] {
  return [...new Set([...Object.keys(report.moduleTypes ?? {}), ...(report.moduleAux ?? [])])];
}
