/**
 * What a synth built, in a few lines per stack: plans, schedules, state
 * machines, functions, alarms, buckets, and whether cdk-nag is clean —
 * printed by `bin/app.ts` after every successful synth, plus what the user
 * must still do (what each network must provide; after the deploy, confirm the
 * alert subscriptions). Warnings are annotations (lib/annotations.ts), which
 * cdk prints once each with the id that acknowledges them: the summary names
 * their ids, not their text again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { type StackSelection, stackNames } from './app.js';
import type { RedisDrConfig } from './config/index.js';
import { ALERT_TOPIC_OUTPUT } from './constructs/alert-topic.js';
import { VERIFY_CONCURRENCY } from './constructs/dr-copies.js';
import { drNamesVpc, drillAccountStackName, networkPrerequisites, recoveryBucketName, vaultStackName } from './deployment.js';
import { elastiCacheBucketAccessRoute } from './constructs/elasticache-s3-access.js';
import { ACL_RESET_WHY, aclResetCommand } from '../lambdas/domain/doctor/acl-reset.js';
import { costSummaryLine } from '../lambdas/domain/cost/format.js';
import type { StackResources } from '../lambdas/domain/cost/estimate.js';
import { deploymentCost } from './cost.js';

type Template = { Resources?: StackResources['resources'] };

/** Counts of what one stack template contains. */
export interface StackSummary {
  readonly stack: string;
  readonly region: string;
  readonly schedules: number;
  readonly stateMachines: number;
  readonly functions: number;
  readonly alarms: number;
  readonly buckets: number;
}

/** Counts resources of one template. */
export function summarizeTemplate(stack: string, region: string, template: Template): StackSummary {
  const count = (type: string) => Object.values(template.Resources ?? {}).filter((r) => r.Type === type).length;
  return {
    stack,
    region,
    schedules: count('AWS::Scheduler::Schedule'),
    stateMachines: count('AWS::StepFunctions::StateMachine'),
    functions: count('AWS::Lambda::Function'),
    alarms: count('AWS::CloudWatch::Alarm'),
    buckets: count('AWS::S3::Bucket'),
  };
}

/** What a synth was asked for (bin/app.ts): its stacks and the config file's path. */
export interface SynthSummaryOptions {
  /**
   * The workload stacks (Primary, DR) or the vault account's stack alone (`-c stacks=vault`).
   * @default 'workload'
   */
  readonly stacks?: StackSelection;
  /**
   * The config file, for the commands printed.
   * @default '<this config>'
   */
  readonly configFile?: string;
  /**
   * The ids of the warnings the synth annotated (lib/annotations.ts). cdk prints each of them once, with the id that
   * acknowledges it; the summary names them in one line instead of printing their text a second time.
   * @default none
   */
  readonly warnings?: readonly string[];
}

/** The summary text: one header, one line per stack, cdk-nag's verdict, what to replace. */
export function synthSummary(
  config: RedisDrConfig,
  stacks: readonly StackSummary[],
  nagFindings: number | undefined,
  options: SynthSummaryOptions = {},
): string {
  const selection = options.stacks ?? 'workload';
  const plans = config.plans
    .map(
      (p) =>
        `${p.name} (${[p.export.enabled ? 'export' : '', p.drill.enabled ? `drills: ${p.drill.where}${p.drill.account ? ` (from the vault, in drill account ${p.drill.account})` : ''}` : '', p.probe.enabled ? 'probe' : ''].filter(Boolean).join(', ') || 'snapshots only'})`,
    )
    .join(', ');
  const lines = [`redis-dr ${config.name}: ${config.plans.length} plan(s): ${plans}`];
  // The first line, so nobody mistakes a learning synth for a deployable one.
  if (config.example)
    lines.unshift(`redis-dr ${config.name}: EXAMPLE config ("example": true): synthesized for learning only; cdk deploy of these stacks fails by design`);
  for (const s of stacks) {
    lines.push(
      `  ${s.stack} (${s.region}): ${s.schedules} schedules, ${s.stateMachines} state machine(s), ${s.functions} functions, ${s.alarms} alarms, ${s.buckets} buckets`,
    );
  }
  lines.push(
    nagFindings === undefined
      ? '  cdk-nag: no report found'
      : nagFindings === 0
        ? '  cdk-nag: clean (AwsSolutions, RedisDr)'
        : `  cdk-nag: ${nagFindings} finding(s): see validation-report.json`,
  );
  // What the synth annotated as a warning (the blind tripwire, the self-ingress check, placeholders) cdk prints itself, once,
  // with its id: here only the count and the ids, not the text a second time.
  if (selection === 'workload') lines.push(...networkLines(config).filter((l) => !l.includes('cannot be inspected at synth')));
  lines.push(...verifyConcurrencyLines(config, selection));
  if (selection === 'workload') lines.push(...bucketAccessUpgradeLines(config));
  if (selection !== 'drill') lines.push(...vaultLines(config, selection, options.configFile));
  lines.push(...drillAccountLines(config, selection, options.configFile));
  const warnings = [...new Set(options.warnings ?? [])].sort();
  if (warnings.length > 0) {
    lines.push(`  ${options.warnings!.length} warning(s), printed by cdk below, each once with the id that acknowledges it: ${warnings.join(', ')}`);
  }
  lines.push(...subscriptionLines(config, selection));
  return `${lines.join('\n')}\n`;
}

