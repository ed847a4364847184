/** Regenerates docs/iam/api-actions.md from lib/iam-actions.ts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiActionsDoc } from '../lib/iam-actions-doc.js';

const file = join(__dirname, '..', 'docs', 'iam', 'api-actions.md');
writeFileSync(file, apiActionsDoc());
process.stdout.write(`wrote ${file}\n`);
