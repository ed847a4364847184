import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FAILING_CONTROLS, DEFAULT_FAILING_NIST_RULES } from '../support/governance-expectations.js';

/** The "Governed accounts" section of docs/deploying.md. */
function governedSection(): string {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'deploying.md'), 'utf8');
  const start = doc.indexOf('\n## Governed accounts\n');
  expect(start, 'docs/deploying.md has a "Governed accounts" section').toBeGreaterThan(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** First cells of the table rows that name a control or rule. */
function tableIds(section: string, pattern: RegExp): string[] {
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!).filter((id) => pattern.test(id));
}

describe('docs/deploying.md: governed accounts', () => {
  it('lists exactly the Control Tower controls the default config fails (test/lib/governed-accounts.test.ts pins them)', () => {
    expect(tableIds(governedSection(), /^CT\./).sort()).toEqual([...DEFAULT_FAILING_CONTROLS].sort());
  });

  it('lists exactly the NIST 800-53 rev 5 rules the default config fails', () => {
    expect(tableIds(governedSection(), /^NIST\./).sort()).toEqual([...DEFAULT_FAILING_NIST_RULES].sort());
  });
});
