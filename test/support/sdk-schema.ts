/**
 * Checks Step Functions `aws-sdk:<service>:<action>` tasks against the input
 * schemas the AWS SDK v3 clients ship (`@smithy/core/schema` tuples exported
 * as `<Shape>$`): every parameter is a member of the action's input, every
 * required member is given, nested structures, lists and maps have the right
 * shape, static values the right type. asl-validator checks none of it.
 *
 * Schema tuples, as the generated clients write them:
 * - a number: a simple type (0 string, 1 number, 2 boolean, 4–7 timestamp,
 *   15 document, 21/42 blob; `64 | t` a list of `t`, `128 | t` a map of `t`);
 * - `[ref, traits]`: a member with its traits;
 * - `[0, ns, name, traits, ref]`: a named simple type;
 * - `[1, ns, name, traits, member]`: a list;
 * - `[2, ns, name, traits, key, value]`: a map;
 * - `[3, ns, name, traits, names, members, required]`: a structure whose
 *   first `required` members are required;
 * - `[-3, …]` an error, `[9, ns, name, traits, input, output]` an operation.
 */
import type { AslDefinition, AslState } from '../../lib/asl.js';

/** The SDK v3 client package of each Step Functions service name the project calls. */
const CLIENTS: Record<string, string> = {
  elasticache: '@aws-sdk/client-elasticache',
  secretsmanager: '@aws-sdk/client-secrets-manager',
  s3: '@aws-sdk/client-s3',
  sns: '@aws-sdk/client-sns',
  lambda: '@aws-sdk/client-lambda',
  sfn: '@aws-sdk/client-sfn',
};

type SchemaRef = unknown;

/** One problem with one task's parameters: the state, the parameter path, what is wrong. */
export interface SchemaProblem {
  readonly state: string;
  readonly path: string;
  readonly problem: string;
}

/** A client module's exports (its schemas among them). */
function clientOf(service: string): Record<string, unknown> {
  const name = CLIENTS[service];
  if (!name) throw new Error(`no SDK client known for the Step Functions service "${service}": add it to CLIENTS in test/support/sdk-schema.ts`);
  return require(name) as Record<string, unknown>;
}

/** The input structure schema of `action` (camelCase, as in the task ARN). */
export function inputSchemaOf(service: string, action: string): unknown[] {
  const client = clientOf(service);
  const operation = client[`${action[0]!.toUpperCase()}${action.slice(1)}$`];
  if (!Array.isArray(operation) || operation[0] !== 9) throw new Error(`${CLIENTS[service]} has no operation ${action}`);
  return deref(operation[4]) as unknown[];
}

/** The names of the errors `service` models (its `[-3, …]` schemas). */
export function modeledErrorsOf(service: string): string[] {
  return (
    Object.values(clientOf(service))
      // The JS SDK's own base class (`<Service>ServiceException`) sits in a synthetic namespace: not the service's.
      .filter((v): v is unknown[] => Array.isArray(v) && v[0] === -3 && String(v[1]).startsWith('com.amazonaws.'))
      .map((v) => v[2] as string)
  );
}

/** Follows lazy references and member-trait pairs to the schema itself. */
function deref(ref: SchemaRef): unknown {
  let s = ref;
  for (;;) {
    if (typeof s === 'function') s = (s as () => unknown)();
    else if (Array.isArray(s) && s.length === 2) s = s[0];
    else if (Array.isArray(s) && s[0] === 0 && s.length === 5) s = s[4];
    else return s;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Problems of `value` (a static value, or undefined when set by a path) against `schema`. */
function check(schema: SchemaRef, value: unknown, path: string, dynamic: boolean, out: { path: string; problem: string }[]): void {
  const s = deref(schema);
  if (dynamic) return; // A JSONPath or intrinsic: its type is known only at run time.
  if (typeof s === 'number') {
    if (s & 64) {
      checkList(s & ~64, value, path, out);
      return;
    }
    if (s & 128) {
      checkMap(s & ~128, value, path, out);
      return;
    }
    const ok =
      s === 0
        ? typeof value === 'string'
        : s === 1
          ? typeof value === 'number'
          : s === 2
            ? typeof value === 'boolean'
            : s >= 4 && s <= 7
              ? typeof value === 'string' || typeof value === 'number'
              : true;
    if (!ok)
      out.push({
        path,
        problem: `has the wrong type: got ${JSON.stringify(value)}, the schema wants ${['a string', 'a number', 'a boolean'][s] ?? 'a timestamp'}`,
      });
    return;
  }
  const tuple = s as unknown[];
  if (tuple[0] === 1) {
    checkList(tuple[4], value, path, out);
    return;
  }
  if (tuple[0] === 2) {
    checkMap(tuple[5], value, path, out);
    return;
  }
  if (tuple[0] === 3) {
    checkStructure(tuple, value, path, out);
    return;
  }
  throw new Error(`unknown schema tuple at ${path}: ${JSON.stringify(tuple).slice(0, 80)}`);
}

function checkList(member: SchemaRef, value: unknown, path: string, out: { path: string; problem: string }[]): void {
  if (!Array.isArray(value)) return void out.push({ path, problem: `must be a list, got ${JSON.stringify(value)}` });
  value.forEach((item, i) => {
    check(member, item, `${path}[${i}]`, false, out);
  });
}

function checkMap(member: SchemaRef, value: unknown, path: string, out: { path: string; problem: string }[]): void {
  if (!isObject(value)) return void out.push({ path, problem: `must be a map, got ${JSON.stringify(value)}` });
  for (const [key, item] of Object.entries(value)) check(member, item, `${path}.${key.replace(/\.\$$/, '')}`, key.endsWith('.$'), out);
}

function checkStructure(tuple: unknown[], value: unknown, path: string, out: { path: string; problem: string }[]): void {
  if (!isObject(value)) return void out.push({ path, problem: `must be an object (${tuple[2] as string}), got ${JSON.stringify(value)}` });
  const names = tuple[4] as string[];
  const members = tuple[5] as SchemaRef[];
  const required = (tuple[6] as number | undefined) ?? 0;
  const given = new Map(Object.keys(value).map((k) => [k.replace(/\.\$$/, ''), k]));
  for (const [name, key] of given) {
    const at = names.indexOf(name);
    const here = path ? `${path}.${name}` : name;
    if (at < 0) {
      out.push({ path: here, problem: `is not a member of ${tuple[2] as string} (members: ${names.join(', ')})` });
      continue;
    }
    check(members[at], value[key], here, key.endsWith('.$'), out);
  }
  for (const name of names.slice(0, required)) {
    if (!given.has(name)) out.push({ path: path ? `${path}.${name}` : name, problem: `is required by ${tuple[2] as string} but not given` });
  }
}

/** The problems of one task state's `Parameters` against its action's input schema. */
export function checkTaskParameters(service: string, action: string, parameters: Record<string, unknown> | undefined): { path: string; problem: string }[] {
  const out: { path: string; problem: string }[] = [];
  checkStructure(inputSchemaOf(service, action), parameters ?? {}, '', out);
  return out;
}

/** Every state of a definition, nested ones (Map, Parallel) included, by name. */
export function allStates(definition: Pick<AslDefinition, 'States'>): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])].filter(isObject) as Pick<
      AslDefinition,
      'States'
    >[];
    return [[name, state] as [string, AslState], ...nested.flatMap(allStates)];
  });
}

