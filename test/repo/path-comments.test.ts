/**
 * Comments that name a file name one that exists. A comment's path goes
 * stale when a file moves and nothing fails; this test fails instead. In the
 * comments of the TypeScript sources (read with the TypeScript parser, so a
 * `//` inside a string or a regular expression is no comment), a path is:
 *
 * - a full path from the repository root: text starting with a top-level
 *   source folder (`lambdas/…`, `lib/…`, `docs/…`), a file or a folder;
 * - a short path: text with a `/` ending in a source extension
 *   (`rdb/codecs/crc64.ts`, `./writer.ts`, `domain/vault/vault-verdict.ts`),
 *   found from the file's own folder or any folder above it, or from
 *   `lambdas/` or `lambdas/domain/`;
 * - a file name alone (`writer.ts`): a file of that name somewhere in the
 *   repository (where a bare name points is the reader's guess, whether it
 *   exists is not).
 *
 * `<name>` and `*` stand for one path segment, `…` for any number; a path
 * with a file extension is that file, without one a folder or a `.ts` stem.
 * Paths in URLs and package names (`aws-cdk-lib/aws-s3`), on `@see` lines
 * (another repository's files beside its URL) and in `@example` blocks (the
 * code of an app that embeds the construct) are not the repository's and
 * are not read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type * as TS from 'typescript';
import { describe, expect, it } from 'vitest';
import { ts } from '../support/typescript.js';
import { RepositoryPaths, repositoryFiles } from '../../scripts/architecture-map.js';
import { keptByContent } from '../support/kept-by-content.js';

const ROOT = join(__dirname, '..', '..');
const SCANNED = ['lambdas/', 'lib/', 'cli/', 'bin/', 'scripts/', 'bench/'];

/** The text of every comment of a TypeScript source, with the 1-based line it starts on. */
function commentsOf(source: string): { line: number; text: string }[] {
  const file = ts.createSourceFile('source.ts', source, ts.ScriptTarget.Latest, false);
  const found = new Map<number, string>();
  const add = (ranges: TS.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) found.set(r.pos, source.slice(r.pos, r.end));
  };
  const visit = (node: TS.Node): void => {
    add(ts.getLeadingCommentRanges(source, node.pos));
    add(ts.getTrailingCommentRanges(source, node.end));
    node.forEachChild(visit);
  };
  visit(file);
  add(ts.getLeadingCommentRanges(source, file.endOfFileToken.pos));
  return [...found].sort(([a], [b]) => a - b).map(([pos, text]) => ({ line: file.getLineAndCharacterOfPosition(pos).line + 1, text }));
}

const SEGMENT = String.raw`[\w.<>*…@-]`;
/**
 * A full path: a top-level folder of the repository (`config/` is not one
 * here: it holds the operator's own `<env>.json` files, which usage lines
 * name, `-c config=config/prod.json`), then anything path-like; not inside a URL, a longer path or a package name.
 */
const FULL = new RegExp(String.raw`(?<![\w./:@<-])(?:bench|bin|cli|demo|deploy|docs|examples|lambdas|lib|scripts|test)/(?:${SEGMENT}+/?)*`, 'g');
/** A short path: segments with a `/`, ending in a source file's extension. */
const SHORT = new RegExp(String.raw`(?<![\w./:@<-])(?:\.{1,2}/)*${SEGMENT}+(?:/${SEGMENT}+)+\.(?:ts|mts|cts|cjs|md)(?![\w/-])`, 'g');
/** A file name alone. */
const BARE = /(?<![\w./:@<*-])[\w-]+\.(?:ts|mts|cts|cjs|md)(?![\w/-])/g;

/** Whether `name` is an installed package (or a scope), so that a path starting with it is that package's. */
function isPackage(name: string): boolean {
  return name.startsWith('@') || existsSync(join(ROOT, 'node_modules', name, 'package.json'));
}

/** `comment` with its `@see` lines and `@example` blocks blanked (line breaks kept). */
function notOurs(comment: string): string {
  let inExample = false;
  return comment
    .split('\n')
    .map((line) => {
      const tag = /^\s*\*?\s*@(\w+)/.exec(line)?.[1];
      if (tag !== undefined) inExample = tag === 'example';
      return inExample || tag === 'see' ? '' : line;
    })
    .join('\n');
}

function trimmed(path: string): string {
  return path.replace(/[.,:;]+$/, '');
}

type Comments = (file: string, source: string) => { line: number; text: string }[];

/**
 * The paths named in the comments of `source` (the file `file`) that do not
 * exist among `paths`, as `file:line: path`; the comments read by `comments`
 * (the parse's, or those it gave these bytes before).
 */
