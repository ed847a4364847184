/**
 * Golden templates: each synthesized template of a fixture config, with the
 * values that change from run to run masked, kept as a committed file
 * (test/fixtures/templates/), so a change that moves code but means to change
 * no resource is shown to change none, and one that means to shows its
 * resource-by-resource diff in review (docs/developing.md).
 *
 * The masks are narrow on purpose: each replaces one kind of value the CDK
 * derives from the build rather than from the construct tree, so any change to
 * a resource's properties, a policy or a state machine definition still shows.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

/** A masked asset object key: `<hash>.zip` (Lambda code, bundled or not, hashes its source). */
export const MASKED_ASSET = '<asset>';
/** A masked path into a synth's output folder (`cdk.out`, or the tests' temporary synth folders). */
export const MASKED_OUTDIR = '<cdk.out>';
/** The CDK's bootstrap version check (its version list changes with the CDK, not with this app). */
export const MASKED_BOOTSTRAP_CHECK = '<CDK bootstrap version check>';
/** A masked ISO 8601 timestamp. */
export const MASKED_TIMESTAMP = '<timestamp>';

// An asset's S3 key (<hash>.zip) or staged folder (asset.<hash>): the CDK's SHA-256 of the asset's source or output.
// A bare 64-digit hex stays: a canonical user id (the ElastiCache grantee of an export bucket) is one.
const ASSET_KEY = /\basset\.[0-9a-f]{64}\b|\b[0-9a-f]{64}(?=\.(?:zip|json)\b)/g;
// An absolute path into a synth's output: the CDK's default `cdk.out`, or the folders test/support/synth.ts makes.
const OUTDIR_PATH = /(?:[A-Za-z]:)?[\\/][^"\s]*?(?:cdk\.out|redis-dr-synths?-[A-Za-z0-9]+)(?:[\\/][^"\s]*)?/g;
// A date and time of day (what a synth stamps when it reads the clock); a bare date stays (configs name dates).
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?\b/g;

/** One string with the run-dependent parts masked. */
function maskString(s: string): string {
  return s
    .replace(OUTDIR_PATH, MASKED_OUTDIR)
    .replace(ASSET_KEY, (m) => (m.startsWith('asset.') ? `asset.${MASKED_ASSET}` : MASKED_ASSET))
    .replace(TIMESTAMP, MASKED_TIMESTAMP);
}

/**
 * A template with the run-dependent values masked and every object's keys
 * sorted (a stable text whatever order the CDK wrote them in):
 * asset hashes (`<hash>.zip` S3 keys, `asset.<hash>` folders), absolute paths
 * into a synth's output folder, date-times, and the CDK's bootstrap version
 * check (`Rules.CheckBootstrapVersion`). Nothing else changes.
 */
export function maskTemplate(template: unknown): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, walk(o[k])]),
    );
  };
  const masked = walk(template) as Record<string, unknown>;
  const rules = masked.Rules as Record<string, unknown> | undefined;
  if (rules?.CheckBootstrapVersion !== undefined) rules.CheckBootstrapVersion = MASKED_BOOTSTRAP_CHECK;
  return masked;
}

/**
 * JSON text that keeps a small object or array on one line (when it fits in
 * `width` columns at its indentation) and puts a larger one's members on lines
 * of their own: a third of the size of two-space JSON, with diffs that still
 * point at the member that changed.
 */
export function compactJson(value: unknown, width = 120): string {
  // Each subtree's one-line text, built once from its members' (stringifying at every level would be quadratic in depth).
  const flatText = new Map<unknown, string>();
  const flat = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    let text = flatText.get(v);
    if (text === undefined) {
      text = Array.isArray(v)
        ? `[${v.map(flat).join(',')}]`
        : `{${Object.entries(v as Record<string, unknown>)
            .filter(([, item]) => item !== undefined)
            .map(([k, item]) => `${JSON.stringify(k)}:${flat(item)}`)
            .join(',')}}`;
      flatText.set(v, text);
    }
    return text;
  };
  const write = (v: unknown, indent: string, room: number): string => {
    const text = flat(v);
    if (v === null || typeof v !== 'object' || text.length <= room) return text;
    const inner = `${indent}  `;
    const lines = Array.isArray(v)
      ? v.map((item) => `${inner}${write(item, inner, width - inner.length - 1)}`)
      : Object.entries(v as Record<string, unknown>)
          .filter(([, item]) => item !== undefined)
          .map(([k, item]) => {
            const key = `${JSON.stringify(k)}: `;
            return `${inner}${key}${write(item, inner, width - inner.length - key.length - 1)}`;
          });
    if (lines.length === 0) return text;
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    return `${open}\n${lines.join(',\n')}\n${indent}${close}`;
  };
  return `${write(value, '', width)}\n`;
}

