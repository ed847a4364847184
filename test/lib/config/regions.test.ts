import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGION_NAMES, regionFacts } from '../../../lib/config/regions.js';
import { regionFactsFromCdk } from '../../../scripts/region-facts.js';

const ROOT = join(__dirname, '..', '..', '..');

describe('lib/config/regions.json (the region facts the CLI reads without aws-cdk-lib)', () => {
  it('is what `npm run regions` writes from the installed aws-cdk-lib (not stale)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'lib', 'config', 'regions.json'), 'utf8'));
    expect(committed).toEqual(regionFactsFromCdk());
  });

  it('answers partitions and opt-in flags, and nothing for an unknown name', () => {
    expect(REGION_NAMES).toEqual([...REGION_NAMES].sort());
    expect(REGION_NAMES).toContain('eu-west-1');
    expect(regionFacts('eu-west-1')).toEqual({ partition: 'aws', optIn: false });
    expect(regionFacts('af-south-1')).toEqual({ partition: 'aws', optIn: true });
    expect(regionFacts('cn-north-1')?.partition).toBe('aws-cn');
    expect(regionFacts('us-gov-west-1')?.partition).toBe('aws-us-gov');
    expect(regionFacts('eu-west-9')).toBeUndefined();
    // Not a region: a key every object has.
    expect(regionFacts('constructor')).toBeUndefined();
  });
});
