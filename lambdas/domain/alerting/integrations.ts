/**
 * `alerts.integrations`: the on-call tools a page is delivered to in their
 * own format, besides the alert topic's email and webhook subscribers. The
 * config (lib/config) validates with this schema and the stack hands the
 * parsed list to the page router, which parses it again with the same
 * schema: one contract for both. Pure.
 */
import { z } from 'zod';
import { show } from '../plans/problems.js';
import { OPSGENIE_API } from './render-opsgenie.js';
import { PAGERDUTY_API } from './render-pagerduty.js';

/** The integration types, in the order docs/alerts.md describes them. */
export const INTEGRATION_TYPES = ['pagerduty', 'opsgenie', 'chatbot'] as const;
/** One integration type. */
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

/** Secrets Manager secret names: letters, digits and `/_+=.@-`, at most 512 characters. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** A secret name, with the fix when it is missing or malformed. */
function secretName(holds: string, example: string) {
  const fix = `name the Secrets Manager secret (this account; in the DR region too, e.g. as a replica) whose value is the ${holds}, e.g. "${example}": the key is read when a page is sent, never put in a template`;
  return z
    .string({ error: (iss) => (iss.input === undefined ? `is required: ${fix}` : `must be a secret name, got ${show(iss.input)}: ${fix}`) })
    .regex(SECRET_NAME, { error: (iss) => `must be a Secrets Manager secret name (letters, digits, /_+=.@-), got ${show(iss.input)}: ${fix}` })
    .meta({ description: `Name of the Secrets Manager secret holding the ${holds} (a plain string). Read at run time; never in a template.` });
}

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, { error: (iss) => `must be 1-32 lowercase letters, digits or hyphens, got ${show(iss.input)}` })
  .optional()
  .meta({ description: 'Name in logs and in a delivery-failed page. Default: <type>-<position>, e.g. pagerduty-1.' });

const serviceRegion = (what: string) =>
  z
    .enum(['us', 'eu'], { error: (iss) => `must be "us" or "eu", got ${show(iss.input)}: the service region of your ${what} account` })
    .default('us')
    .meta({ description: `The service region of the ${what} account (its API address).` });

const pagerDutySchema = z
  .strictObject({
    type: z.literal('pagerduty'),
    name,
    secretName: secretName('integration key (routing key) of an Events API v2 integration of the PagerDuty service', 'redis-dr/pagerduty'),
    serviceRegion: serviceRegion('PagerDuty'),
  })
  .meta({ description: 'PagerDuty Events API v2: trigger on ALARM, resolve on OK (one dedup_key per alarm and region).' });

const opsgenieSchema = z
  .strictObject({
    type: z.literal('opsgenie'),
    name,
    secretName: secretName('API key of an Opsgenie API integration', 'redis-dr/opsgenie'),
    serviceRegion: serviceRegion('Opsgenie'),
  })
  .meta({ description: 'Opsgenie Alert API: create on ALARM (alias per alarm and region), close on OK.' });

