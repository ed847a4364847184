import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Runbook paths have one source, the alert catalog's RUNBOOKS: a path
 * written again in a message (doctor, selftest, export, drills, the CLI)
 * drifts from the file when the runbook moves. Comments may name them.
 */
const ROOT = join(__dirname, '..', '..');
const CATALOG = 'lambdas/domain/alerting/catalog.ts';
const PATH = /docs\/runbooks\/[a-z-]+\.md/;

/** Lines of code (not comments) that spell a runbook path, as `file:line: text`. */
function runbookLiterals(files: readonly { name: string; text: string }[]): string[] {
  const out: string[] = [];
  for (const { name, text } of files) {
    if (name === CATALOG) continue;
    text.split('\n').forEach((line, i) => {
      const code = line.trim();
      if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return;
      if (PATH.test(code)) out.push(`${name}:${i + 1}: ${code.slice(0, 120)}`);
    });
  }
  return out;
}

describe('runbook paths', () => {
  it('are spelled once, in the alert catalog: no message of lambdas/, lib/ or cli/ writes one again', () => {
    const names = execFileSync('git', ['ls-files', 'lambdas', 'lib', 'cli'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts'));
    expect(runbookLiterals(names.map((name) => ({ name, text: readFileSync(join(ROOT, name), 'utf8') })))).toEqual([]);
  });

  it('the check sees a planted one, and not one in a comment', () => {
    const planted = [{ name: 'cli/x.ts', text: "// see docs/runbooks/corruption.md\nconst fix = 'see docs/runbooks/corruption.md';\n" }];
    expect(runbookLiterals(planted)).toEqual(["cli/x.ts:2: const fix = 'see docs/runbooks/corruption.md';"]);
  });
});
