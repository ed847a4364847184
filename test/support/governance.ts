import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContextBeta1, Stack } from 'aws-cdk-lib';
import { NIST80053R5Checks } from 'cdk-nag';

/** A Control Tower proactive control that failed on one resource. */
export interface ControlTowerFinding {
  /** The control, e.g. `CT.CLOUDWATCH.PR.2`. */
  readonly control: string;
  /** Template file name, e.g. `RedisDr-example-Primary.template.json`. */
  readonly template: string;
  /** Logical id of the resource. */
  readonly logicalId: string;
}

/** The Control Tower rules @cdklabs/cdk-validator-cfnguard ships (cfn-guard files, one control each). */
const RULES_DIR = join(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'), '..', 'rules', 'control-tower', 'cfn-guard');

/** Each rule file's name (`ct-s3-pr-2`) and the resource types it reports on (its header's `Reports on:`). */
function ruleFiles(): { name: string; types: string[] }[] {
  return readdirSync(RULES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.guard'))
    .map((f) => {
      const section = /^# Reports on:\n((?:#[^\n]*AWS::[^\n]*\n)+)/m.exec(readFileSync(join(RULES_DIR, f), 'utf8'))?.[1];
      if (!section) throw new Error(`${f}: no "Reports on:" section to tell which resources the control checks`);
      return { name: basename(f, '.guard'), types: section.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? [] };
    });
}

/** Runs of this process by template files: cfn-guard once per synth. */
const runs = new Map<string, readonly ControlTowerFinding[]>();

/**
 * Every Control Tower proactive control's findings on the templates, through
 * the validator plugin itself (its cfn-guard binary and result parsing).
 * Controls that report on none of the templates' resource types are left out
 * (disabled): they cannot fail, and cfn-guard parses every rule it is given
 * (all 500-odd: about 9 s of CPU for two templates; these, a few dozen: about 1 s).
 */
export function controlTowerFindings(templateFiles: readonly string[]): readonly ControlTowerFinding[] {
  const key = JSON.stringify(templateFiles);
  const cached = runs.get(key);
  if (cached) return cached;
  const present = new Set(
    templateFiles.flatMap((f) =>
      Object.values((JSON.parse(readFileSync(f, 'utf8')) as { Resources: Record<string, { Type: string }> }).Resources).map((r) => r.Type),
    ),
  );
  const disabledRules = ruleFiles()
    .filter((r) => !r.types.some((t) => present.has(t)))
    .map((r) => r.name);
  const report = new CfnGuardValidator({ disabledRules, maxBuffer: 64 * 1024 * 1024 }).validate({
    templatePaths: [...templateFiles],
  } as IPolicyValidationContextBeta1);
  const findings = report.violations.flatMap((v) => {
    const control = /\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(v.description ?? '')?.[1];
    if (!control) throw new Error(`a Control Tower finding without a control id: ${v.ruleName}: ${v.description}`);
    // The plugin also reports the rule's own clause once per template, without a resource: the resources carry it.
    return v.violatingResources
      .filter((r) => r.resourceLogicalId !== undefined)
      .map((r) => ({ control, template: basename(r.templatePath), logicalId: r.resourceLogicalId }));
  });
  runs.set(key, findings);
  return findings;
}

/** A NIST 800-53 rev 5 finding of cdk-nag that no acknowledgement covers. */
export interface NistFinding {
  /** The rule, e.g. `NIST.800.53.R5-LambdaInsideVPC`. */
  readonly rule: string;
  /** Construct path of the resource. */
  readonly path: string;
}

/** cdk-nag's NIST 800-53 rev 5 pack on the stacks, acknowledgements applied (what a team adding it to its app would see). */
export function nistFindings(stacks: readonly Stack[]): NistFinding[] {
  return stacks.flatMap((stack) =>
    new NIST80053R5Checks()
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' }))),
  );
}