const SLACK_ID = /^[A-Z0-9]{1,256}$/;
const chatbotSchema = z
  .strictObject({
    type: z.literal('chatbot'),
    name,
    slackWorkspaceId: z
      .string()
      .regex(SLACK_ID, { error: (iss) => `must be a Slack workspace (team) id such as "T0123ABCD", got ${show(iss.input)}` })
      .optional()
      .meta({ description: 'Slack: the workspace id the Amazon Q Developer console shows once the workspace is authorized.' }),
    slackChannelId: z
      .string()
      .regex(SLACK_ID, { error: (iss) => `must be a Slack channel id such as "C0123ABCD" (channel details, bottom), got ${show(iss.input)}` })
      .optional()
      .meta({ description: 'Slack: the channel id (not its name).' }),
    teamsTenantId: z.uuid({ error: (iss) => `must be a Microsoft Entra tenant id (a UUID), got ${show(iss.input)}` }).optional(),
    teamId: z.uuid({ error: (iss) => `must be a Microsoft Teams team id (a UUID), got ${show(iss.input)}` }).optional(),
    teamsChannelId: z
      .string()
      // CloudFormation's own pattern (AWS::Chatbot::MicrosoftTeamsChannelConfiguration): the id still URL-encoded.
      .regex(/^[a-zA-Z0-9-_=+/.,]*%3[aA][a-zA-Z0-9-_=+/.,]*%40[a-zA-Z0-9-_=+/.,]*$/, {
        error: (iss) =>
          `must be a Teams channel id as the channel link has it, URL-encoded (19%3a…%40thread.tacv2), got ${show(iss.input)}: copy it from "Get link to channel" without decoding`,
      })
      .optional()
      .meta({ description: 'Microsoft Teams: the channel id from the channel link, URL-encoded as there (19%3a…%40thread.tacv2).' }),
  })
  .superRefine((c, ctx) => {
    const slack = c.slackWorkspaceId !== undefined || c.slackChannelId !== undefined;
    const teams = c.teamsTenantId !== undefined || c.teamId !== undefined || c.teamsChannelId !== undefined;
    const fix =
      'give slackWorkspaceId and slackChannelId for Slack, or teamsTenantId, teamId and teamsChannelId for Microsoft Teams (one channel per integration)';
    if (slack && teams) ctx.addIssue({ code: 'custom', message: `names both a Slack and a Teams channel: ${fix}`, input: c });
    else if (slack && (!c.slackWorkspaceId || !c.slackChannelId)) {
      ctx.addIssue({ code: 'custom', path: [c.slackWorkspaceId ? 'slackChannelId' : 'slackWorkspaceId'], message: `is required for Slack: ${fix}`, input: c });
    } else if (teams && (!c.teamsTenantId || !c.teamId || !c.teamsChannelId)) {
      const missing = !c.teamsTenantId ? 'teamsTenantId' : !c.teamId ? 'teamId' : 'teamsChannelId';
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required for Microsoft Teams: ${fix}`, input: c });
    } else if (!slack && !teams) ctx.addIssue({ code: 'custom', message: `names no channel: ${fix}`, input: c });
  })
  .meta({
    description:
      'Amazon Q Developer in chat applications (formerly AWS Chatbot): the stack creates a topic of custom notifications and a channel configuration for it. Authorize the Slack workspace or Teams team in the console once first.',
  });

/** One entry of `alerts.integrations`. */
export const integrationSchema = z.discriminatedUnion('type', [pagerDutySchema, opsgenieSchema, chatbotSchema], {
  error: (iss) => {
    const type = (iss.input as { type?: unknown } | undefined)?.type;
    const known = INTEGRATION_TYPES.map((t) => `"${t}"`).join(', ');
    return type === undefined
      ? `needs a "type": one of ${known}`
      : `must be one of ${known}, got ${show(type)}: Slack and Microsoft Teams are "chatbot" (Amazon Q Developer in chat applications); other tools take the alert topic's httpsEndpoints`;
  },
});

/** `alerts.integrations`. */
export const integrationsSchema = z
  .array(integrationSchema)
  .max(10, { error: (iss) => `must have at most 10 integrations, got ${Array.isArray(iss.input) ? iss.input.length : show(iss.input)}` })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((integration, index) => {
      const n = integrationName(integration, index);
      if (seen.has(n))
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `repeats the name ${show(n)}: give each integration a name of its own`, input: n });
      seen.add(n);
    });
  })
  .meta({ description: 'On-call tools that get each page in their own format (PagerDuty, Opsgenie, Slack or Teams through Amazon Q Developer).' });

/** A parsed integration. */
export type Integration = z.infer<typeof integrationSchema>;

/** An integration's name: its own, or `<type>-<position from 1>`. */
export function integrationName(integration: Integration, index: number): string {
  return integration.name ?? `${integration.type}-${index + 1}`;
}

/** The API address of a PagerDuty or Opsgenie integration. */
export function integrationApi(integration: Extract<Integration, { type: 'pagerduty' | 'opsgenie' }>): string {
  if (integration.type === 'pagerduty') return integration.serviceRegion === 'eu' ? 'https://events.eu.pagerduty.com' : PAGERDUTY_API;
  return integration.serviceRegion === 'eu' ? 'https://api.eu.opsgenie.com' : OPSGENIE_API;
}
