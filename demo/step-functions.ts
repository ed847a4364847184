/**
 * Runs a synthesized state machine (lib/asl.ts) on this machine with
 * aws-local-stepfunctions, doing for each Task what Step Functions does:
 *
 * - an AWS SDK integration (`arn:aws:states:::aws-sdk:<service>:<action>`)
 *   sends `<Action>Command` with the state's parameters through the given
 *   SDK client of that service (in the demo, one answered by the local
 *   provider) and returns the output without `$metadata`; a failed call
 *   fails the state with `<Service>.<error name>` (e.g.
 *   `ElastiCache.ReplicationGroupNotFoundFault`), which the definition's
 *   Retry and Catch match;
 * - a Lambda task (the function's ARN as the resource, as the CDK writes a
 *   `LambdaInvoke` with `payloadResponseOnly`) calls the given handler with
 *   the payload; a thrown error fails the state with its name and, as Lambda
 *   does, a JSON cause `{errorType, errorMessage}`.
 *
 * Every Task of the definition must have an answer: one without fails
 * before the execution starts. Time is compressed: Wait states last
 * `waitMs`, retries wait `retryMs`; nothing else about the definition
 * changes. `$$.State.EnteredTime` is the wall-clock time when it is read
 * (Pass states read it as they run), so the timings the drill records are
 * real.
 */
import './polyfills.js';
import { ExecutionError } from 'aws-local-stepfunctions';
import * as elastiCache from '@aws-sdk/client-elasticache';
import * as secretsManager from '@aws-sdk/client-secrets-manager';
import type { AslDefinition } from '../lib/asl.js';
import { localStateMachine } from './local-machine.js';

/** A client of a service, as far as it is used here. */
interface SdkClient {
  send(command: unknown): Promise<Record<string, unknown>>;
}

/** The command modules of the services whose SDK integrations can be answered, with the error prefix Step Functions gives them. */
const SERVICES: Record<string, { readonly prefix: string; readonly commands: Record<string, unknown> }> = {
  elasticache: { prefix: 'ElastiCache', commands: elastiCache },
  secretsmanager: { prefix: 'SecretsManager', commands: secretsManager },
};

/** What answers the Tasks. */
export interface TaskAnswers {
  /** SDK clients by the service name in the resource ARN (`elasticache`, `secretsmanager`). */
  readonly sdk: Readonly<Record<string, SdkClient>>;
  /** Lambda handlers by function ARN (as rendered in the definition). */
  readonly lambdas: Readonly<Record<string, (payload: unknown) => Promise<unknown>>>;
}

/** Options of {@link runStateMachine}. */
export interface RunOptions extends TaskAnswers {
  /** The execution's name (`$$.Execution.Name`). */
  readonly executionName: string;
  /**
   * The execution's ARN (`$$.Execution.Id`, which the drill's report names in its record).
   * @default arn:aws:states:local:000000000000:execution:local:<executionName>
   */
  readonly executionArn?: string;
  /** How long each Wait state lasts (ms). */
  readonly waitMs: number;
  /** How long each retry waits (ms). */
  readonly retryMs: number;
  /** Aborts the execution. */
  readonly signal?: AbortSignal;
}

/** How an execution ended. */
export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output?: unknown;
  /** A failed execution's error and cause. */
  readonly error?: string;
  readonly cause?: string;
  /** The states entered, in order. */
  readonly path: readonly string[];
  readonly seconds: number;
}

/** Task state names whose resource has no answer, with that resource. */
export function unansweredTasks(definition: AslDefinition, answers: TaskAnswers): string[] {
  return Object.entries(definition.States)
    .filter(([, s]) => s.Type === 'Task' && taskHandler(s.Resource ?? '', answers) === undefined)
    .map(([name, s]) => `${name} (${s.Resource})`);
}

function taskHandler(resource: string, answers: TaskAnswers): ((input: unknown) => Promise<unknown>) | undefined {
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (sdk) {
    const [, service, action] = sdk as unknown as [string, string, string];
    const known = SERVICES[service];
    const client = answers.sdk[service];
    const Command = known?.commands[`${action[0]!.toUpperCase()}${action.slice(1)}Command`] as (new (input: unknown) => unknown) | undefined;
    if (!known || !client || !Command) return undefined;
    return async (input) => {
      try {
        const { $metadata: _, ...output } = await client.send(new Command(input));
        return JSON.parse(JSON.stringify(output)) as unknown;
      } catch (err) {
        const name = err instanceof Error ? err.name : 'Error';
        const message = err instanceof Error ? err.message : String(err);
        throw Object.assign(new Error(message), { name: `${known.prefix}.${name}` });
      }
    };
  }
  const lambda = answers.lambdas[resource];
  if (!lambda) return undefined;
  return async (payload) => {
    try {
      // Through JSON both ways, as Lambda does.
      return JSON.parse(JSON.stringify((await lambda(JSON.parse(JSON.stringify(payload)))) ?? null)) as unknown;
    } catch (err) {
      const errorType = err instanceof Error ? err.name : 'Error';
      const errorMessage = err instanceof Error ? err.message : String(err);
      throw Object.assign(new Error(JSON.stringify({ errorType, errorMessage })), { name: errorType });
    }
  };
}

/** Runs one execution to its end (see the module comment). */
export async function runStateMachine(definition: AslDefinition, input: unknown, options: RunOptions): Promise<ExecutionResult> {
  const missing = unansweredTasks(definition, options);
  if (missing.length > 0) throw new Error(`no local answer for the task(s): ${missing.join('; ')}`);
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name, s]) => [name, taskHandler(s.Resource!, options)!]),
  );
  const waitTimeOverrides = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Wait')
      .map(([name]) => [name, options.waitMs]),
  );
  const retryIntervalOverrides = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Retry)
      .map(([name]) => [name, options.retryMs]),
  );

  const machine = localStateMachine(definition);
  const started = performance.now();
  const execution = machine.run(input as never, {
    context: {
      Execution: { Name: options.executionName, Id: options.executionArn ?? `arn:aws:states:local:000000000000:execution:local:${options.executionName}` },
      State: {
        get EnteredTime() {
          return new Date().toISOString();
        },
      },
    } as never,
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, waitTimeOverrides, retryIntervalOverrides },
  });
  const onAbort = () => execution.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const path: string[] = [];
  const events = (async () => {
    for await (const e of execution.eventLogs) if (e.type === 'StateEntered') path.push(e.state.name);
  })();
  try {
    const output = await execution.result;
    return { status: 'SUCCEEDED', output, path, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    const seconds = (performance.now() - started) / 1000;
    if (err instanceof ExecutionError) {
      const cause = (err as Error & { cause?: { name?: string; message?: string } }).cause;
      return { status: 'FAILED', error: cause?.name ?? 'Error', cause: cause?.message ?? err.message, path, seconds };
    }
    if (options.signal?.aborted) return { status: 'ABORTED', path, seconds };
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await events.catch(() => undefined);
  }
}
