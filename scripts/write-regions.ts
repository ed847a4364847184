/**
 * Writes `lib/config/regions.json` (AWS regions, their partition and opt-in
 * flag) from aws-cdk-lib's region facts. Run with `npm run regions` after
 * upgrading aws-cdk-lib; a test fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { regionFactsFromCdk } from './region-facts.js';

const file = join(__dirname, '..', 'lib', 'config', 'regions.json');
writeFileSync(file, `${JSON.stringify(regionFactsFromCdk(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