function stalePathComments(
  file: string,
  source: string,
  paths: RepositoryPaths,
  basenames: ReadonlySet<string>,
  comments: Comments = (_file, text) => commentsOf(text),
): string[] {
  const stale: string[] = [];
  const folders: string[] = [];
  for (let dir = posix.dirname(file); dir !== '.'; dir = posix.dirname(dir)) folders.push(`${dir}/`);
  const bases = [...folders, 'lambdas/domain/', 'lambdas/', ''];
  for (const { line, text: comment } of comments(file, source)) {
    const text = notOurs(comment);
    const full = [...text.matchAll(FULL)].map((m) => ({ at: m.index, path: trimmed(m[0]) }));
    for (const { path } of full) if (!paths.exists(path)) stale.push(`${file}:${line}: ${path}`);
    const covered = (at: number): boolean => full.some((f) => at >= f.at && at < f.at + f.path.length);
    const shorts: { at: number; end: number }[] = [];
    for (const m of text.matchAll(SHORT)) {
      if (covered(m.index)) continue;
      shorts.push({ at: m.index, end: m.index + m[0].length });
      const path = m[0];
      // A package's own file (`aws-cdk-lib/aws-s3/lib/bucket.ts`) is not the repository's.
      if (isPackage(path.split('/')[0]!)) continue;
      const ok = path.startsWith('.')
        ? paths.exists(posix.normalize(posix.join(posix.dirname(file), path)))
        : bases.some((base) => paths.exists(`${base}${path}`));
      if (!ok) stale.push(`${file}:${line}: ${path}`);
    }
    for (const m of text.matchAll(BARE)) {
      if (covered(m.index) || shorts.some((s) => m.index >= s.at && m.index < s.end)) continue;
      if (!basenames.has(m[0])) stale.push(`${file}:${line}: ${m[0]}`);
    }
  }
  return stale;
}

/**
 * Stale paths left for a change under way elsewhere, as `file: path`; an
 * entry that no longer occurs fails the test, so the list only shrinks.
 */
const KNOWN_STALE = new Set<string>([]);

function scannedSources(files: readonly string[]): string[] {
  return files.filter((f) => SCANNED.some((folder) => f.startsWith(folder)) && /\.(ts|mts|cts)$/.test(f));
}

describe('paths named in comments', () => {
  const files = repositoryFiles(ROOT);
  const paths = new RepositoryPaths(files);
  const basenames = new Set(files.map((f) => posix.basename(f)));

  it('exist, in every source under lambdas/, lib/, cli/, bin/, scripts/ and bench/', () => {
    // Each file's comments kept between runs by its path and bytes (test/support/kept-by-content.ts): an unchanged file is
    // not parsed again; the paths they name are judged against the tree of this run.
    const kept = keptByContent('path-comments', [ts.version, commentsOf].join('\n'), (_file, text) => commentsOf(text));
    const found = scannedSources(files).flatMap((file) => stalePathComments(file, readFileSync(join(ROOT, file), 'utf8'), paths, basenames, kept.of));
    kept.save();
    const known = (entry: string): string => entry.replace(/:\d+: /, ': ');
    expect(
      found.filter((entry) => !KNOWN_STALE.has(known(entry))),
      'comments naming paths that do not exist: name where the file is now',
    ).toEqual([]);
    expect(
      [...KNOWN_STALE].filter((entry) => !found.some((f) => known(f) === entry)),
      'KNOWN_STALE entries that no longer occur: remove them',
    ).toEqual([]);
  });

  it('finds each planted stale path: full, short from the domain, short from its own folder, relative, a bare name', () => {
    const source = [
      '/**',
      ' * Moved: lambdas/domain/dr-copies/vault-verdict.ts; kept: lambdas/domain/vault/vault-verdict.ts.',
      ' * Short: rdb/codecs/crc64.ts (exists) and rdb/crc64.ts (does not); format/parser.ts from here.',
      ' */',
      "import { x } from './y.js'; // see ./writer.ts and ./writers.ts, bare writer.ts and nowhere-at-all.ts",
      '// lambdas/jobs/<capability>/clients.ts, lambdas/…/vault-seed.ts and lambdas/…/no-such-seed.ts',
      "const url = 'https://github.com/aws/aws-cdk/blob/main/lib/not-ours.ts'; // aws-cdk-lib/aws-s3/lib/bucket.ts is a package's",
      "const s = '// lambdas/in/a/string.ts is no comment';",
    ].join('\n');
    expect(stalePathComments('lambdas/domain/rdb/verifier.ts', source, paths, basenames)).toEqual([
      'lambdas/domain/rdb/verifier.ts:1: lambdas/domain/dr-copies/vault-verdict.ts',
      'lambdas/domain/rdb/verifier.ts:1: rdb/crc64.ts',
      'lambdas/domain/rdb/verifier.ts:5: ./writer.ts',
      'lambdas/domain/rdb/verifier.ts:5: ./writers.ts',
      'lambdas/domain/rdb/verifier.ts:5: nowhere-at-all.ts',
      'lambdas/domain/rdb/verifier.ts:6: lambdas/…/no-such-seed.ts',
    ]);
  });
});
