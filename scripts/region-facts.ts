/**
 * The region table of lib/config/regions.json, derived from aws-cdk-lib's
 * region facts (`RegionInfo`): scripts/write-regions.ts writes it and a test
 * compares the committed file with it.
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { RegionFacts } from '../lib/config/regions.js';

/** Every region aws-cdk-lib knows, sorted by name, with its partition and opt-in flag. */
export function regionFactsFromCdk(): Record<string, RegionFacts> {
  const facts: Record<string, RegionFacts> = {};
  for (const name of RegionInfo.regions.map((r) => r.name).sort()) {
    const info = RegionInfo.get(name);
    if (!info.partition) throw new Error(`aws-cdk-lib's RegionInfo names no partition for ${name}: check the aws-cdk-lib upgrade before writing the table`);
    facts[name] = { partition: info.partition, optIn: info.isOptInRegion === true };
  }
  return facts;
}
