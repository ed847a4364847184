/**
 * The house rules of docs/architecture.md, held against the code: the import
 * graph of lib/, lambdas/, cli/, bench/ and demo/ (every import, type-only
 * and lazy ones included, read with the TypeScript compiler's own
 * pre-processor) has no circle, and no import runs against the layers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ts } from '../support/typescript.js';
import { type LayerOrder, readLayerOrder } from '../../scripts/architecture-map.js';

const ROOT = join(__dirname, '..', '..');
const SCANNED = ['lib/', 'lambdas/', 'cli/', 'bin/', 'bench/', 'demo/'];

/** file → the repository files it imports (relative imports, resolved as Node and TypeScript do). */
type Graph = Map<string, Set<string>>;
/** file → the packages it imports (`node:fs`, `zod`, `@aws-sdk/client-s3`). */
type Packages = Map<string, Set<string>>;

function sources(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', ...SCANNED], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => /\.(ts|mts|cts)$/.test(f) && !f.endsWith('.d.ts') && existsSync(join(ROOT, f)));
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const stem = base.replace(/\.(js|mjs|cjs)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.mts`, `${stem}.cts`, `${base}/index.ts`, `${stem}.d.ts`]) {
    if (existsSync(join(ROOT, candidate)) && !candidate.endsWith('/')) return candidate;
  }
  return undefined;
}

function importGraph(): { graph: Graph; packages: Packages; unresolved: string[] } {
  const graph: Graph = new Map();
  const packages: Packages = new Map();
  const unresolved: string[] = [];
  for (const file of sources()) {
    const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    const edges = new Set<string>();
    const pkgs = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        const target = resolveImport(file, fileName);
        if (target === undefined) {
          if (!fileName.endsWith('.json')) unresolved.push(`${file} → ${fileName}`);
        } else edges.add(target);
      } else pkgs.add(fileName);
    }
    graph.set(file, edges);
    packages.set(file, pkgs);
  }
  return { graph, packages, unresolved };
}

/** Every import circle (strongly connected components of more than one file, or a file importing itself), Tarjan's algorithm. */
function circles(graph: Graph): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/**
 * Packages the pure domain may use: validation, cron arithmetic, hashing
 * (xxhash-wasm: convert-rdb's key-list digest, rdb/write/key-list.ts; node:zlib for its crc32 alone, the key index's
 * block checksum, rdb/codecs/crc32.ts), parsing (luaparse: a function library's Lua syntax, rdb/format/lua-syntax.ts).
 * No SDK, no network, no file system, no clock.
 */
const PURE_PACKAGES = new Set(['zod', 'cron-parser', 'node:crypto', 'node:zlib', 'xxhash-wasm', 'luaparse']);

/** The layering rules; each names the importer's folder, what it may not import, and why. */
const RULES: { readonly from: string; readonly forbidden: readonly string[]; readonly why: string }[] = [
  {
    from: 'lambdas/domain/',
    forbidden: ['lambdas/adapters/', 'lambdas/jobs/', 'lambdas/handlers/', 'lib/', 'cli/', 'bin/', 'bench/', 'demo/'],
    why: 'the domain is pure: it imports only the domain',
  },
  {
    from: 'lambdas/adapters/',
    forbidden: ['lambdas/jobs/', 'lambdas/handlers/', 'lib/', 'cli/', 'bench/', 'demo/'],
    why: 'adapters map and paginate; they import no use case',
  },
  {
    from: 'lambdas/jobs/',
    forbidden: ['lambdas/handlers/', 'cli/', 'bench/', 'demo/'],
    why: 'jobs serve the Lambda entry points and the CLI alike; they import neither',
  },
  { from: 'lambdas/handlers/', forbidden: ['cli/', 'bench/', 'demo/'], why: 'a Lambda bundle carries no CLI' },
  {
    from: 'lib/',
    forbidden: ['lambdas/adapters/', 'lambdas/jobs/', 'lambdas/handlers/', 'cli/', 'bench/', 'demo/'],
    why: 'the CDK app describes resources; it runs no job',
  },
  { from: 'bench/', forbidden: ['cli/'], why: 'benchmarks time the engine (lambdas/jobs) or the CLI as a user runs it (bin/), not CLI internals' },
  { from: 'demo/', forbidden: ['cli/'], why: 'the demo runs the jobs and the synthesized state machines, not CLI internals' },
];

/**
 * The CLI parses, calls one job and prints: no file under cli/ imports an
 * adapter or the AWS SDK (the use case lives in lambdas/jobs/, which builds
 * its clients), and no command's folder imports another command's folder
 * (what two commands share lives in cli/ root or in a job).
 */
const CLI_FORBIDDEN = { folders: ['lambdas/adapters/'], packages: /^@aws-sdk\// } as const;

/**
 * cli/ files that still break the CLI rules, each to be made thin and taken
 * off; this list only shrinks (a test fails when a listed file is clean).
 */
// biome-ignore format: one file per line, taken off one by one
const PENDING_CLI = new Set<string>([]);

/** The command folder of a cli/ file (`cli/commands/prune/action.ts` → `prune`), or undefined for cli/ root. */
function commandOf(file: string): string | undefined {
  return /^cli\/commands\/([^/]+)\//.exec(file)?.[1];
}

/** Breaks of the CLI rules, over every cli/ file (PENDING_CLI is applied by the caller). */
function cliViolations(graph: Graph, packages: Packages): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    if (!file.startsWith('cli/')) continue;
    for (const target of targets) {
      if (CLI_FORBIDDEN.folders.some((f) => target.startsWith(f)))
        out.push(`${file} imports ${target}: the CLI parses, calls one job and prints (move the use case to lambdas/jobs/)`);
      const from = commandOf(file);
      const to = commandOf(target);
      if (from !== undefined && to !== undefined && from !== to)
        out.push(`${file} imports ${target}: a command imports no other command's folder (share it through cli/ root or a job)`);
    }
    for (const pkg of packages.get(file) ?? [])
      if (CLI_FORBIDDEN.packages.test(pkg))
        out.push(`${file} imports ${pkg}: the CLI builds no AWS client (a job-level factory does: lambdas/jobs/kernel/clients.ts)`);
  }
  return out;
}

