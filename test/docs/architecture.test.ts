import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedArchitectureDoc, missingDocPaths, packageExports, RepositoryPaths, repositoryFiles } from '../../scripts/architecture-map.js';

/**
 * docs/architecture.md is the map of the house: its folder map is what
 * `npm run docs:map` writes from the tree, and every path it names exists
 * (scripts/architecture-map.ts says what counts as a path).
 */

const ROOT = join(__dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'architecture.md');

describe('docs/architecture.md', () => {
  it('has the folder map npm run docs:map writes from the tree (run it after adding, moving or removing a folder)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(generatedArchitectureDoc(ROOT));
  });

  it('names only files and folders that exist', () => {
    const missing = missingDocPaths(readFileSync(DOC, 'utf8'), new RepositoryPaths(repositoryFiles(ROOT)), packageExports(ROOT));
    expect(missing, 'paths named in docs/architecture.md that do not exist: fix the page').toEqual([]);
  });
});
