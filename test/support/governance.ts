import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContextBeta1, Stack } from 'aws-cdk-lib';
import { NIST80053R5Checks } from 'cdk-nag';
import { guardKey, keptGuardRun } from './cfn-guard-kept.js';

/** A Control Tower proactive control that failed on one resource. */
export interface ControlTowerFinding {
  /** The control, e.g. `CT.CLOUDWATCH.PR.2`. */
  readonly control: string;
  /** Template file name, e.g. `RedisDr-example-Primary.template.json`. */
  readonly template: string;
  /** Logical id of the resource. */
  readonly logicalId: string;
}

/** The version of @cdklabs/cdk-validator-cfnguard, whose code runs cfn-guard and parses its report. */
const PLUGIN_VERSION = (JSON.parse(readFileSync(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'), 'utf8')) as { version: string }).version;

/** The Control Tower rules @cdklabs/cdk-validator-cfnguard ships (cfn-guard files, one control each). */
const RULES_DIR = join(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'), '..', 'rules', 'control-tower', 'cfn-guard');

/** A Control Tower rule file: its name (`ct-s3-pr-2`), path, the resource types it reports on and every type it reads. */
interface RuleFile {
  readonly name: string;
  readonly path: string;
  /** The types of its header's `Reports on:`: a rule none of whose types a template has cannot fail. */
  readonly types: readonly string[];
  /**
   * Every resource type its text names (the reported ones, and those it looks up from them: the KMS key of a log
   * group, the subnets of a function): the only resources of a template it can select.
   */
  readonly reads: ReadonlySet<string>;
}

const TYPE = /AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g;

/** The Control Tower rule files the plugin ships. */
function ruleFiles(): RuleFile[] {
  return readdirSync(RULES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.guard'))
    .map((f) => {
      const path = join(RULES_DIR, f);
      const text = readFileSync(path, 'utf8');
      const section = /^# Reports on:\n((?:#[^\n]*AWS::[^\n]*\n)+)/m.exec(text)?.[1];
      if (!section) throw new Error(`${f}: no "Reports on:" section to tell which resources the control checks`);
      const types = section.match(TYPE) ?? [];
      // Case-blind: a header may spell a type otherwise than the body (ct-autoscaling-pr-6: AutoscalingGroup).
      return { name: basename(f, '.guard'), path, types, reads: new Set([...types, ...(text.match(TYPE) ?? [])].map((t) => t.toLowerCase())) };
    });
}

/** A template as written, its resources by logical id. */
interface TemplateJson {
  readonly Resources: Record<string, { readonly Type: string }>;
  readonly [section: string]: unknown;
}

/** `kept: false`: cfn-guard runs whatever this process or an earlier run found for the same templates. */
export interface KeptOption {
  readonly kept?: boolean;
}

/** Runs of this process by template files: cfn-guard once per synth. */
const runs = new Map<string, readonly ControlTowerFinding[]>();

/**
 * Every Control Tower proactive control's findings on the templates, through
 * the validator plugin itself (its cfn-guard binary and result parsing).
 *
 * One cfn-guard run per service's rule files that report on a type the templates have (the others cannot fail), each
 * given the templates with only the resources of the types those rules name whole: each rule walks every resource it
 * is given (measured on the example's two templates, CPU-s under load: 11.6 for one run over the whole templates, 8.0
 * cut so, the same 80 findings). A rule selects resources by their type, so a resource of a type it does not name is
 * never its finding: it keeps its logical id and type (a rule may look a reference up), not its properties. Every
 * other section (Parameters, Conditions) is kept, and so are the named resources' Metadata (a rule's suppressions).
 * The cut templates keep their file names, so a finding names its template as the whole-template run does.
 */
export function controlTowerFindings(templateFiles: readonly string[], options: KeptOption = {}): readonly ControlTowerFinding[] {
  const key = JSON.stringify(templateFiles);
  const cached = options.kept === false ? undefined : runs.get(key);
  if (cached) return cached;
  const templates = templateFiles.map((f) => ({ file: f, json: JSON.parse(readFileSync(f, 'utf8')) as TemplateJson }));
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-ct-'));
  try {
    // By service (the rules' folders: cloudwatch, s3, lambda…): its rules read the same few types, and a run costs a
    // cfn-guard start (about 0.1 CPU-s) besides the bytes it walks.
    const services = new Map<string, RuleFile[]>();
    for (const r of reportingRules(templates)) services.set(basename(dirname(r.path)), [...(services.get(basename(dirname(r.path))) ?? []), r]);
    const findings = [...services].flatMap(([service, rules]) => ruleFindings(rules, templates, join(dir, service), options));
    if (options.kept !== false) runs.set(key, findings);
    return findings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * {@link controlTowerFindings} the plain way: the same rules in one cfn-guard run over the whole templates. Slower by
 * far; test/support/governance.test.ts holds the two equal.
 */
export function wholeTemplateFindings(templateFiles: readonly string[], options: KeptOption = {}): readonly ControlTowerFinding[] {
  const templates = templateFiles.map((f) => ({ file: f, json: JSON.parse(readFileSync(f, 'utf8')) as TemplateJson }));
  return guardFindings(
    reportingRules(templates).map((r) => r.path),
    templateFiles,
    options,
  );
}

/** The rule files that report on a type the templates have (the others cannot fail). */
function reportingRules(templates: readonly { json: TemplateJson }[]): RuleFile[] {
  const present = new Set(templates.flatMap((t) => Object.values(t.json.Resources).map((r) => String(r.Type).toLowerCase())));
  return ruleFiles().filter((r) => r.types.some((t) => present.has(t.toLowerCase())));
}

/** The rule files' findings on the templates cut to the types they read, written into `dir` under their own names. */
function ruleFindings(
  rules: readonly RuleFile[],
  templates: readonly { file: string; json: TemplateJson }[],
  dir: string,
  options: KeptOption,
): readonly ControlTowerFinding[] {
  mkdirSync(dir);
  const reads = new Set(rules.flatMap((r) => [...r.reads]));
  const templatePaths = templates.map(({ file, json }) => {
    // A resource of a type no rule names stays, as its type alone: a rule may look a reference up (a permission's
    // SourceArn must name a resource of the stack) and check that it exists or of which type it is.
    const resources = Object.entries(json.Resources).map(([id, r]) => [id, reads.has(String(r.Type).toLowerCase()) ? r : { Type: r.Type }]);
    const path = join(dir, basename(file));
    writeFileSync(path, JSON.stringify({ ...json, Resources: Object.fromEntries(resources) }));
    return path;
  });
  return guardFindings(
    rules.map((r) => r.path),
    templatePaths,
    options,
  );
}

/**
 * {@link guardRun}'s findings, kept between runs by the binary, the rule files, the templates (test/support/cfn-guard-kept.ts)
 * and guardRun's own source: a run whose templates are unchanged runs no cfn-guard. Each run was a cfn-guard process of
 * about 0.1-1.6 CPU-s; the suite's (governed-accounts, drill-account-stack, org-members, page-integrations) about 7 CPU-s
 * a run, the same findings every time. A template or rule that changed is a new key: its findings are cfn-guard's.
 * `kept: false` runs it whatever is kept (test/support/governance.test.ts holds the two equal).
 */
function guardFindings(rules: readonly string[], templatePaths: readonly string[], options: KeptOption): readonly ControlTowerFinding[] {
  if (options.kept === false) return guardRun(rules, templatePaths);
  const validator = new CfnGuardValidator({ controlTowerRulesEnabled: false });
  const binary = (validator as unknown as { readonly guard: string }).guard;
  // The plugin's version too: its own code reads the binary's report (guardRun reads the plugin's violations).
  const code = [PLUGIN_VERSION, guardRun.toString()].join('\n');
  return keptGuardRun(guardKey({ binary, code }, rules, templatePaths), () => guardRun(rules, templatePaths));
}

/** The validator plugin's findings of the rule files on the templates: each failing resource with its control. */
function guardRun(rules: readonly string[], templatePaths: readonly string[]): ControlTowerFinding[] {
  const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [...rules], maxBuffer: 64 * 1024 * 1024 }).validate({
    templatePaths: [...templatePaths],
  } as IPolicyValidationContextBeta1);
  return report.violations.flatMap((v) => {
    const control = /\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(v.description ?? '')?.[1];
    if (!control) throw new Error(`a Control Tower finding without a control id: ${v.ruleName}: ${v.description}`);
    // The plugin also reports the rule's own clause once per template, without a resource: the resources carry it.
    return v.violatingResources
      .filter((r) => r.resourceLogicalId !== undefined)
      .map((r) => ({ control, template: basename(r.templatePath), logicalId: r.resourceLogicalId }));
  });
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