/**
 * Whether a module's body is only `export … from '…'` (comments aside): a
 * file kept to give another module a second name. Under cli/ that hides
 * what a command really imports (a job's module behind a cli/ path) and
 * keeps a door open for tests; importers name the real module instead.
 */
function reexportOnly(text: string): boolean {
  const file = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, false);
  return file.statements.length > 0 && file.statements.every((s) => ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined);
}

/** cli/ files whose body only re-exports other modules. */
function cliReexportFiles(files: Iterable<string>, read: (file: string) => string): string[] {
  return [...files].filter((f) => f.startsWith('cli/') && reexportOnly(read(f))).map((f) => `${f} only re-exports: import the real module and delete it`);
}

function layeringViolations(graph: Graph, packages: Packages): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of RULES) {
      if (!file.startsWith(rule.from)) continue;
      for (const target of targets) {
        if (rule.forbidden.some((f) => target.startsWith(f))) out.push(`${file} imports ${target}: ${rule.why}`);
      }
    }
    if (file.startsWith('lambdas/domain/')) {
      for (const pkg of packages.get(file) ?? [])
        if (!PURE_PACKAGES.has(pkg)) out.push(`${file} imports ${pkg}: the domain is pure (allowed packages: ${[...PURE_PACKAGES].join(', ')})`);
    }
  }
  return out;
}

/** The layer (`lambdas/domain/`) and capability folder (`plans`) of a file in a layer the order covers; `(root)` for a file loose in the layer. */
function placeOf(file: string, order: LayerOrder): { layer: string; folder: string } | undefined {
  const layer = Object.keys(order).find((l) => file.startsWith(l));
  if (layer === undefined) return undefined;
  const rest = file.slice(layer.length);
  return { layer, folder: rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : '(root)' };
}