/**
 * What each VPC must provide, which synth cannot see: a security group's
 * rules and a subnet's routes are not in the config, and synth makes no AWS
 * call, so these are stated for the operator to check (with the command).
 */
export function networkLines(config: RedisDrConfig): string[] {
  return networkPrerequisites(config).flatMap(({ field, where, network, users, selfIngressPorts }) => {
    const region = where === 'primary' ? config.primary.region : config.dr.region;
    if ('fromSsm' in network) {
      // Ids read at deploy time, in each account: the parameter names are what synth knows (docs/org.md).
      const names = network.fromSsm;
      // The DR stack reads the VPC id only for a serverless drill's endpoint grant (drNamesVpc).
      const vpc = where === 'primary' || drNamesVpc(config.plans) ? `${names.vpcId} (VPC), ` : '';
      const lines = [
        `  ${field} (${region}; ${users.join(', ')}): from SSM parameters ${vpc}${names.subnetIds} (subnets), ${names.securityGroupIds} (security groups), ${names.subnetGroupName} (cache subnet group), resolved by CloudFormation in each account; the subnets need a NAT route to Secrets Manager`,
      ];
      if (selfIngressPorts !== 'none')
        lines.push(
          `  ${field}: the security group(s) in ${names.securityGroupIds} cannot be inspected at synth: each must admit itself on ${selfIngressPorts} (drill clusters share it); ` +
            `check in each account: aws ssm get-parameter --region ${region} --name ${names.securityGroupIds}`,
        );
      return lines;
    }
    const groups = network.securityGroupIds.join(',');
    const route = network.secretsManagerEndpoint
      ? 'a Secrets Manager interface endpoint is created (network.secretsManagerEndpoint); the groups must allow outbound tcp 443 to it'
      : `the subnets need a NAT route to Secrets Manager, or set ${field}.secretsManagerEndpoint`;
    const lines = [`  ${field} (${region}; ${users.join(', ')}): ${route}`];
    if (selfIngressPorts !== 'none') {
      lines.push(
        `  ${field}: security group(s) ${groups} cannot be inspected at synth: each must admit itself on ${selfIngressPorts} (drill clusters share it); ` +
          `check: aws ec2 describe-security-group-rules --region ${region} --filters Name=group-id,Values=${groups}`,
      );
    }
    return lines;
  });
}

/**
 * The step before deploying the bucket-policy route where the ACL route is
 * the default (a region ElastiCache has a canonical user for): a deployment
 * that used the ACL route there must reset each bucket's ACL first, or the
 * update rolls back (lambdas/domain/doctor/acl-reset.ts says why). Said for
 * every such bucket, with its command; the synth cannot see what is deployed.
 */
export function bucketAccessUpgradeLines(config: RedisDrConfig): string[] {
  if (config.dr.elastiCacheBucketAccess !== 'bucket-policy') return [];
  const account = config.primary.account ?? config.dr.account ?? '<account>';
  const buckets = [config.primary.region, config.dr.region]
    .filter((region) => elastiCacheBucketAccessRoute(region) === 'acl')
    .map((region) => ({ region, bucket: recoveryBucketName(config.name, account, region) }));
  if (buckets.length === 0) return [];
  return [
    `  dr.elastiCacheBucketAccess "bucket-policy": a deployment that used the ACL route (the default in ${buckets.map((b) => b.region).join(' and ')}) resets each bucket's ACL before this deploy (${ACL_RESET_WHY}):`,
    ...buckets.map((b) => `    ${aclResetCommand(b.bucket, b.region)}`),
  ];
}

/**
 * The verifier's reserved concurrency, which the deploy takes from the
 * account's Lambda pool: Lambda refuses a reservation that leaves fewer than
 * 100 unreserved, and new accounts start with a lower quota, so the line says
 * what the account needs and the way out.
 */
