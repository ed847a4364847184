import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every relative link in README.md and docs/ leads somewhere: the file
 * exists, and an anchor (`#section`) is a heading of that file, as GitHub
 * makes its anchors. Moving a section from one page to another must take
 * the links to it along.
 */

const ROOT = join(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
  });
}

/** Lines outside fenced code blocks, numbered from 1. */
function prose(text: string): [number, string][] {
  let inBlock = false;
  const out: [number, string][] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) inBlock = !inBlock;
    else if (!inBlock) out.push([i + 1, line]);
  });
  return out;
}

/** GitHub's anchors of a markdown text: headings lowercased, punctuation dropped, spaces to dashes, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, line] of prose(text)) {
    const m = /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links that lead nowhere: a missing file, or an anchor the target has no heading for. */
function brokenLinks(file: string, text: string, read: (path: string) => string | undefined): string[] {
  const broken: string[] = [];
  // Inline code is not a link (a span may break across lines: keep the line count).
  const lines = prose(text);
  const plain = lines
    .map(([, l]) => l)
    .join('\n')
    .replace(/`[^`]*`/g, (code) => '\n'.repeat(code.split('\n').length - 1))
    .split('\n');
  for (const [i, line] of plain.entries()) {
    const n = lines[i]![0];
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1]!;
      if (/^[a-z]+:/.test(href)) continue;
      const [path, anchor] = href.split('#') as [string, string | undefined];
      const target = path === '' ? file : join(dirname(file), path);
      const where = `${relative(ROOT, file)}:${n}: ${href}`;
      const content = read(target);
      if (content === undefined) broken.push(`${where}: no such file`);
      else if (anchor !== undefined && target.endsWith('.md') && !anchors(content).has(anchor)) broken.push(`${where}: no heading for #${anchor}`);
    }
  }
  return broken;
}

function readIfExists(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
}

describe('links in README.md and docs/', () => {
  it('lead to a file that exists and a heading it has', () => {
    const files = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))];
    expect(files.flatMap((f) => brokenLinks(f, readFileSync(f, 'utf8'), readIfExists))).toEqual([]);
  });

  it.each([
    ['a missing file', '[x](nowhere.md)', /no such file/],
    ['an anchor the target has no heading for', '[x](#operator-cli)', /no heading for #operator-cli/],
  ])('reports %s', (_what, link, problem) => {
    const text = ['# Title', '## Operator CLI commands', link].join('\n');
    const file = join(ROOT, 'docs', 'x.md');
    expect(brokenLinks(file, text, (p) => (p === file ? text : undefined)).join('\n')).toMatch(problem);
  });

  it("makes GitHub's anchors: punctuation dropped, repeats numbered", () => {
    expect([...anchors('## The demo: `npm run demo`\n## Deploy (per account)\n## Steps\n## Steps')]).toEqual([
      'the-demo-npm-run-demo',
      'deploy-per-account',
      'steps',
      'steps-1',
    ]);
  });
});