/**
 * Imports against the order of capability folders (docs/layer-order.json):
 * inside a layer, a folder imports only folders before it in the layer's
 * list. Also a file loose in a layer (it belongs to a capability folder, or
 * to the shared kernel) and a folder the order does not name.
 */
function orderViolations(graph: Graph, order: LayerOrder): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = placeOf(file, order);
    if (from === undefined) continue;
    const rank = order[from.layer]!;
    if (from.folder === '(root)') {
      out.push(`${file} is loose in ${from.layer}: put it in the capability folder it serves (or the layer's lowest folder, when all share it)`);
      continue;
    }
    if (!rank.includes(from.folder)) {
      out.push(`${from.layer}${from.folder}/ is not in docs/layer-order.json: add it to ${from.layer}'s list where its imports put it`);
      continue;
    }
    for (const target of targets) {
      const to = placeOf(target, order);
      if (to === undefined || to.layer !== from.layer || to.folder === from.folder || !rank.includes(to.folder)) continue;
      if (rank.indexOf(to.folder) > rank.indexOf(from.folder))
        out.push(
          `${file} imports ${target}: ${to.folder}/ stands above ${from.folder}/ in ${from.layer} (docs/layer-order.json); move the shared part down to the lowest folder that needs it, or call the other capability through one named entry above both`,
        );
    }
  }
  return [...new Set(out)];
}

