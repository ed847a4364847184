/**
 * Prebuilds every Lambda handler for the package (`npm run bundle:handlers`,
 * part of prepack): `dist/lambda-bundles/<name>/index.js` and its source map,
 * which the compiled construct library deploys when the TypeScript sources
 * are not there (a team's app with `redis-dr/cdk` installed).
 *
 * The bundles are made by the CDK's own NodejsFunction bundling with the
 * props a synth in this repository uses (`handlerFromSource`): the same
 * esbuild command, so the same code as `npx cdk synth` deploys.
 *
 * Usage: tsx scripts/bundle-handlers.ts [outdir]   (default dist/lambda-bundles)
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { HANDLERS, handlerFromSource } from '../lib/constructs/job-function.js';

const outdir = resolve(process.argv[2] ?? join(__dirname, '..', 'dist', 'lambda-bundles'));
const assembly = mkdtempSync(join(tmpdir(), 'redis-dr-bundles-'));
try {
  const stack = new Stack(new App({ outdir: assembly }), 'Bundles');
  rmSync(outdir, { recursive: true, force: true });
  for (const handler of HANDLERS) {
    const fn = new NodejsFunction(stack, handler, handlerFromSource(handler));
    // Bundling ran when the function was constructed; its staged output is the asset's folder.
    const asset = fn.node.findChild('Code') as Asset;
    const staged = join(assembly, asset.assetPath);
    if (!existsSync(join(staged, 'index.js'))) throw new Error(`bundling ${handler} wrote no index.js in ${staged}`);
    cpSync(staged, join(outdir, handler), { recursive: true });
  }
  process.stdout.write(`wrote ${HANDLERS.length} handler bundles to ${outdir}\n`);
} finally {
  rmSync(assembly, { recursive: true, force: true });
}
