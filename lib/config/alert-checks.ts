/**
 * Cross-field checks of `alerts`: settings that would leave a page going
 * nowhere without a word at synth or deploy. Read defensively from the raw
 * input, like the other cross-field checks (lib/config/checks.ts).
 */
import { show } from './messages.js';

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** An SNS topic ARN's region (the regex the schema checks the form with). */
const TOPIC_REGION = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** One problem: where and what (`<what is wrong>, got <value>: <fix>`). */
export interface AlertProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * - `alerts.existingTopicArns.<primary|dr>` must be a topic of that region:
 *   alarm actions and EventBridge rule targets publish only to a topic of their own region.
 * - `alerts.emails` and `alerts.httpsEndpoints` with an existing topic in both
 *   regions (and no vault stack of this deployment nor drill account stack creating a topic of its own)
 *   would be subscribed to nothing: the stacks add no subscription to a topic they did not create.
 */
export function alertProblems(root: Json): AlertProblem[] {
  const problems: AlertProblem[] = [];
  const alerts = asObject(root.alerts);
  const existing = asObject(alerts?.existingTopicArns);
  if (!existing) return problems;
  for (const role of ['primary', 'dr'] as const) {
    const arn = existing[role];
    const region = asObject(root[role])?.region;
    const topicRegion = typeof arn === 'string' ? TOPIC_REGION.exec(arn)?.[1] : undefined;
    if (topicRegion === undefined || typeof region !== 'string' || topicRegion === region) continue;
    problems.push({
      path: ['alerts', 'existingTopicArns', role],
      message: `must be a topic in ${role}.region (${region}), got ${show(arn)} (${topicRegion}): alarms and EventBridge rules publish only to a topic of their own region; give a topic of ${region}, or remove it and the stack creates one`,
    });
  }
  const both = typeof existing.primary === 'string' && typeof existing.dr === 'string';
  // A vault of another deployment (vault.deployment, an organization's) is synthesized from its own config: no topic of ours.
  const vault = asObject(root.vault);
  const ownVault = vault !== undefined && (vault.deployment === undefined || vault.deployment === root.name);
  const ownTopics = ownVault || root.drillAccount !== undefined;
  if (!both || ownTopics) return problems;
  for (const field of ['emails', 'httpsEndpoints'] as const) {
    const list = alerts?.[field];
    if (!Array.isArray(list) || list.length === 0) continue;
    problems.push({
      path: ['alerts', field],
      message: `would be subscribed to no topic, got ${show(list)}: both alert topics are existing ones (alerts.existingTopicArns), and the stacks subscribe nobody to a topic they did not create; subscribe these to those topics yourself and remove them here, or remove an existing topic so its stack creates one with them`,
    });
  }
  return problems;
}
