/**
 * The organization config (`config/org-example.json`, docs/org.md): the
 * tiers and their levels (root, OUs, accounts; the domain's schema,
 * lambdas/domain/org/tree.ts, the one source of that shape), the regions
 * every account is protected in, the organization's vault and how the
 * StackSets roll out. Validated once, every problem at once, each
 * `<path> <what is wrong>, got <value>[: <fix>]`; an OU merge conflict, an
 * account in no OU and a tier naming no tier among them.
 */
import { z } from 'zod';
import { orgProblems } from '../../lambdas/domain/org/effective.js';
import { accountIdSchema, orgTreeShape } from '../../lambdas/domain/org/tree.js';
import { vaultDaysSchema } from '../../lambdas/domain/plans/settings.js';
import { KNOWN_REGIONS } from './defaults.js';
import { orgVaultDrillProblems, orgVaultProblems } from './org-vault.js';
import { organizationIdSchema } from './organization-id.js';
import { ConfigError, readConfigFile } from './load.js';
import { defaultMessage, formatIssue, regionFix, says } from './messages.js';
import { baseSchema, ssmNetworkSchema } from './schema.js';

/** The deployment config's alert fields every member account's topics subscribe (one source: the deployment schema's). */
const alertFields = baseSchema.shape.alerts.unwrap().shape;
/** The deployment config's vault days per GFS tier, the organization's vault's too (one source). */
const vaultFields = baseSchema.shape.vault.unwrap().shape;

const regionSchema = z.enum(KNOWN_REGIONS, { error: says('is not a known AWS region', regionFix) });

const percent = (description: string, dflt: number) =>
  z
    .number({ error: says('must be a percentage', `e.g. ${dflt}`) })
    .int({ error: says('must be a whole percentage', `e.g. ${dflt}`) })
    .min(0, { error: says('must be >= 0', `e.g. ${dflt}`) })
    .max(100, { error: says('must be <= 100', `e.g. ${dflt}`) })
    .default(dflt)
    .meta({ description });

/** How a StackSet operation rolls out (CloudFormation's `OperationPreferences`). */
export const operationPreferencesSchema = z
  .strictObject({
    maxConcurrentPercentage: percent('Share of the target accounts deployed at once, per region.', 25),
    failureTolerancePercentage: percent('Share of the accounts that may fail, per region, before the operation stops.', 10),
    regionConcurrencyType: z
      .enum(['SEQUENTIAL', 'PARALLEL'], { error: says('must be "SEQUENTIAL" or "PARALLEL"') })
      .default('SEQUENTIAL')
      .meta({ description: 'Regions one after the other (SEQUENTIAL) or at once.' }),
  })
  .prefault({});

