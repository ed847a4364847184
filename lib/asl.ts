/**
 * A synthesized state machine as runnable Amazon States Language: the
 * template's `DefinitionString` with its CloudFormation references replaced
 * by stand-ins. What Step Functions would run, for a local executor (the
 * tests' and `npm run demo`'s, aws-local-stepfunctions).
 *
 * Pure: reads a template as JSON, no CDK constructs, no AWS.
 */

/** One ASL state, as far as the callers read it. */
export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Parameters?: Record<string, unknown>;
  readonly Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number }[];
  readonly Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  readonly Seconds?: number;
  readonly [key: string]: unknown;
}

/** An ASL definition. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
}

/** A CloudFormation template, as far as it is read here. */
export interface TemplateJson {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

/** The values pseudo parameters and function ARNs take in the rendered definition. */
export interface StandIns {
  readonly region: string;
  readonly account: string;
  /**
   * Values of the template's own parameters (`network.fromSsm`'s, as CloudFormation would resolve them): a `Ref` to
   * one is its value, a list's joined by the `Fn::Join` that holds it.
   * @default - none: a `Ref X` renders as `X`
   */
  readonly parameters?: Readonly<Record<string, string | readonly string[]>>;
}

/** The stand-ins the tests have always used. */
export const DEFAULT_STAND_INS: StandIns = { region: 'eu-west-1', account: '000000000000' };

/** The stand-in ARN a function's `Fn::GetAtt [<logicalId>, Arn]` becomes: `arn:aws:lambda:<region>:<account>:function:<logicalId>`. */
export function lambdaStandInArn(logicalId: string, standIns: StandIns = DEFAULT_STAND_INS): string {
  return `arn:aws:lambda:${standIns.region}:${standIns.account}:function:${logicalId}`;
}

/**
 * The definition of the template's drill state machine, or of the DR stack's
 * verify state machine (`which`), with `Fn::GetAtt [X, Arn]` rendered as
 * {@link lambdaStandInArn}, pseudo parameters as `standIns`, and any other
 * `Ref X` as `X`.
 * @throws Error when the template holds not exactly one such state machine.
 */
export function stateMachineDefinition(template: TemplateJson, which: 'drill' | 'verify' = 'drill', standIns: StandIns = DEFAULT_STAND_INS): AslDefinition {
  // The DR stack holds the verify state machine (DrCopies) beside the drill's.
  const machines = Object.entries(template.Resources ?? {})
    .filter(([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && /VerifyStateMachine/.test(id) === (which === 'verify'))
    .map(([, m]) => m);
  if (machines.length !== 1) throw new Error(`expected one ${which} state machine, found ${machines.length}`);
  return JSON.parse(renderIntrinsic(machines[0]!.Properties?.DefinitionString, standIns)) as AslDefinition;
}

/** A CloudFormation intrinsic (`Fn::Join`, `Fn::GetAtt`, `Ref`) rendered with the stand-ins, as in {@link stateMachineDefinition}. */
export function renderIntrinsic(value: unknown, s: StandIns = DEFAULT_STAND_INS): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[] | { Ref: string }];
    if (!Array.isArray(parts)) {
      // A list parameter joined whole (lib/constructs/network-parameters.ts idListParameter).
      const list = s.parameters?.[parts.Ref];
      if (!Array.isArray(list)) throw new Error(`cannot render Fn::Join over ${JSON.stringify(parts)}: give the list parameter's value in the stand-ins`);
      return list.join(sep);
    }
    return parts.map((p) => renderIntrinsic(p, s)).join(sep);
  }
  if (v['Fn::GetAtt']) return lambdaStandInArn((v['Fn::GetAtt'] as string[])[0]!, s);
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::Region') return s.region;
  if (v.Ref === 'AWS::AccountId') return s.account;
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  const parameter = typeof v.Ref === 'string' ? s.parameters?.[v.Ref] : undefined;
  if (typeof parameter === 'string') return parameter;
  if (parameter !== undefined) throw new Error(`cannot render the list parameter ${String(v.Ref)} as a string`);
  if (v.Ref) return String(v.Ref);
  throw new Error(`cannot render ${JSON.stringify(value).slice(0, 200)}`);
}
