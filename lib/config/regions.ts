/**
 * AWS regions and the two facts of each this project reads: the partition
 * (DR must stay in the primary's) and whether it is an opt-in region (how
 * ElastiCache is let into a bucket). A snapshot of aws-cdk-lib's region facts
 * (`RegionInfo`), written by `npm run regions` (scripts/write-regions.ts) and
 * checked against the installed aws-cdk-lib by a test: the CLI validates
 * configs with it, and the installed CLI has no aws-cdk-lib (the CDK app's
 * 190 MB dependency, not a runtime one).
 */
// biome-ignore lint/correctness/useImportExtensions: the JSON module is named with its own extension
import facts from './regions.json';

/** One region's facts. */
export interface RegionFacts {
  /** `aws`, `aws-cn`, `aws-us-gov`, … */
  readonly partition: string;
  /** Launched after 2019-03-20: disabled until an account enables it. */
  readonly optIn: boolean;
}

const TABLE: Readonly<Record<string, RegionFacts>> = facts;

/** Every region the table knows, sorted. */
export const REGION_NAMES = Object.keys(TABLE).sort() as [string, ...string[]];

/** The facts of `region`, or undefined for a name the table does not know. */
export function regionFacts(region: string): RegionFacts | undefined {
  return Object.hasOwn(TABLE, region) ? TABLE[region] : undefined;
}
