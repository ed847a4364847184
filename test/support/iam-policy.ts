/**
 * A small evaluator of identity-policy Allow statements from a synthesized
 * template, for tests that ask "would IAM allow this request?". It covers what
 * the project's roles use: Action and Resource wildcards (`*`, `?`), and the
 * condition operators StringEquals, StringLike, Null, their `…IfExists` and
 * `ForAllValues:` / `ForAnyValue:` forms. Anything else throws, so a test never passes on an
 * operator the evaluator does not understand. Deny statements are not modelled
 * (the project's roles have none).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */

/** An IAM statement as it appears in a template (intrinsics allowed in Resource). */
export interface TemplateStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** One authorization IAM makes: an action on one resource, with the request context keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Context keys (`aws:RequestTag/k`, `aws:ResourceTag/k`, `aws:TagKeys`…); absent keys are left out. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

/** Values of pseudo parameters and references used to render `Fn::Join` / `Ref` / `Fn::GetAtt` resources. */
export type RefValues = Readonly<Record<string, string>>;

/** Renders a template value with intrinsics to text: `Ref`s and `GetAtt`s from `refs`. */
export function renderIntrinsic(value: unknown, refs: RefValues): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return lookup(refs, String(v.Ref));
  if ('Fn::GetAtt' in v) return lookup(refs, (v['Fn::GetAtt'] as string[]).join('.'));
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => renderIntrinsic(p, refs)).join(sep);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

function lookup(refs: RefValues, key: string): string {
  const found = refs[key];
  if (found === undefined) throw new Error(`no value for ${key}; pass it in refs`);
  return found;
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
export function iamGlob(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  return re.test(value);
}

/** The Sids of the statements that allow `request` (empty: denied by default). */
export function allowingStatements(statements: readonly TemplateStatement[], request: IamRequest, refs: RefValues): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .filter((s) => list(s.Action).some((a) => iamGlob(a, request.action, true)))
    .filter((s) => list(s.Resource).some((r) => iamGlob(renderIntrinsic(r, refs), request.resource)))
    .filter((s) => conditionsHold(s.Condition ?? {}, request.context))
    .map((s) => s.Sid ?? '(no sid)');
}

function list<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? value : [value as T];
}

function conditionsHold(conditions: NonNullable<TemplateStatement['Condition']>, context: IamRequest['context']): boolean {
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, context[key], list(expected))),
  );
}

function conditionHolds(operator: string, actual: string | readonly string[] | undefined, expected: readonly string[]): boolean {
  // `…IfExists`: true when the key is absent, else the operator without the suffix.
  if (operator.endsWith('IfExists')) return actual === undefined || conditionHolds(operator.slice(0, -'IfExists'.length), actual, expected);
  const [qualifier, base] = operator.includes(':') ? operator.split(':') : [undefined, operator];
  if (!['StringEquals', 'StringLike', 'Null'].includes(base!)) unknown(operator);
  const match = (value: string) =>
    base === 'StringEquals' ? expected.includes(value) : base === 'StringLike' ? expected.some((e) => iamGlob(e, value)) : unknown(operator);
  if (base === 'Null') {
    if (qualifier) unknown(operator);
    return (actual === undefined) === (expected[0] === 'true');
  }
  if (qualifier === 'ForAllValues') return actual === undefined || list(actual).every(match);
  if (qualifier === 'ForAnyValue') return actual !== undefined && list(actual).some(match);
  if (qualifier !== undefined) unknown(operator);
  // A single-valued operator on an absent key does not match.
  return actual !== undefined && !Array.isArray(actual) && match(actual as string);
}

function unknown(operator: string): never {
  throw new Error(`condition operator ${operator} is not modelled by test/support/iam-policy.ts`);
}