/** `[service, action]` of an `arn:aws:states:::aws-sdk:<service>:<action>` task, or undefined for other states. */
export function sdkTaskOf(state: AslState): [string, string] | undefined {
  const match = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)(?:\.\w+)?$/.exec(state.Type === 'Task' ? (state.Resource ?? '') : '');
  return match ? [match[1]!, match[2]!] : undefined;
}

/** Every aws-sdk task of a definition checked against its schema. */
export function checkDefinition(definition: AslDefinition): { tasks: number; problems: SchemaProblem[] } {
  let tasks = 0;
  const problems: SchemaProblem[] = [];
  for (const [name, state] of allStates(definition)) {
    const task = sdkTaskOf(state);
    if (!task) continue;
    tasks++;
    for (const p of checkTaskParameters(task[0], task[1], state.Parameters)) problems.push({ state: name, ...p });
  }
  return { tasks, problems };
}

/** The Step Functions prefix of each service's errors (`<Prefix>.<Name>`), as its docs spell it. */
const ERROR_PREFIXES: Record<string, string> = {
  elasticache: 'ElastiCache',
  secretsmanager: 'SecretsManager',
  s3: 'S3',
  sns: 'Sns',
  lambda: 'Lambda',
  sfn: 'Sfn',
};

/** The base exception each service's unmodeled errors (`Throttling` among them) surface as. */
const BASE_EXCEPTIONS: Record<string, string> = { elasticache: 'ElastiCacheException', secretsmanager: 'SecretsManagerException', s3: 'S3Exception' };

/**
 * The error names a service's aws-sdk tasks can raise in Step Functions,
 * `<Prefix>.<Name>`. The guide's rule is "the error name the service gives,
 * with an `Exception` suffix added where it lacks one" (its example:
 * S3's `BucketAlreadyExists` is `S3.BucketAlreadyExistsException`); the SDK
 * Step Functions calls names ElastiCache's `…Fault` shapes `…Exception`
 * (`ReplicationGroupNotFoundException`). Which of the two an ElastiCache
 * fault surfaces as cannot be observed here, so every modeled error counts
 * under both spellings and as written; unmodeled errors surface as the
 * service's base exception, or as their code with the suffix (throttling:
 * `Throttling` / `ThrottlingException`). A name outside this set is a typo
 * or an error the service never raises.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 */
export function sfnErrorNamesOf(service: string): Set<string> {
  const prefix = ERROR_PREFIXES[service] ?? service;
  const suffixed = (n: string) => (n.endsWith('Exception') ? n : `${n}Exception`);
  const names = modeledErrorsOf(service).flatMap((n) => [n, suffixed(n), suffixed(n.replace(/Fault$/, ''))]);
  return new Set([...names, BASE_EXCEPTIONS[service] ?? `${prefix}Exception`, 'ThrottlingException'].map((n) => `${prefix}.${n}`));
}

/** Error names in the Retry and Catch of aws-sdk tasks that their service cannot raise (`States.*` always can). */
export function unknownErrorNames(definition: AslDefinition): { state: string; name: string }[] {
  const out: { state: string; name: string }[] = [];
  for (const [state, s] of allStates(definition)) {
    const task = sdkTaskOf(s);
    if (!task) continue;
    const known = sfnErrorNamesOf(task[0]);
    for (const name of [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals)) {
      if (!name.startsWith('States.') && !known.has(name)) out.push({ state, name });
    }
  }
  return out;
}
