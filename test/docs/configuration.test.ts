import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../lib/config/index.js';

type Node = { properties?: Record<string, Node>; items?: Node; anyOf?: Node[] };

/** Leaf setting names of the JSON Schema (the last path segment of each). */
function settingNames(node: Node, out = new Set<string>()): Set<string> {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    out.add(key);
    settingNames(child, out);
    if (child.items) settingNames(child.items, out);
    for (const alt of child.anyOf ?? []) settingNames(alt, out);
  }
  return out;
}

describe('docs/configuration.md', () => {
  it('documents every setting of the config schema', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
    const missing = [...settingNames(configJsonSchema() as Node)].filter((name) => !doc.includes(name));
    expect(missing).toEqual([]);
  });
});
