/** Regenerates the alert catalog table of docs/alerts.md from lambdas/domain/alerting/catalog.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withCatalogTable } from '../lambdas/domain/alerting/docs.js';

const file = join(__dirname, '..', 'docs', 'alerts.md');
writeFileSync(file, withCatalogTable(readFileSync(file, 'utf8')));
process.stdout.write(`wrote ${file}\n`);
