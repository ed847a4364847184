/**
 * No TypeScript file under lambdas/, lib/ or cli/ reaches 700 lines (issue
 * 38): past that a file holds more than one idea, and is split by them (the
 * RDB parser by type family, verify-rdb by its progress and pages).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryFiles } from '../../scripts/architecture-map.js';

const ROOT = join(__dirname, '..', '..');
const LIMIT = 700;

/**
 * Files over the limit while a change under way elsewhere splits them; an
 * entry back under the limit fails the test, so the list only shrinks.
 */
const SPLIT_UNDER_WAY = new Set<string>([]);

/** Lines of a text as `wc -l` counts them, plus a last line without its newline. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The files among `files` at or over {@link LIMIT} lines, as `path: N lines`. */
function oversized(files: readonly string[], read: (file: string) => string): string[] {
  return files
    .map((file) => ({ file, lines: lineCount(read(file)) }))
    .filter(({ lines }) => lines >= LIMIT)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
}

function sources(): string[] {
  return repositoryFiles(ROOT).filter((f) => /^(lambdas|lib|cli)\//.test(f) && /\.(ts|mts|cts)$/.test(f));
}

describe('file size', () => {
  it(`keeps every .ts file under lambdas/, lib/ and cli/ under ${LIMIT} lines`, () => {
    const found = oversized(sources(), (file) => readFileSync(join(ROOT, file), 'utf8'));
    const path = (entry: string): string => entry.slice(0, entry.indexOf(':'));
    expect(
      found.filter((entry) => !SPLIT_UNDER_WAY.has(path(entry))),
      `files of ${LIMIT} lines or more: split them by what they do`,
    ).toEqual([]);
    expect(
      [...SPLIT_UNDER_WAY].filter((file) => !found.some((entry) => path(entry) === file)),
      'SPLIT_UNDER_WAY entries under the limit now: remove them',
    ).toEqual([]);
  });

  it('counts a file of exactly 700 lines as too long and one of 699 as fine, with or without a last newline', () => {
    const files: Record<string, string> = {
      'lib/at.ts': 'x\n'.repeat(700),
      'lib/at-no-newline.ts': `${'x\n'.repeat(699)}x`,
      'lib/under.ts': 'x\n'.repeat(699),
      'lib/under-no-newline.ts': `${'x\n'.repeat(698)}x`,
    };
    expect(oversized(Object.keys(files), (file) => files[file]!)).toEqual(['lib/at.ts: 700 lines', 'lib/at-no-newline.ts: 700 lines']);
  });
});
