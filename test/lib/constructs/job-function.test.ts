import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLER_BUNDLING, HANDLERS, handlerCode } from '../../../lib/constructs/job-function.js';

const ROOT = join(__dirname, '..', '..', '..');

describe('JobFunction code: from source in the repository, prebuilt in the package', () => {
  const dirs: string[] = [];
  const tempRoot = () => {
    const d = mkdtempSync(join(tmpdir(), 'redis-dr-root-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('lists every handler in lambdas/handlers (the bundle script prebuilds exactly these)', () => {
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

  it('deploys the prebuilt bundle where there is no source (an installed package), as index.handler on the same runtime', () => {
    const root = tempRoot();
    mkdirSync(join(root, 'lambda-bundles', 'snapshot'), { recursive: true });
    writeFileSync(join(root, 'lambda-bundles', 'snapshot', 'index.js'), 'exports.handler = async () => ({});\n');
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    new NodejsFunction(stack, 'F', handlerCode('snapshot', root));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    // The same handler string a bundle from source gets (NodejsFunction prefixes index.).
    expect(handlerCode('snapshot', root).bundling).toBeUndefined();
  });

  it('names both places and the fix when neither the source nor the bundle is there', () => {
    const root = tempRoot();
    expect(() => handlerCode('prune', root)).toThrow(
      `redis-dr: the Lambda bundle ${join(root, 'lambda-bundles', 'prune', 'index.js')} is missing and the handler's source ${join(root, 'lambdas', 'handlers', 'prune.ts')} is not there to bundle: install redis-dr from a packed release (npm pack runs prepack, which writes the bundles), or run \`npm run bundle:handlers\` in a built checkout`,
    );
  });
});