export function verifyConcurrencyLines(config: RedisDrConfig, selection: StackSelection = 'workload'): string[] {
  const setting = config.lambda.verifyConcurrency ?? VERIFY_CONCURRENCY;
  const region = selection === 'vault' ? config.vault?.region : selection === 'drill' ? undefined : config.dr.region;
  if (setting === 'unreserved' || region === undefined || !config.plans.some((p) => p.export.enabled)) return [];
  return [
    `  verify-rdb (${region}): reserves ${setting} concurrent executions (lambda.verifyConcurrency), its cap: the account's Lambda concurrency quota there must be at least ${setting + 100} ` +
      '(Lambda keeps 100 unreserved; new accounts start lower): check `aws lambda get-account-settings --query AccountLimit.ConcurrentExecutions`; raise it (Service Quotas) or set lambda.verifyConcurrency "unreserved"',
  ];
}

/**
 * Which command deploys what with which credentials when a vault is
 * configured: each synth holds one account's stacks (the workload's by
 * default, the vault's with `-c stacks=vault`), the vault goes first (the
 * replication rule writes into its bucket), and the vault account's CDK
 * environment never trusts the workload account (`cdk bootstrap --trust`
 * would hand workload deployers administrator rights over the vault).
 */
export function vaultLines(config: RedisDrConfig, selection: StackSelection = 'workload', configFile = '<this config>'): string[] {
  if (!config.vault) return [];
  const names = stackNames(config);
  const vault = vaultStackName(config);
  const vaultAccount = config.vault.account;
  const workload = config.primary.account ?? 'the workload account';
  const steps = [
    `    1. vault first, with account ${vaultAccount}'s own credentials (its CDK bootstrap trusts no workload account: no --trust ${workload}): ` +
      `npx cdk deploy --all -c config=${configFile} -c stacks=vault --profile <vault profile>`,
    `    2. then the workload stacks, with account ${workload}'s credentials: npx cdk deploy --all -c config=${configFile} --profile <workload profile>`,
  ];
  if (selection === 'vault') {
    return [
      `  vault: this synth holds ${vault} alone (account ${vaultAccount}); ${names.dr} and ${names.primary} (account ${workload}) come from a synth without -c stacks=vault:`,
      ...steps,
    ];
  }
  return [
    `  vault: this synth holds ${names.dr} and ${names.primary} (account ${workload}); ${vault} (account ${vaultAccount}) is synthesized apart with -c stacks=vault:`,
    ...steps,
    `  vault: until ${vault} is deployed, the deploy of ${names.primary} fails (S3 refuses a replication rule into a bucket that does not exist yet): deploy the vault first; \`redis-dr doctor\` checks the rule into it and names a replication that failed`,
  ];
}

/**
 * The drill account (config `drillAccount`): its stack is synthesized apart
 * (`-c stacks=drill`) and deployed with that account's credentials, after
 * the vault (whose policy names its drill roles).
 */
export function drillAccountLines(config: RedisDrConfig, selection: StackSelection = 'workload', configFile = '<this config>'): string[] {
  if (!config.drillAccount || !config.vault) return [];
  const drill = drillAccountStackName(config);
  const { account } = config.drillAccount;
  const deploy = `npx cdk deploy --all -c config=${configFile} -c stacks=drill --profile <drill account profile>`;
  if (selection === 'drill')
    return [
      `  drill account: this synth holds ${drill} alone (account ${account}, ${config.vault.region}); deploy it after ${vaultStackName(config)} (its policy lets this account's drill roles read replicas), with account ${account}'s own credentials: ${deploy}`,
    ];
  return [`  drill account: ${drill} (account ${account}) is synthesized apart with -c stacks=drill: ${deploy}`];
}

/**
 * What to do about the alert subscriptions after the deploy: SNS sends each
 * email address one confirmation link per topic, pages no address before it
 * is confirmed, and deletes a subscription left pending for 48 hours (since
 * 2023; the link itself stays valid 3 days); the command that lists what is
 * still pending, per region whose topic this deployment creates.
 */
/**
 * The warning for alert topics nobody is subscribed to: their alarms page nobody, or, where the page router
 * delivers to `integrations` tools (the workload regions), only those tools, with no one told when none takes a page.
 */
export function noSubscriptionsText(where: string, integrations: number): string {
  return integrations === 0
    ? `no alert subscriptions (alerts.emails, alerts.httpsEndpoints): the alarms of ${where} page nobody`
    : `no alert subscriptions (alerts.emails, alerts.httpsEndpoints): the alarms of ${where} page only through the ${integrations} alerts.integrations tool(s); a page none of them takes goes to the page router's dead-letter queue and its error alarm, which pages through the same tools`;
}

