import type { IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * A cdk-nag pack that checks only the given constructs (redis-dr's stacks).
 * cdk-nag walks the whole app from whichever Stage it is registered on, so
 * in a team's own app it would otherwise fail their synth on findings in
 * stacks of theirs; their own packs still see ours, acknowledgements included.
 */
export class ScopedNagPack implements IPolicyValidationPlugin {
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];

  constructor(
    private readonly pack: NagPack,
    private readonly scopes: readonly IConstruct[],
  ) {
    this.name = pack.name;
    this.version = pack.version;
    this.ruleIds = pack.ruleIds;
  }

  validate(): PolicyValidationPluginReport {
    // validateScope starts afresh each call: merge per rule, as one walk of the app would have.
    const byRule = new Map<string, PolicyViolation>();
    for (const scope of this.scopes) {
      for (const v of this.pack.validateScope(scope).violations) {
        const seen = byRule.get(v.ruleName);
        byRule.set(v.ruleName, seen ? { ...seen, violatingResources: [...seen.violatingResources, ...v.violatingResources] } : v);
      }
    }
    return { success: byRule.size === 0, violations: [...byRule.values()] };
  }
}
