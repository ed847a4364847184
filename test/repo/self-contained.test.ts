import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_CASES, CORPUS_DIR } from '../support/rdb-corpus.js';

const ROOT = join(__dirname, '..', '..');
// Spelled in parts so this file does not match itself.
const SIBLING = ['..', 'shared'].join('/');
const CORPUS_NAME = ['rdb', 'corpus'].join('-');

/** Every file git tracks (or would track: untracked, not ignored), text only. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
}

describe('a fresh clone is self-contained', () => {
  it('no file refers to a folder beside the repository', () => {
    const offenders = repositoryFiles().filter((file) => {
      if (file.endsWith('.rdb') || file === 'package-lock.json') return false;
      const text = readFileSync(join(ROOT, file), 'utf8');
      return text.includes(SIBLING) || text.includes(`shared/${CORPUS_NAME}`);
    });
    expect(offenders).toEqual([]);
  });

  it('the sample RDB files live in test/fixtures with their sources and licence', () => {
    expect(CORPUS_DIR).toBe(join(ROOT, 'test', 'fixtures', 'rdb'));
    const readme = readFileSync(join(CORPUS_DIR, 'README.md'), 'utf8');
    expect(readme).toMatch(/BSD-3-Clause/);
    for (const [file] of CORPUS_CASES) {
      expect(existsSync(join(CORPUS_DIR, file)), file).toBe(true);
      expect(readme, `${file} is described in the README`).toContain(file);
    }
  });
});
