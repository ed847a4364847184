import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackResources } from '../../domain/cost/estimate.js';

/** What `manifest.json` of a cloud assembly (`cdk.out`) says of its stacks, as far as read here. */
interface Manifest {
  readonly artifacts?: Record<string, { readonly type?: string; readonly environment?: string; readonly properties?: { readonly templateFile?: string } }>;
}

/**
 * The stacks of a synthesized cloud assembly (`npx cdk synth` writes
 * `cdk.out/`): each one's name, region and template resources, read from its
 * `manifest.json` and template files (plain JSON: no aws-cdk-lib needed).
 * Undefined when `dir` holds no assembly.
 */
export async function readAssemblyStacks(dir: string): Promise<StackResources[] | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  const stacks: StackResources[] = [];
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(await readFile(join(dir, artifact.properties.templateFile), 'utf8')) as { Resources?: StackResources['resources'] };
    // aws://<account>/<region>
    const region = artifact.environment?.split('/').at(-1) ?? 'unknown-region';
    stacks.push({ stack: name, region, resources: template.Resources ?? {} });
  }
  return stacks;
}
