/** Regenerates the folder map of docs/architecture.md from the tree and docs/architecture-map.json (scripts/architecture-map.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedArchitectureDoc } from './architecture-map.js';

const root = join(__dirname, '..');
const file = join(root, 'docs', 'architecture.md');
writeFileSync(file, generatedArchitectureDoc(root));
process.stdout.write(`wrote ${file}\n`);