/** A value shortened for one line of a difference. */
function brief(v: unknown, max = 100): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A path as people read it: `Properties.Policies[0].PolicyDocument`. */
function pathText(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${/^[\w:-]+$/.test(p) ? p : JSON.stringify(p)}`)).join('');
}

/**
 * The differences between a golden template and a synthesized one (both
 * masked), one line each: a resource's logical id, its type, and the property
 * path that differs, with both values (`(none)` where one side has none).
 * `Resources.ExportFunction1234 [AWS::Lambda::Function] Properties.MemorySize: 512 -> 1024`.
 */
export function templateDifferences(golden: unknown, actual: unknown): string[] {
  const out: string[] = [];
  const resourceType = (id: string) =>
    ((actual as any)?.Resources?.[id]?.Type as string | undefined) ?? ((golden as any)?.Resources?.[id]?.Type as string | undefined) ?? '?';
  const line = (path: (string | number)[], a: unknown, b: unknown) => {
    const where =
      path[0] === 'Resources' && typeof path[1] === 'string'
        ? `Resources.${path[1]} [${resourceType(path[1])}]${path.length > 2 ? ` ${pathText(path.slice(2))}` : ''}`
        : pathText(path);
    out.push(`${where}: ${brief(a)} -> ${brief(b)}`);
  };
  const walk = (a: unknown, b: unknown, path: (string | number)[]) => {
    const objects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
    if (!objects) {
      if (JSON.stringify(a) !== JSON.stringify(b)) line(path, a, b);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      // The common head and tail left out, so one statement added to a policy is one difference, not a shift of all after it.
      const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
      let head = 0;
      while (head < a.length && head < b.length && same(a[head], b[head])) head++;
      let tail = 0;
      while (tail < a.length - head && tail < b.length - head && same(a[a.length - 1 - tail], b[b.length - 1 - tail])) tail++;
      for (let i = head; i < Math.max(a.length, b.length) - tail; i++)
        walk(i < a.length - tail ? a[i] : undefined, i < b.length - tail ? b[i] : undefined, [...path, i]);
      return;
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) walk(ao[k], bo[k], [...path, k]);
  };
  walk(golden, actual, []);
  return out;
}

/** How many differences a failure lists (the rest are counted). */
const SHOWN = 10;

/**
 * Compares a synthesized template with its golden file: undefined when they
 * are equal (masked), else a message naming the file and listing the first
 * differences. With `update`, writes the masked template as the golden
 * instead (and returns undefined).
 */
export function checkGolden(goldenFile: string, template: unknown, options: { readonly update: boolean; readonly label: string }): string | undefined {
  const masked = maskTemplate(template);
  if (options.update) {
    writeText(goldenFile, compactJson(masked));
    return undefined;
  }
  const shown = relative(process.cwd(), goldenFile);
  if (!existsSync(goldenFile)) return `${options.label}: no golden template ${shown} (${UPDATE_HINT})`;
  const golden = JSON.parse(readFileSync(goldenFile, 'utf8')) as unknown;
  // Keys are sorted on both sides (maskTemplate, and the golden as written): equal templates give equal text.
  if (JSON.stringify(golden) === JSON.stringify(masked)) return undefined;
  const differences = templateDifferences(golden, masked);
  // Text unequal but no difference: a golden written in another key order (edited by hand) holds the same template.
  if (differences.length === 0) return undefined;
  const more = differences.length > SHOWN ? `\n  … and ${differences.length - SHOWN} more` : '';
  return (
    `${options.label} differs from ${shown} in ${differences.length} place(s) (golden -> synthesized):\n` +
    `${differences
      .slice(0, SHOWN)
      .map((d) => `  ${d}`)
      .join('\n')}${more}\n` +
    `A change meant to change templates: ${UPDATE_HINT}.`
  );
}

/** What to do when a template changed on purpose (docs/developing.md). */
export const UPDATE_HINT = 'run `npm run templates:update` and commit the reviewed diff of test/fixtures/templates/ with the change';

function writeText(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
