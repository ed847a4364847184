/**
 * Writes `config/schema.json` from the zod schema in `lib/config/schema.ts`.
 * Run with `npm run schema` after changing the config schema; a test fails
 * while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema } from '../lib/config/index.js';

const file = join(__dirname, '..', 'config', 'schema.json');
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
