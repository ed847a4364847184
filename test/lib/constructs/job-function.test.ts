import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { ESBUILD_RANGE, findEsbuild, HANDLER_BUNDLING, HANDLERS, handlerCode, SPLIT_WORKER_BUNDLE } from '../../../lib/constructs/job-function.js';
import { stringsRdb } from '../../support/rdb-strings.js';
import { bundledWorkerPart } from '../../support/split-worker.js';

const ROOT = join(__dirname, '..', '..', '..');

describe('JobFunction code: bundled at synth from source in the repository, from the compiled handler in the package', () => {
  const dirs: string[] = [];
  const tempRoot = () => {
    const d = mkdtempSync(join(tmpdir(), 'redis-dr-root-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('lists every handler in lambdas/handlers (tsconfig.lib.json compiles exactly these for the package)', () => {
    const handlers = readdirSync(join(ROOT, 'lambdas', 'handlers'))
      .filter((f) => f.endsWith('.ts') && /export (const|async function|function) handler\b/.test(readFileSync(join(ROOT, 'lambdas', 'handlers', f), 'utf8')))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect([...HANDLERS]).toEqual(handlers);
  });

  it('bundles from the source where the source is, with the one set of bundling options', () => {
    const props = handlerCode('snapshot');
    expect(props.entry).toBe(join(ROOT, 'lambdas', 'handlers', 'snapshot.ts'));
    expect(props.code).toBeUndefined();
    expect(props.bundling).toBe(HANDLER_BUNDLING);
  });

  it('bundles the compiled handler where there is no source (an installed package), with the same options, from the app’s own root', () => {
    const root = tempRoot();
    mkdirSync(join(root, 'lambdas', 'handlers'), { recursive: true });
    writeFileSync(join(root, 'lambdas', 'handlers', 'snapshot.js'), 'exports.handler = async () => ({ ok: true });\n');
    const props = handlerCode('snapshot', root, () => 'esbuild');
    expect(props.entry).toBe(join(root, 'lambdas', 'handlers', 'snapshot.js'));
    expect(props.bundling).toBe(HANDLER_BUNDLING);
    // NodejsFunction finds the app's lock file and runs esbuild there, as for the app's own functions.
    expect(props.depsLockFilePath).toBeUndefined();
    expect(props.projectRoot).toBeUndefined();
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    // The app: its own lock file at its root, esbuild in its node_modules (NodejsFunction runs `npx --no-install esbuild` there).
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {}}\n');
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    new NodejsFunction(stack, 'F', { ...props, depsLockFilePath: join(root, 'package-lock.json') });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it("verify-rdb's asset carries the split worker beside index.js, the bundle's banner names it, and the bundled worker verifies a part", async () => {
    const outdir = tempRoot();
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    new NodejsFunction(new Stack(app, 'S'), 'F', handlerCode('verify-rdb'));
    const assembly = app.synth();
    const asset = readdirSync(assembly.directory)
      .map((d) => join(assembly.directory, d))
      .find((d) => d.includes('asset.') && readdirSync(d).includes('index.js'))!;
    expect(readdirSync(asset)).toContain(SPLIT_WORKER_BUNDLE);
    expect(readFileSync(join(asset, 'index.js'), 'utf8')).toMatch(
      /globalThis\.__redisDrSplitWorker=require\("node:path"\)\.join\(__dirname,"rdb-split-worker\.js"\)/,
    );
    // The bundled worker, started as the job starts it and fed a real file's second half, hands back its part.
    const bytes = new Uint8Array(stringsRdb(2_000, 3));
    const outcome = await bundledWorkerPart(join(asset, SPLIT_WORKER_BUNDLE), bytes, { requireChecksum: true, pieceBytes: 65_536 });
    expect(outcome).toMatchObject({ type: 'done', segment: { total: bytes.length, checksum: 'absent' } });
    if (outcome.type === 'done') expect(outcome.segment.keys).toBeGreaterThan(900);
  });

  it('names the fix when the compiled handler is there but no esbuild (the CDK would otherwise bundle in Docker)', () => {
    const root = tempRoot();
    mkdirSync(join(root, 'lambdas', 'handlers'), { recursive: true });
    writeFileSync(join(root, 'lambdas', 'handlers', 'prune.js'), 'exports.handler = async () => ({});\n');
    expect(() => handlerCode('prune', root, () => undefined)).toThrow(
      `redis-dr: bundling the Lambda handlers at synth needs esbuild beside aws-cdk-lib, and none was found: npm install --save-dev esbuild@${ESBUILD_RANGE} (without it the CDK would bundle in Docker)`,
    );
  });

  it('finds esbuild where the CDK does: beside aws-cdk-lib', () => {
    expect(realpathSync(findEsbuild()!)).toBe(realpathSync(join(ROOT, 'node_modules', 'esbuild', 'package.json')));
  });

  it('names both places and the fix when neither the source nor the compiled handler is there', () => {
    const root = tempRoot();
    expect(() => handlerCode('prune', root, () => 'esbuild')).toThrow(
      `redis-dr: the Lambda handler ${join(root, 'lambdas', 'handlers', 'prune.js')} is missing and its source ${join(root, 'lambdas', 'handlers', 'prune.ts')} is not there to bundle: install redis-dr from a packed release (npm pack runs prepack, which compiles the handlers), or run \`npm run build:lib\` in a checkout`,
    );
  });
});
