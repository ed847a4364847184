/**
 * The organization's deployment (`npx cdk synth -c config=config/org-example.json
 * -c stacks=org`): in the account that administers the StackSets (the
 * management account or a delegated administrator), one stack of StackSets
 * (`RedisDr-<name>-Org`) and one asset bucket stack per region
 * (`RedisDr-<name>-OrgAssets-<region>`). Each group of accounts with the same
 * effective plans gets its member stacks synthesized by the `RedisDr`
 * construct itself (validated, cdk-nag) in an app of their own, whose
 * Lambda code names the region's org asset bucket instead of an account's
 * bootstrap bucket; its templates become the StackSets' templates.
 */
import { join } from 'node:path';
import { App, CliCredentialsStackSynthesizer, Stack, type Stage, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TAGS } from '../lambdas/domain/plans/types.js';
import { ConfigError } from './config/load.js';
import type { OrgConfig } from './config/org.js';
import { OrgAssetBucket } from './constructs/org/asset-bucket.js';
import { addMemberConfigRule } from './constructs/org/member-rule.js';
import { memberConfig } from './constructs/org/member-config.js';
import { stackSetGroups, type StackSetGroup } from './constructs/org/stack-set-groups.js';
import { GroupStackSets } from './constructs/org/stack-sets.js';
import { ScopedNagPack } from './nag/scoped-pack.js';
import { RedisDr } from './redis-dr.js';

/** The per-region bucket of the member stacks' Lambda code: `stackSets.assetBucketPrefix`, else `redis-dr-<name>-assets`, and the region. */
export function orgAssetBucketPrefix(org: OrgConfig): string {
  return org.stackSets.assetBucketPrefix ?? `redis-dr-${org.name}-assets`;
}

/** What {@link addOrgStacks} built. */
export interface OrgStacks {
  readonly stackSets: Stack;
  readonly assets: readonly Stack[];
  readonly groups: readonly StackSetGroup[];
  /** Each group's member app folder: its asset manifests are what `cdk-assets publish` uploads to the org asset buckets. */
  readonly memberOutdirs: readonly string[];
}

/**
 * Adds the organization's stacks to `scope`; the member apps write under
 * `membersOutdir` (beside the cloud assembly, not in it: the CDK CLI must
 * never deploy a member stack into the administering account).
 * @throws ConfigError when a group's plans cannot be deployed (an RPO below what ElastiCache's snapshot quota allows)
 */
export function addOrgStacks(scope: Stage, org: OrgConfig, membersOutdir: string): OrgStacks {
  const prefix = orgAssetBucketPrefix(org);
  const groups = stackSetGroups(org);
  const assets = [org.regions.primary, org.regions.dr].map((region) => {
    const stack = new Stack(scope, `RedisDr-${org.name}-OrgAssets-${region}`, {
      env: { region },
      description: `redis-dr ${org.name}: the Lambda code of the StackSets' member stacks in ${region}, read by the organization`,
    });
    new OrgAssetBucket(stack, 'Assets', { bucketName: `${prefix}-${region}`, organizationId: org.vault.organizationId });
    return stack;
  });
  const stackSets = new Stack(scope, `RedisDr-${org.name}-Org`, {
    env: { region: org.regions.primary },
    description: `redis-dr ${org.name}: the StackSets that protect every account of the organization's OUs`,
  });
  const memberOutdirs: string[] = [];
  const context = scope.node.getAllContext();
  for (const group of groups) {
    const member = memberConfig(org, group.name, group.plans);
    if (!member.ok) throw new ConfigError(member.problems);
    const outdir = join(membersOutdir, group.name);
    // The member stacks' code in `<prefix>-<region>`, the bucket of the region each instance runs in, published with the
    // operator's own credentials (no bootstrap role: the org asset buckets are no bootstrap bucket); no bootstrap version rule.
    const app = new App({
      outdir,
      context,
      defaultStackSynthesizer: new CliCredentialsStackSynthesizer({ fileAssetsBucketName: `${prefix}-\${AWS::Region}`, bucketPrefix: 'assets/' }),
    });
    const members = new RedisDr(app, 'RedisDr', member.props);
    addMemberConfigRule(members, org);
    const assembly = app.synth();
    memberOutdirs.push(outdir);
    new GroupStackSets(stackSets, group.name, {
      org,
      group,
      templates: {
        dr: join(outdir, assembly.getStackByName(members.dr.stackName).templateFile),
        primary: join(outdir, assembly.getStackByName(members.primary.stackName).templateFile),
      },
    });
  }
  for (const stack of [stackSets, ...assets]) {
    Tags.of(stack).add(TAGS.managed, 'true');
    Tags.of(stack).add('redis-dr:deployment', org.name);
  }
  for (const stack of assets) stackSets.addStackDependency(stack, 'the member stacks read their code from the asset buckets');
  Validations.of(scope).addPlugins(new ScopedNagPack(new AwsSolutionsChecks(), [stackSets, ...assets]));
  return { stackSets, assets, groups, memberOutdirs };
}