export function subscriptionLines(config: RedisDrConfig, selection: StackSelection = 'workload'): string[] {
  const names = stackNames(config);
  const regions =
    selection === 'vault' && config.vault
      ? // The vault's own topic: nothing in the workload account can silence it (its command needs the vault's credentials).
        [{ role: 'vault', region: config.vault.region, stack: vaultStackName(config), existing: undefined }]
      : selection === 'drill' && config.vault
        ? [{ role: 'drill account', region: config.vault.region, stack: drillAccountStackName(config), existing: undefined }]
        : [
            { role: 'primary', region: config.primary.region, stack: names.primary, existing: config.alerts.existingTopicArns.primary },
            { role: 'DR', region: config.dr.region, stack: names.dr, existing: config.alerts.existingTopicArns.dr },
          ];
  const created = regions.filter((r) => !r.existing);
  if (created.length === 0) return [];
  const { emails, httpsEndpoints } = config.alerts;
  if (emails.length === 0 && httpsEndpoints.length === 0) {
    const routed = selection !== 'vault' && selection !== 'drill' ? (config.alerts.integrations?.length ?? 0) : 0;
    return [`  ${noSubscriptionsText(created.map((r) => `${r.role} ${r.region}`).join(' and '), routed)}`];
  }
  const what = emails.length > 0 ? `the ${emails.length} email subscription(s)` : 'the HTTPS subscription(s)';
  return [
    `  after deploying, confirm ${what} of ${created.length === 1 ? 'the alert topic' : created.length === 2 ? 'both alert topics' : `the ${created.length} alert topics`} (${created.map((r) => `${r.role} ${r.region}`).join(', ')}): ` +
      `each address gets one link per topic and is paged only once confirmed; SNS deletes a subscription still pending after 48 hours. Still pending:`,
    ...created.map((r) => `    ${pendingSubscriptionsCommand(r.region, r.stack)}`),
  ];
}

/** The AWS CLI command that lists a region's pending alert subscriptions (the topic ARN from the stack's output). */
export function pendingSubscriptionsCommand(region: string, stack: string): string {
  const topic = `aws cloudformation describe-stacks --region ${region} --stack-name ${stack} --query "Stacks[0].Outputs[?OutputKey=='${ALERT_TOPIC_OUTPUT}'].OutputValue" --output text`;
  return `aws sns list-subscriptions-by-topic --region ${region} --topic-arn "$(${topic})" --query "Subscriptions[?SubscriptionArn=='PendingConfirmation'].Endpoint"`;
}

/** Summaries of every stack in the assembly, and the number of cdk-nag findings its validation report lists. */
export function summarizeAssembly(assembly: CloudAssembly): {
  stacks: StackSummary[];
  nagFindings: number | undefined;
  resources: StackResources[];
  warnings: string[];
} {
  const stacks = assembly.stacks.map((s) => summarizeTemplate(s.stackName, s.environment.region, s.template as Template));
  const resources = assembly.stacks.map((s) => ({ stack: s.stackName, region: s.environment.region, resources: (s.template as Template).Resources ?? {} }));
  const report = join(assembly.directory, 'validation-report.json');
  let nagFindings: number | undefined;
  if (existsSync(report)) {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports?: { violations?: unknown[] }[] };
    nagFindings = (parsed.pluginReports ?? []).reduce((n, r) => n + (r.violations?.length ?? 1), 0);
  }
  // Each warning annotation of the stacks, by its id (`… [ack: redis-dr:exampleConfig]`).
  const warnings = assembly.stacks.flatMap((s) =>
    s.messages.filter((m) => m.level === 'warning').map((m) => / \[ack: ([^\]]+)\]$/.exec(String(m.entry.data))?.[1] ?? 'unnamed'),
  );
  return { stacks, nagFindings, resources, warnings };
}

/**
 * The monthly cost estimate of the synthesized workload stacks (the vault's
 * runs in another account and is priced apart), in one line naming the
 * command that prints its items and assumptions.
 */
export function costLine(config: RedisDrConfig, resources: readonly StackResources[], configFile: string, now?: Date): string {
  const names = stackNames(config);
  const workload = resources.filter((r) => r.stack === names.primary || r.stack === names.dr);
  return `${costSummaryLine(deploymentCost(config, workload, now ? { now } : {}), `redis-dr cost -c ${configFile}`)}\n`;
}
