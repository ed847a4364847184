import { CfnStackSet } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import type { OrgConfig } from '../../config/org.js';
import { type StackSetGroup, stackSetName } from './stack-set-groups.js';

/** The member templates of one group, as files (the members' own synth). */
export interface MemberTemplates {
  readonly dr: string;
  readonly primary: string;
}

/** Props of {@link GroupStackSets}. */
export interface GroupStackSetsProps {
  readonly org: OrgConfig;
  readonly group: StackSetGroup;
  readonly templates: MemberTemplates;
}

/**
 * One group's pair of StackSets, service-managed with automatic deployment
 * (an account that joins a targeted OU is protected with no one running
 * `cdk`; one that leaves loses its stacks, the buckets of which are
 * retained): the DR region's first, then the primary region's, whose
 * export bucket replicates into the DR bucket. Their templates are the
 * members' synthesized stacks, uploaded as this stack's assets (a template
 * URL: a member template is past TemplateBody's 51,200 bytes).
 */
export class GroupStackSets extends Construct {
  public readonly dr: CfnStackSet;
  public readonly primary: CfnStackSet;

  constructor(scope: Construct, id: string, props: GroupStackSetsProps) {
    super(scope, id);
    const { org, group, templates } = props;
    const prefs = org.stackSets.operationPreferences;
    const stackSet = (where: 'dr' | 'primary', region: string, file: string): CfnStackSet => {
      const template = new Asset(this, `${where}-template`, { path: file });
      return new CfnStackSet(this, where, {
        stackSetName: stackSetName(org.name, group.name, where),
        description: `redis-dr ${org.name}: ${where === 'dr' ? 'the DR region' : 'the primary region'} of accounts ${group.name} (${group.plans.tiers.map((t) => t.name).join(', ')})`,
        permissionModel: 'SERVICE_MANAGED',
        // A delegated administrator must say so on every call; the management account calls as itself (CloudFormation's default).
        callAs: org.stackSets.delegatedAdmin ? 'DELEGATED_ADMIN' : 'SELF',
        autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
        capabilities: ['CAPABILITY_NAMED_IAM'],
        managedExecution: { Active: true },
        operationPreferences: {
          maxConcurrentPercentage: prefs.maxConcurrentPercentage,
          failureTolerancePercentage: prefs.failureTolerancePercentage,
          regionConcurrencyType: prefs.regionConcurrencyType,
        },
        stackInstancesGroup: group.targets.map((t) => ({
          regions: [region],
          deploymentTargets: {
            organizationalUnitIds: [...t.organizationalUnitIds],
            ...(t.accountFilterType ? { accountFilterType: t.accountFilterType, accounts: [...(t.accounts ?? [])] } : {}),
          },
        })),
        templateUrl: template.httpUrl,
      });
    };
    this.dr = stackSet('dr', org.regions.dr, templates.dr);
    this.primary = stackSet('primary', org.regions.primary, templates.primary);
    // The primary stacks' export buckets replicate into the DR buckets, which must exist first.
    this.primary.addResourceDependency(this.dr);
  }
}