export const orgConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    example: z.boolean().optional().meta({ description: 'true only in a config meant for learning: its stacks cannot be deployed.' }),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/, { error: says('must be 1-24 lowercase letters, digits or hyphens, starting with a letter') })
      .meta({ description: "The organization's deployment name, part of every stack set and resource name." }),
    regions: z
      .strictObject({ primary: regionSchema, dr: regionSchema })
      .refine((r) => r.primary !== r.dr, { error: says('must name two different regions', 'the DR region holds the copies: give another region') })
      .meta({ description: 'The regions every member account is protected in: its caches (primary) and its copies (dr).' }),
    vault: z
      .strictObject({
        account: accountIdSchema.meta({ description: 'The vault account (also where the org evidence lands).' }),
        region: regionSchema,
        organizationId: organizationIdSchema.meta({
          description:
            "The organization whose accounts may replicate into the vault (aws:PrincipalOrgID): the bucket policy's size does not grow with accounts.",
        }),
        retentionDays: vaultDaysSchema.default(35).meta({
          description:
            "Object Lock COMPLIANCE days every replica gets as it lands in the organization's vault (the floor), and the days of every GFS tier tierRetentionDays does not name.",
        }),
        tierRetentionDays: vaultFields.tierRetentionDays,
      })
      .meta({
        description:
          "The organization's vault, deployed once (-c stacks=org-vault); the member stacks of every account with a tier whose vault.enabled is true replicate into it, each under its own <account>/<region>/.",
      }),
    stackSets: z
      .strictObject({
        operationPreferences: operationPreferencesSchema,
        assetBucketPrefix: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{2,40}$/, { error: says('must be 3-41 lowercase letters, digits or hyphens') })
          .optional()
          .meta({ description: 'Name prefix of the per-region buckets holding the Lambda assets: <prefix>-<region>. Default redis-dr-<name>-assets.' }),
        delegatedAdmin: z
          .boolean({ error: says('must be true or false') })
          .default(false)
          .meta({
            description:
              "true when the account deploying the StackSets is a delegated administrator of StackSets, not the management account: the StackSets are called as DELEGATED_ADMIN (CloudFormation's CallAs).",
          }),
      })
      .prefault({})
      .meta({ description: 'How the StackSets roll out to the OUs (service-managed, automatic deployment).' }),
    pipeline: z
      .strictObject({
        account: accountIdSchema.meta({
          description: 'The account the pipeline runs in (its CodePipeline, and the trust of every target account’s bootstrap).',
        }),
        connectionArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/, {
            error: says('must be a CodeConnections connection ARN', 'copy it from Developer Tools > Settings > Connections'),
          })
          .meta({ description: 'The connection to the repository holding this config (CodeConnections).' }),
        repository: z
          .string()
          .regex(/^[\w.-]+\/[\w.-]+$/, { error: says('must be <owner>/<repository>') })
          .meta({ description: 'The repository, <owner>/<repository>.' }),
        branch: z.string().min(1).default('main'),
        waves: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[A-Za-z][\w-]{0,40}$/, { error: says('must be a short name: a letter, then letters, digits, _ or -') }),
              organizationalUnits: z.array(z.string()).min(1),
            }),
          )
          .optional()
          .meta({ description: "The waves, in order, each the OUs (by id) whose listed accounts it deploys. Default: a wave per OU, in the config's order." }),
      })
      .optional()
      .meta({ description: 'The CDK Pipelines path (-c stacks=org-pipeline): a wave per group of OUs, a stage per account.' }),
    aggregator: z
      .strictObject({
        name: z
          .string()
          .regex(/^[\w-]{1,256}$/, { error: says('must be an AWS Config aggregator name', 'letters, digits, _ and -') })
          .meta({ description: 'The organization aggregator redis-dr org inventory queries (SelectAggregateResourceConfig).' }),
        region: regionSchema.meta({ description: 'The region the aggregator lives in.' }),
      })
      .optional()
      .meta({ description: "The organization's AWS Config aggregator (redis-dr org inventory); --aggregator overrides its name." }),
    alerts: z.strictObject({ emails: alertFields.emails, httpsEndpoints: alertFields.httpsEndpoints }).prefault({}).meta({
      description:
        "Subscribed to the alert topic of both regions of every member account (the deployment config's alerts.emails and alerts.httpsEndpoints): an account that joins an OU pages the organization's on-call with no edit.",
    }),
    drill: z
      .strictObject({
        network: ssmNetworkSchema.optional().meta({
          description:
            "The primary region's network every member account's restore drills run in, as the SSM parameter names the account baseline (Control Tower, AFT) writes: the member stacks take them as stack parameters CloudFormation resolves in each account.",
        }),
        drNetwork: ssmNetworkSchema.optional().meta({
          description:
            "The DR region's network, named the same way (SSM parameters in each account's DR region): the member stacks' DR-region drills (tiers with drill.where dr or both) restore the DR copies into it.",
        }),
      })
      .refine((d) => d.network !== undefined || d.drNetwork !== undefined, {
        error: says('names no network', 'give drill.network (primary region) and/or drill.drNetwork (DR region), or leave drill out'),
      })
      .optional()
      .meta({
        description:
          'Where the member stacks run the restore drills of tiers with drill.enabled: drill.network for the primary region, drill.drNetwork for the DR region (docs/org.md, "Restore drills in the member stacks"). A tier that drills in a region without its network gets no drill there, and the synth and org plan say so.',
      }),
    configRule: z
      .strictObject({
        enabled: z
          .boolean({ error: says('must be true or false') })
          .default(false)
          .meta({
            description:
              "Deploy the AWS Config custom rule redis-dr-<name>-<group>-verified-copy in every member account's primary region (its stack of the StackSet). Needs AWS Config recording there (Control Tower turns it on).",
          }),
        securityHub: z
          .boolean({ error: says('must be true or false') })
          .default(false)
          .meta({ description: 'The rule also imports one Security Hub finding per cache × control (Security Hub enabled in the member account).' }),
      })
      .prefault({})
      .meta({ description: 'The verified-copy AWS Config rule in the member stacks (docs/org.md, "The organization\'s own rules").' }),
    ...orgTreeShape,
  })
  .meta({ title: 'redis-dr organization configuration', description: "Tiers, OUs and accounts of an organization's redis-dr." });

/** A validated org config with its defaults. */
export type OrgConfig = z.infer<typeof orgConfigSchema>;

/** Every problem of a parsed org config (schema, then the tree and each account's merge), or the config. */
export function validateOrgConfig(raw: unknown): { ok: true; config: OrgConfig } | { ok: false; problems: string[] } {
  // A deployment config given for an org config: one line, not one per field the two schemas do not share.
  if (typeof raw === 'object' && raw !== null && !('organizationalUnits' in raw) && 'plans' in raw)
    return {
      ok: false,
      problems: [
        'is a deployment config (it has plans and no organizationalUnits), not an org config: give the org config, e.g. config/org-example.json (docs/org.md)',
      ],
    };
  const parsed = orgConfigSchema.safeParse(raw, { error: defaultMessage });
  if (!parsed.success) return { ok: false, problems: [...new Set(parsed.error.issues.flatMap(formatIssue))] };
  const merged = orgProblems(parsed.data);
  // The vault's retention against what every account keeps, once the tiers merge (docs/org.md).
  const problems =
    merged.length > 0
      ? merged
      : [...orgVaultProblems(parsed.data, parsed.data.vault), ...orgVaultDrillProblems(parsed.data, parsed.data.vault, parsed.data.regions.dr)];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: parsed.data };
}

/**
 * Read and validate an org config file.
 * @throws ConfigError naming the file and every problem
 */
export function loadOrgConfig(file: string): OrgConfig {
  const result = validateOrgConfig(readConfigFile(file));
  if (!result.ok) throw new ConfigError(result.problems, file);
  return result.config;
}
