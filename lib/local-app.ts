import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';

/** Options of {@link localApp}. */
export interface LocalAppOptions {
  /**
   * The CDK's built-in CloudFormation template validation (a WebAssembly
   * rule engine; about 4 s for both stacks on 2 cores). `npx cdk synth` and
   * the tests run it; the demo, which only executes a state machine of the
   * templates, leaves it out. cdk-nag runs either way (addRedisDrStacks).
   * @default true
   */
  readonly cloudFormationValidation?: boolean;
}

/**
 * An App that synthesizes into `outdir` with the feature flags of
 * `npx cdk synth` (cdk.json's context) but without bundling the Lambda code:
 * the templates are the same but for asset hashes. For synthesizing on this
 * machine without the CDK CLI (tests, `npm run demo`).
 */
export function localApp(outdir: string, options: LocalAppOptions = {}): App {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return new App({
    outdir,
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
  });
}
