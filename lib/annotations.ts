/**
 * What a synth must tell whoever deploys, as CDK annotations on the construct
 * each concerns: `cdk synth` of any app that embeds {@link RedisDr} prints
 * them (warnings fail `cdk synth --strict`), and the repository's own app
 * prints the same facts in its synth summary (lib/synth-summary.ts, whose
 * line builders these reuse). Every warning has an id, so a team that has
 * dealt with one acknowledges it in its app:
 *
 *   Annotations.of(redisDr.primary).acknowledgeWarning('redis-dr:noCollapseTripwire', 'the probe comes with the VPC next sprint');
 *
 * @see https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Annotations.html
 */
import { Annotations, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { RedisDrConfig } from './config/index.js';
import { placeholderSettings } from './config/placeholders.js';
import { networkPrerequisites, stackNames, vaultStackName } from './deployment.js';
import type { DrillAccountStack } from './stacks/drill-account-stack.js';
import type { DrStack } from './stacks/dr-stack.js';
import type { PrimaryStack } from './stacks/primary-stack.js';
import type { VaultStack } from './stacks/vault-stack.js';
import { networkLines, noSubscriptionsText, pendingSubscriptionsCommand } from './synth-summary.js';

/** The ids of redis-dr's warnings, for `Annotations.of(scope).acknowledgeWarning(id, reason)`. */
export const WARNING_IDS = {
  /** The config is an example (`"example": true`): its stacks cannot be deployed. */
  exampleConfig: 'redis-dr:exampleConfig',
  /** A plan neither probes nor exports: nothing counts its keys, so a FLUSHALL's empty snapshots would rotate the good ones out. */
  noCollapseTripwire: 'redis-dr:noCollapseTripwire',
  /** The functions' security groups must admit themselves on the Redis ports; synth cannot see their rules. */
  securityGroupSelfIngress: 'redis-dr:securityGroupSelfIngress',
  /** Placeholder values (a VPC of zeros, replace-me ARNs) still in the config. */
  placeholderValues: 'redis-dr:placeholderValues',
  /** Alarms with nobody subscribed to their topic. */
  noAlertSubscriptions: 'redis-dr:noAlertSubscriptions',
} as const;

/** Annotates the workload stacks of one deployment ({@link RedisDr}). */
export function annotateWorkload(config: RedisDrConfig, stacks: { readonly primary: PrimaryStack; readonly dr: DrStack }): void {
  const { primary, dr } = stacks;
  // Once per synth, not per stack: the same warning twice reads as two problems.
  exampleWarning(config, primary);

  // The keyspace-collapse tripwire judges key counts: the probe's (primary) or the verified DR copies' (export).
  for (const plan of config.plans.filter((p) => !p.probe.enabled && !p.export.enabled)) {
    Annotations.of(primary.snapshots).addWarningV2(
      WARNING_IDS.noCollapseTripwire,
      `no keyspace-collapse tripwire for plan ${plan.name}: nothing counts its keys, so a FLUSHALL's empty snapshots would rotate the good ones out; enable probe (or export) for it`,
    );
  }

  // One line per fact, as the synth summary states them; the self-ingress check is a warning (a drill fails without it).
  const lines = networkLines(config).map((l) => l.trim());
  for (const { field, where } of networkPrerequisites(config)) {
    const stack = where === 'primary' ? primary : dr;
    for (const line of lines.filter((l) => l.startsWith(`${field} (`) || l.startsWith(`${field}:`))) {
      if (line.includes('cannot be inspected at synth')) Annotations.of(stack).addWarningV2(WARNING_IDS.securityGroupSelfIngress, line);
      else Annotations.of(stack).addInfo(line);
    }
  }

  placeholderWarning(config, primary);

  if (config.vault) {
    const names = stackNames(config);
    const vault = vaultStackName(config);
    const workload = config.primary.account ?? 'the workload account';
    const order =
      `deploy ${vault} first, from an app of its own (RedisDrVault), with account ${config.vault.account}'s own credentials and a CDK bootstrap that trusts no workload account (no --trust ${workload}); ` +
      `then ${names.dr} and ${names.primary} with account ${workload}'s credentials. Until ${vault} is deployed, the deploy of ${names.primary} fails (S3 refuses a replication rule into a bucket that does not exist yet)`;
    for (const stack of [primary, dr]) Annotations.of(stack).addInfo(`vault: this stack is deployed with account ${workload}'s credentials; ${order}`);
  }

  subscriptionNotes(config, [
    // The workload regions' topics have the page router (alerts.integrations); the vault's and the drill account's do not.
    { role: 'primary', stack: primary, topic: primary.alerts, existing: config.alerts.existingTopicArns.primary, routed: true },
    { role: 'DR', stack: dr, topic: dr.alerts, existing: config.alerts.existingTopicArns.dr, routed: true },
  ]);
}

/** Annotates the vault account's stack ({@link RedisDrVault}). */
export function annotateVault(config: RedisDrConfig, vault: VaultStack): void {
  exampleWarning(config, vault);
  placeholderWarning(config, vault);
  if (config.vault) {
    const names = stackNames(config);
    const workload = config.primary.account ?? 'the workload account';
    Annotations.of(vault).addInfo(
      `vault: this stack is deployed first, with account ${config.vault.account}'s own credentials, from a CDK environment bootstrapped without --trust ${workload}; ` +
        `${names.dr} and ${names.primary} follow from the workload's app, with account ${workload}'s credentials`,
    );
  }
  subscriptionNotes(config, [{ role: 'vault', stack: vault, topic: vault.alerts, existing: undefined }]);
}

/** Annotates the drill account's stack ({@link RedisDrDrillAccount}): the example and placeholder warnings, the deploy order, its topic's subscriptions. */
export function annotateDrillAccount(config: RedisDrConfig, drill: DrillAccountStack): void {
  exampleWarning(config, drill);
  placeholderWarning(config, drill);
  if (config.vault && config.drillAccount)
    Annotations.of(drill).addInfo(
      `drill account: this stack is deployed with account ${config.drillAccount.account}'s own credentials, after ${vaultStackName(config)} (its policy names this account's drill roles), from a CDK environment that trusts no other account`,
    );
  subscriptionNotes(config, [{ role: 'drill account', stack: drill, topic: drill.alerts, existing: undefined }]);
}

function exampleWarning(config: RedisDrConfig, stack: Stack): void {
  if (!config.example) return;
  Annotations.of(stack).addWarningV2(
    WARNING_IDS.exampleConfig,
    `EXAMPLE config ("example": true): synthesized for learning only; cdk deploy of its stacks fails by design`,
  );
}

function placeholderWarning(config: RedisDrConfig, stack: Stack): void {
  const placeholders = placeholderSettings(config);
  if (placeholders.length === 0) return;
  Annotations.of(stack).addWarningV2(
    WARNING_IDS.placeholderValues,
    `before deploying, replace the placeholder values of: ${placeholders.map((p) => p.path).join(', ')}`,
  );
}

/**
 * Per alert topic this deployment creates: confirm the subscriptions after
 * the deploy (SNS pages no address before, and deletes a subscription
 * pending for 48 hours), with the command listing what is still pending; a
 * warning when nobody is subscribed.
 */
function subscriptionNotes(
  config: RedisDrConfig,
  topics: readonly { role: string; stack: Stack; topic: IConstruct; existing: string | undefined; routed?: true }[],
): void {
  const { emails, httpsEndpoints } = config.alerts;
  for (const { role, stack, topic, existing, routed } of topics) {
    if (existing) continue;
    const region = stack.region;
    if (emails.length === 0 && httpsEndpoints.length === 0) {
      Annotations.of(topic).addWarningV2(
        WARNING_IDS.noAlertSubscriptions,
        noSubscriptionsText(`${role} ${region}`, routed ? (config.alerts.integrations?.length ?? 0) : 0),
      );
      continue;
    }
    const what = emails.length > 0 ? `the ${emails.length} email subscription(s)` : 'the HTTPS subscription(s)';
    Annotations.of(topic).addInfo(
      `after deploying, confirm ${what} of the ${role} alert topic (${region}): each address gets one link per topic and is paged only once confirmed; ` +
        `SNS deletes a subscription still pending after 48 hours. Still pending: ${pendingSubscriptionsCommand(region, stack.stackName)}`,
    );
  }
}