describe('the import graph', () => {
  const { graph, packages, unresolved } = importGraph();

  it('reads every file and resolves every relative import', () => {
    expect(graph.size).toBeGreaterThan(250);
    expect([...graph.keys()].some((f) => f.startsWith('cli/commands/'))).toBe(true);
    expect(unresolved).toEqual([]);
    // lazy command loading is seen too: a command's definition imports its action
    expect(graph.get('cli/commands/status/command.ts')).toContain('cli/commands/status/action.ts');
  });

  it('has no import circle, type-only imports included', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('breaks no layering rule', () => {
    expect(layeringViolations(graph, packages)).toEqual([]);
  });

  it('keeps one direction inside each layer: a capability folder imports only folders before it in docs/layer-order.json', () => {
    expect(orderViolations(graph, readLayerOrder(ROOT))).toEqual([]);
  });

  it('the order names every capability folder of its layers, and only folders that exist', () => {
    const order = readLayerOrder(ROOT);
    for (const [layer, folders] of Object.entries(order)) {
      const onDisk = new Set([...graph.keys()].filter((f) => f.startsWith(layer)).map((f) => placeOf(f, order)!.folder));
      expect([...onDisk].filter((f) => !folders.includes(f)).sort(), layer).toEqual([]);
      expect(
        folders.filter((f) => !onDisk.has(f)),
        layer,
      ).toEqual([]);
      expect(new Set(folders).size, layer).toBe(folders.length);
    }
  });

  it('planted imports against the order are found; imports down the order are not (negative cases)', () => {
    const order = readLayerOrder(ROOT);
    const plant = (from: string, to: string) => orderViolations(new Map([[from, new Set([to])]]), order);
    // an arrow back up, in each layer
    expect(plant('lambdas/domain/rdb/format/value.ts', 'lambdas/domain/keys/glob.ts')).toHaveLength(1);
    expect(plant('lambdas/domain/plans/naming.ts', 'lambdas/domain/drills/select.ts')).toHaveLength(1);
    expect(plant('lambdas/jobs/scheduled/prune.ts', 'lambdas/jobs/on-demand/snapshot-now.ts')).toHaveLength(1);
    expect(plant('lambdas/jobs/kernel/clients.ts', 'lambdas/jobs/drills/restore.ts')).toHaveLength(1);
    expect(plant('lambdas/adapters/aws/s3/objects.ts', 'lambdas/adapters/storage/durable-file.ts')).toHaveLength(1);
    // a file loose in a layer, a folder the order does not name
    expect(plant('lambdas/jobs/deps.ts', 'lambdas/jobs/kernel/outcome.ts')).toHaveLength(1);
    expect(plant('lambdas/domain/newcap/x.ts', 'lambdas/domain/plans/types.ts')).toHaveLength(1);
    // allowed: down the order, inside a folder, across layers
    expect(plant('lambdas/domain/keys/shard-set.ts', 'lambdas/domain/points/export-objects.ts')).toEqual([]);
    expect(plant('lambdas/domain/drills/select.ts', 'lambdas/domain/drills/drill.ts')).toEqual([]);
    expect(plant('lambdas/jobs/kernel/clients.ts', 'lambdas/adapters/aws/s3/client.ts')).toEqual([]);
    expect(plant('lambdas/adapters/storage/object-store-s3.ts', 'lambdas/adapters/aws/s3/objects.ts')).toEqual([]);
    // the planted arrow is found in the whole graph too
    const planted: Graph = new Map([...graph].map(([k, v]) => [k, new Set(v)]));
    planted.get('lambdas/domain/rdb/format/value.ts')!.add('lambdas/domain/keys/glob.ts');
    expect(orderViolations(planted, order)).toHaveLength(orderViolations(graph, order).length + 1);
  });

  it('keeps the CLI thin: no cli/ file imports an adapter or the AWS SDK, no command imports another command (files not yet clean: PENDING_CLI)', () => {
    expect(cliViolations(graph, packages).filter((v) => !PENDING_CLI.has(v.split(' ')[0]!))).toEqual([]);
  });

  it('keeps no cli/ file that only re-exports another module (importers name the real one)', () => {
    expect(cliReexportFiles(graph.keys(), (f) => readFileSync(join(ROOT, f), 'utf8'))).toEqual([]);
  });

  it('a planted re-export-only cli/ file is found; a file that also declares something is not (negative cases)', () => {
    const planted = new Map([
      ['cli/usage.ts', "/** UsageError under a cli/ name. */\nexport { UsageError } from '../lambdas/jobs/kernel/usage-error.js';\n"],
      ['cli/commands/compare/format.ts', "export * from '../../compare-report.js';\nexport type { X } from './x.js';\n"],
      ['cli/aws.ts', "export { awsProblem } from '../lambdas/jobs/kernel/clients.js';\nexport async function runAwsCommand(): Promise<void> {}\n"],
      ['lambdas/jobs/keys/index.ts', "export * from './migrate.js';\n"],
      ['cli/empty.ts', '// nothing yet\n'],
    ]);
    expect(cliReexportFiles(planted.keys(), (f) => planted.get(f)!)).toEqual([
      'cli/usage.ts only re-exports: import the real module and delete it',
      'cli/commands/compare/format.ts only re-exports: import the real module and delete it',
    ]);
  });

  it('PENDING_CLI only shrinks: every file it lists still breaks a CLI rule and exists', () => {
    const breaking = new Set(cliViolations(graph, packages).map((v) => v.split(' ')[0]!));
    expect([...PENDING_CLI].filter((f) => !breaking.has(f))).toEqual([]);
  });

  it('planted CLI violations are found, one per rule (negative cases)', () => {
    const plant = (from: string, to: string, pkgs: string[] = []) =>
      cliViolations(new Map([[from, new Set(to ? [to] : [])]]), new Map([[from, new Set(pkgs)]]));
    expect(plant('cli/commands/prune/action.ts', 'lambdas/adapters/aws/s3/objects.ts')).toHaveLength(1);
    expect(plant('cli/aws.ts', 'lambdas/adapters/aws/errors.ts')).toHaveLength(1);
    expect(plant('cli/commands/prune/action.ts', '', ['@aws-sdk/client-s3'])).toHaveLength(1);
    expect(plant('cli/commands/prune/action.ts', 'cli/commands/retention/plan-action.ts')).toHaveLength(1);
    // allowed: jobs, the domain, cli/ root, the command's own folder, other packages
    expect(plant('cli/commands/prune/action.ts', 'lambdas/jobs/scheduled/prune-dry-run.ts')).toEqual([]);
    expect(plant('cli/commands/prune/action.ts', 'cli/retention-table.ts')).toEqual([]);
    expect(plant('cli/commands/restore/action.ts', 'cli/commands/restore/list-action.ts')).toEqual([]);
    expect(plant('cli/program.ts', 'cli/commands/prune/command.ts', ['commander'])).toEqual([]);
    // the pending list hides a listed file only: a planted import in any other file is reported
    const planted: Graph = new Map([...graph].map(([k, v]) => [k, new Set(v)]));
    planted.get('cli/commands/prune/action.ts')!.add('lambdas/adapters/aws/s3/objects.ts');
    expect(cliViolations(planted, packages).filter((v) => !PENDING_CLI.has(v.split(' ')[0]!))).toHaveLength(1);
  });

  it('a planted circle is found (negative case)', () => {
    const planted: Graph = new Map([...graph].map(([k, v]) => [k, new Set(v)]));
    // resp-pipe imports connection; make connection import resp-pipe back
    planted.get('lambdas/adapters/redis/connection.ts')!.add('lambdas/adapters/redis/resp-pipe.ts');
    expect(planted.get('lambdas/adapters/redis/resp-pipe.ts')).toContain('lambdas/adapters/redis/connection.ts');
    expect(circles(planted)).toContainEqual(['lambdas/adapters/redis/connection.ts', 'lambdas/adapters/redis/resp-pipe.ts']);
    expect(circles(planted)).toHaveLength(circles(graph).length + 1);
    expect(circles(new Map([['a.ts', new Set(['a.ts'])]]))).toEqual([['a.ts']]);
  });

  it('planted layering violations are found, one per rule (negative cases)', () => {
    const plant = (from: string, to: string) => layeringViolations(new Map([[from, new Set([to])]]), new Map());
    expect(plant('lambdas/domain/plans/retention.ts', 'lambdas/adapters/aws/s3/objects.ts')).toHaveLength(1);
    expect(plant('lambdas/adapters/aws/s3/objects.ts', 'lambdas/jobs/scheduled/prune.ts')).toHaveLength(1);
    expect(plant('lambdas/jobs/scheduled/prune.ts', 'cli/commands/prune/action.ts')).toHaveLength(1);
    expect(plant('lib/app.ts', 'lambdas/jobs/scheduled/prune.ts')).toHaveLength(1);
    expect(plant('lib/app.ts', 'lambdas/adapters/aws/s3/objects.ts')).toHaveLength(1);
    expect(plant('bench/migrate/cluster.ts', 'cli/commands/migrate/action.ts')).toHaveLength(1);
    expect(plant('demo/run.ts', 'cli/aws.ts')).toHaveLength(1);
    expect(plant('lambdas/handlers/prune.ts', 'cli/aws.ts')).toHaveLength(1);
    expect(
      layeringViolations(new Map([['lambdas/domain/plans/retention.ts', new Set()]]), new Map([['lambdas/domain/plans/retention.ts', new Set(['node:fs'])]])),
    ).toHaveLength(1);
    // allowed: jobs use adapters and the domain; the CLI uses everything
    expect(plant('lambdas/jobs/scheduled/prune.ts', 'lambdas/adapters/aws/s3/objects.ts')).toEqual([]);
    expect(plant('cli/commands/prune/action.ts', 'lambdas/jobs/scheduled/prune.ts')).toEqual([]);
  });
});

// The files the rules name exist: a rule about a folder that moved away would pass forever.
describe('the rules name real folders', () => {
  it.each(RULES.map((r) => r.from))('%s exists', (folder) => {
    expect(existsSync(join(ROOT, folder)), dirname(folder)).toBe(true);
  });
});
