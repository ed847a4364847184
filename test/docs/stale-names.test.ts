import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/index.js';
import { replicationRoleName, vaultStackName } from '../../lib/deployment.js';
import { stackNames } from '../../lib/app.js';
import { vaultLines } from '../../lib/synth-summary.js';

/**
 * What the docs said wrong (issue 53 item 9), held to the code: the
 * replication role's name in the config schema, the vault order (the
 * Primary stack's deploy fails before the vault is there, not only its
 * replication), and no deprecated CDK call in the docs' snippets.
 */
const ROOT = join(__dirname, '..', '..');
const docs = () =>
  [
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f)),
    'README.md',
  ].map((f) => ({
    file: f,
    text: readFileSync(join(ROOT, f), 'utf8'),
  }));

describe('names and claims the docs hold to the code', () => {
  it('the schema names the replication role as lib/deployment.ts makes it (with the primary region)', () => {
    const schema = readFileSync(join(ROOT, 'config', 'schema.json'), 'utf8');
    expect(schema).toContain(replicationRoleName('<name>', '<primary region>'));
    expect(schema).not.toMatch(/redis-dr-<name>-replication\)/);
  });

  it('the vault order: the Primary deploy fails until the vault is deployed (docs, synth summary)', () => {
    for (const { file, text } of docs()) expect(text, file).not.toContain('replication to the vault fails');
    const config = loadConfig(join(__dirname, '..', 'fixtures', 'config', 'vault.json'));
    const lines = vaultLines(config).join('\n');
    expect(lines).toContain(`until ${vaultStackName(config)} is deployed, the deploy of ${stackNames(config).primary} fails`);
  });

  it('no snippet calls Stack.addDependency, which the CDK deprecates for addStackDependency', () => {
    const cdk = readFileSync(join(ROOT, 'node_modules', 'aws-cdk-lib', 'core', 'lib', 'stack.d.ts'), 'utf8');
    expect(cdk).toContain('@deprecated Use `addStackDependency` instead.');
    for (const { file, text } of docs()) expect(text.match(/\.addDependency\(/g) ?? [], file).toEqual([]);
  });
});
