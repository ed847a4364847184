import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  folderMapTable,
  MAP_MARKERS,
  mappedFolders,
  missingDocPaths,
  packageExports,
  RepositoryPaths,
  repositoryFiles,
  withFolderMap,
} from '../../scripts/architecture-map.js';

const ROOT = join(__dirname, '..', '..');
const FILES = [
  'cli/program.ts',
  'cli/commands/status/action.ts',
  'lambdas/domain/vault/vault-copies.ts',
  'lib/stacks/vault-stack.ts',
  'docs/x.md',
  'README.md',
];
const DESCRIPTIONS = {
  $comment: 'ignored',
  'cli/': 'the CLI',
  'cli/commands/': 'commands',
  'cli/commands/status/': '`status`',
  'lambdas/': 'Lambdas',
  'lambdas/domain/': 'pure',
  'lambdas/domain/vault/': 'the vault',
  'lib/': 'CDK',
  'lib/stacks/': 'stacks',
};

describe('the folder map', () => {
  it('lists every folder under cli/, lambdas/ and lib/ that holds a file, with its description, sorted', () => {
    const folders = mappedFolders(FILES);
    expect(folders).toEqual(['cli/', 'cli/commands/', 'cli/commands/status/', 'lambdas/', 'lambdas/domain/', 'lambdas/domain/vault/', 'lib/', 'lib/stacks/']);
    const table = folderMapTable(folders, DESCRIPTIONS);
    expect(table.split('\n').slice(0, 3)).toEqual(['| folder | what lives there |', '|---|---|', '| `cli/` | the CLI |']);
    expect(table).toContain('| `lambdas/domain/vault/` | the vault |');
  });

  it('refuses a folder without a description and a description of a folder that is gone, naming both', () => {
    const folders = mappedFolders([...FILES.filter((f) => !f.startsWith('lib/stacks/')), 'lambdas/jobs/vault/vault-copies.ts']);
    expect(() => folderMapTable(folders, DESCRIPTIONS)).toThrow(
      /lambdas\/jobs\/ has no description[\s\S]*lambdas\/jobs\/vault\/ has no description[\s\S]*lib\/stacks\/ is described in docs\/architecture-map.json but is not a folder/,
    );
  });

  it('replaces only what lies between the markers, and refuses a page without them', () => {
    const doc = `# A\n\n${MAP_MARKERS.start}\nold\n${MAP_MARKERS.end}\n\nafter\n`;
    expect(withFolderMap(doc, 'new')).toBe(`# A\n\n${MAP_MARKERS.start}\nnew\n${MAP_MARKERS.end}\n\nafter\n`);
    expect(() => withFolderMap('# A\n', 'new')).toThrow(/must contain <!-- folder-map:start/);
  });
});

describe('the paths a page names', () => {
  const paths = new RepositoryPaths(repositoryFiles(ROOT));
  const exports = packageExports(ROOT);

  it('finds none missing in a page that names real ones, in every form it accepts', () => {
    const doc = [
      'The store (`lambdas/adapters/storage/object-store.ts`) and `storage/aof-dir.ts` beside it; see lambdas/domain/rdb/codecs/crc64.ts.',
      'Each command is `cli/commands/<name>/` with `command.ts`; the library is `redis-dr/cdk`; lambdas/…/vault-copies.ts.',
      '',
      '| capability | domain (`lambdas/domain/`) | construct (`lib/constructs/`) |',
      '|---|---|---|',
      '| RDB | `rdb/` (`format/` parser (`parser.ts`, `parse-strings`), `codecs/`) | `restore-drill/` (`steps/`) |',
      '| folder | `lib/config/` | `defaults.ts`, `regions.json` |',
      '```',
      'lambdas/not/in/a/code/block.ts',
      '```',
    ].join('\n');
    expect(missingDocPaths(doc, paths, exports)).toEqual([]);
  });

  it('names each planted stale path with its line: a full path, a file after its paragraph’s folder, a folder and a stem in a table column, an export', () => {
    const doc = [
      'The store (`lambdas/adapters/storage/object-stor.ts`), and lambdas/domain/rdb/crc64.ts in plain text.',
      'After `lambdas/adapters/storage/aof-dir.ts`: `storage/aof-stor.ts`; the library is `redis-dr/lib`.',
      '',
      '| capability | domain (`lambdas/domain/`) | construct (`lib/constructs/`) |',
      '|---|---|---|',
      '| RDB | `plan/`, `rdb/` (`format/` (`parse-string`)) | `vault-bucket.ts` |',
    ].join('\n');
    expect(missingDocPaths(doc, paths, exports)).toEqual([
      'line 1: lambdas/adapters/storage/object-stor.ts',
      'line 1: lambdas/domain/rdb/crc64.ts',
      'line 2: storage/aof-stor.ts',
      'line 2: redis-dr/lib (not an export of package.json)',
      'line 6: plan/ (under lambdas/domain/)',
      'line 6: parse-string (under lambdas/domain/)',
      'line 6: vault-bucket.ts (under lib/constructs/)',
    ]);
  });

  it('holds the real page: a stale path planted in docs/architecture.md is found', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8').replace('`lambdas/jobs/kernel/deps.ts`', '`lambdas/jobs/dependencies.ts`');
    expect(missingDocPaths(doc, paths, exports)).toEqual([expect.stringMatching(/^line \d+: lambdas\/jobs\/dependencies\.ts$/)]);
  });
});
