import { createHash, type Hash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folder of the kept results, beside cfn-lint's kept verdicts (test/support/cfn-lint-server.ts). */
export const KEPT_FOLDER = join(tmpdir(), 'redis-dr-kept-by-content');

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * `compute` of a source file, kept between runs by its path, its bytes and the `version` of what computes it: a pure
 * function of the two (the repository checks' parse of every source, test/repo) is computed again only for a file it
 * has not seen so, or when `version` changes. `version` must name everything the result depends on besides the text: the
 * computing functions' own source (`fn.toString()`), the constants they read, the parser's version. A text that
 * changed is a new key, so a check still fails on the file that breaks it; a result kept is the one `compute` gave
 * those bytes. Kept in one JSON file per `name` and `version` (written whole, renamed into place: two workers
 * writing at once leave one whole file); entries of texts gone are dropped at each save.
 *
 * Why: test/repo/function-size and path-comments each parsed every source under lambdas/, lib/ and cli/ (4.8 MB,
 * 638 files) with the TypeScript compiler on every run, about 3 CPU-s each, though few files change between runs.
 */
export function keptByContent<T>(
  name: string,
  version: string,
  compute: (path: string, text: string) => T,
): { of(path: string, text: string): T; save(): void } {
  const file = join(KEPT_FOLDER, `${name}-${sha256(version).slice(0, 16)}.json`);
  let kept: Record<string, T> = {};
  try {
    kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, T>;
  } catch {
    // None kept yet (or a torn file from a crash): every text is computed.
  }
  const used: Record<string, T> = {};
  let computed = 0;
  return {
    of(path: string, text: string): T {
      const key = sha256(`${path}\0${text}`);
      if (!(key in used)) {
        if (key in kept) used[key] = kept[key]!;
        else {
          used[key] = compute(path, text);
          computed++;
        }
      }
      return used[key]!;
    },
    save(): void {
      if (computed === 0 && Object.keys(used).length === Object.keys(kept).length) return;
      mkdirSync(KEPT_FOLDER, { recursive: true });
      const temporary = `${file}.${process.pid}`;
      writeFileSync(temporary, JSON.stringify(used));
      renameSync(temporary, file);
    },
  };
}

/** A result kept by {@link writeKept} not read for this many days is removed (by its modification time, which a read sets). */
const UNUSED_DAYS = 30;
const pruned = new Set<string>();

/**
 * The result kept in `folder` under `key` (a digest of everything the result is a function of), or undefined when none
 * is kept or its file cannot be read (a torn file is computed again). A read marks it used (its modification time).
 */
export function readKept<T>(folder: string, key: string, options: { unusedDays?: number } = {}): T | undefined {
  if (!pruned.has(folder)) {
    pruned.add(folder);
    pruneUnused(folder, options.unusedDays ?? UNUSED_DAYS);
  }
  const file = join(folder, `${key}.json`);
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as T;
    const now = new Date();
    utimesSync(file, now, now);
    return kept;
  } catch {
    return undefined;
  }
}

/**
 * `run()`'s result, kept in `folder` under `key` ({@link readKept}): a key seen before is read, not run. A result is kept
 * only when `run` returns (one that throws is run again next time).
 */
export function keptResult<T>(folder: string, key: string, run: () => T): T {
  const kept = readKept<T>(folder, key);
  if (kept !== undefined) return kept;
  const result = run();
  writeKept(folder, key, result);
  return result;
}

/** Adds every file at or under `paths` to `hash`, folders walked in name order: each file's absolute path, then its bytes. */
export function hashFiles(hash: Hash, paths: readonly string[]): Hash {
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      const names = readdirSync(path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      hashFiles(
        hash,
        names.map((name) => join(path, name)),
      );
    } else hash.update(`\0${path}\0`).update(readFileSync(path));
  }
  return hash;
}

/** Keeps `value` in `folder` under `key`: written whole, then renamed into place (two workers writing at once leave one whole file). */
export function writeKept(folder: string, key: string, value: unknown): void {
  const file = join(folder, `${key}.json`);
  mkdirSync(folder, { recursive: true });
  const temporary = `${file}.${process.pid}`;
  writeFileSync(temporary, JSON.stringify(value));
  renameSync(temporary, file);
}

/** Removes the results in `folder` no run has read for `days` days (their inputs long changed). */
function pruneUnused(folder: string, days: number): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return; // none kept yet
  }
  const before = Date.now() - days * 86_400_000;
  for (const name of names) {
    const path = join(folder, name);
    try {
      if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
    } catch {
      // removed meanwhile by another worker
    }
  }
}
