/**
 * Worst-case running time of an Amazon States Language definition, read
 * from the definition itself: every Task at its `TimeoutSeconds` on every
 * attempt, every retrier exhausted with its backoff at the maximum, every
 * Wait in full, every bounded loop at its maximum number of rounds.
 *
 * Pure: reads ASL as JSON (the rendered template, or a CDK graph's
 * `toGraphJson()`), no CDK constructs, no AWS.
 *
 * @see https://states-language.net/spec.html#retrying-after-error (retrier defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0)
 */

/** A state as far as the budget reads it. */
export interface BudgetState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly TimeoutSeconds?: number;
  readonly Seconds?: number;
  readonly Choices?: readonly Record<string, unknown>[];
  readonly Retry?: readonly {
    ErrorEquals: readonly string[];
    MaxAttempts?: number;
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
  }[];
  readonly Catch?: readonly { ErrorEquals?: readonly string[]; Next: string }[];
  readonly Parameters?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** A definition as far as the budget reads it. */
export interface BudgetDefinition {
  readonly StartAt: string;
  readonly States: Record<string, BudgetState>;
  readonly TimeoutSeconds?: number;
}

/** A loop the walker found, with the bound it read from the definition. */
export interface BudgetLoop {
  /** The state the loop returns to. */
  readonly head: string;
  /** Full rounds at most (a `NumericGreaterThanEquals` on a counter the loop increments by 1 from 0). */
  readonly bound: number;
  /** Worst-case seconds of one round. */
  readonly round: number;
}

/** Worst-case seconds of a definition's phases. */
export interface AslBudget {
  /** From `StartAt` until a cleanup start (or the report) is reached. */
  readonly work: number;
  /** From the slowest cleanup start until the report. */
  readonly cleanup: number;
  /** From the report to the end. */
  readonly report: number;
  /** The slowest path from `StartAt` to the end (never more than work + cleanup + report). */
  readonly total: number;
  readonly loops: readonly BudgetLoop[];
}

/** Where a definition's phases start. */
export interface BudgetPhases {
  /** States where the main work has ended and cleanup begins (those absent from the definition are skipped). */
  readonly cleanupStarts: readonly string[];
  /** The state that sends the report. */
  readonly report: string;
  /**
   * Seconds every state entered adds: Step Functions' own time for a transition.
   * @default 0
   */
  readonly stateSeconds?: number;
}

/** Seconds one Task state may take in the worst case: every attempt times out, every retrier is exhausted. */
export function taskWorstCase(name: string, state: BudgetState): number {
  if (state.TimeoutSeconds === undefined) throw new Error(`${name}: a Task without TimeoutSeconds has no worst case; give it a timeout`);
  let attempts = 1;
  let waits = 0;
  // Each retrier keeps its own count: alternating errors can exhaust every one of them.
  for (const r of state.Retry ?? []) {
    const max = r.MaxAttempts ?? 3;
    attempts += max;
    for (let i = 0; i < max; i++) waits += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** i, r.MaxDelaySeconds ?? Infinity);
  }
  return attempts * state.TimeoutSeconds + waits;
}

function ownCost(name: string, s: BudgetState): number {
  switch (s.Type) {
    case 'Task':
      return taskWorstCase(name, s);
    case 'Wait':
      if (typeof s.Seconds !== 'number') throw new Error(`${name}: only a Wait with fixed Seconds has a worst case`);
      return s.Seconds;
    case 'Pass':
    case 'Choice':
    case 'Succeed':
    case 'Fail':
      return 0;
    default:
      throw new Error(`${name}: no worst case for a ${s.Type} state`);
  }
}

function successors(s: BudgetState): string[] {
  const out = new Set<string>();
  if (s.Next) out.add(s.Next);
  if (s.Default) out.add(s.Default);
  for (const c of s.Choices ?? []) if (typeof c.Next === 'string') out.add(c.Next);
  for (const c of s.Catch ?? []) out.add(c.Next);
  return [...out];
}

/** Loop heads: states a depth-first walk from StartAt comes back to. */
function loopHeads(def: BudgetDefinition): Set<string> {
  const heads = new Set<string>();
  const done = new Set<string>();
  const onPath = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (onPath.has(name)) {
      heads.add(name);
      return;
    }
    onPath.add(name);
    for (const n of successors(state(def, name))) visit(n);
    onPath.delete(name);
    done.add(name);
  };
  visit(def.StartAt);
  return heads;
}

function state(def: BudgetDefinition, name: string): BudgetState {
  const s = def.States[name];
  if (!s) throw new Error(`the definition names a state ${JSON.stringify(name)} it does not have`);
  return s;
}

/**
 * The bound of the loop at `head`: a Choice in it that leaves when a
 * counter is `NumericGreaterThanEquals` N, and a Pass in it that adds 1 to
 * that counter (`States.MathAdd(<counter>, 1)`). The counter starts at 0
 * (the definition's own initial slot), so at most N full rounds.
 */
function loopBound(def: BudgetDefinition, head: string, members: ReadonlySet<string>): number {
  for (const name of members) {
    const s = state(def, name);
    for (const rule of s.Type === 'Choice' ? (s.Choices ?? []) : []) {
      const variable = rule.Variable;
      const bound = rule.NumericGreaterThanEquals;
      if (typeof variable !== 'string' || typeof bound !== 'number') continue;
      const increments = [...members].some((m) => {
        const p = state(def, m);
        return p.Type === 'Pass' && Object.values(p.Parameters ?? {}).some((v) => v === `States.MathAdd(${variable}, 1)`);
      });
      if (increments) return bound;
    }
  }
  throw new Error(
    `the loop back to ${JSON.stringify(head)} has no bound the budget can read (a Choice leaving at a counter >= N that the loop increments by 1)`,
  );
}

/**
 * Worst-case seconds of `def`, by phase. Throws when a Task has no
 * timeout, a Wait no fixed time, or a loop no readable bound.
 */
export function aslBudget(def: BudgetDefinition, phases: BudgetPhases): AslBudget {
  const heads = loopHeads(def);
  const loops = new Map<string, BudgetLoop>();
  const stateCost = (name: string, s: BudgetState) => ownCost(name, s) + (phases.stateSeconds ?? 0);

  /** Longest path from `name`; `target` ends it (reached = 0), `blocked` states are dead ends, `stop` states end it at no cost. */
  const longest = (
    name: string,
    o: { stop: ReadonlySet<string>; target?: string; blocked: ReadonlySet<string> },
    stack: Set<string>,
    memo: Map<string, number>,
  ): number => {
    if (o.target === name && stack.size > 0) return 0;
    // Measuring a round: only a way back to the head counts.
    if (o.stop.has(name)) return o.target === undefined ? 0 : -Infinity;
    if (o.blocked.has(name)) return -Infinity;
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (stack.has(name)) throw new Error(`the loop back to ${JSON.stringify(name)} sits inside another loop; the budget reads single loops only`);
    const s = state(def, name);
    let result: number;
    if (heads.has(name) && o.target !== name) {
      const loop = measureLoop(name, o.stop);
      // Full rounds back to the head, then the round that leaves.
      const exit = exitCost(name, o, stack);
      result = loop.bound * loop.round + exit;
    } else {
      stack.add(name);
      const next = successors(s).map((n) => longest(n, o, stack, memo));
      stack.delete(name);
      const terminal = s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true;
      const best = Math.max(terminal && o.target === undefined ? 0 : -Infinity, ...next);
      result = best === -Infinity ? -Infinity : stateCost(name, s) + best;
    }
    memo.set(name, result);
    return result;
  };

  const exitCost = (head: string, o: { stop: ReadonlySet<string>; blocked: ReadonlySet<string> }, stack: Set<string>): number => {
    const blocked = new Set([...o.blocked, head]);
    const s = state(def, head);
    stack.add(head);
    const next = successors(s).map((n) => longest(n, { stop: o.stop, blocked }, stack, new Map()));
    stack.delete(head);
    const best = Math.max(-Infinity, ...next);
    return best === -Infinity ? -Infinity : stateCost(head, s) + best;
  };

  const measureLoop = (head: string, stop: ReadonlySet<string>): BudgetLoop => {
    const key = [head, ...stop].join('\n');
    const cached = loops.get(key);
    if (cached) return cached;
    // Members: states on some path from the head back to it.
    const members = new Set<string>();
    const reaches = new Map<string, boolean>();
    const walk = (name: string, seen: Set<string>): boolean => {
      if (name === head && seen.size > 0) return true;
      if (reaches.has(name)) return reaches.get(name)!;
      if (seen.has(name) || stop.has(name)) return false;
      seen.add(name);
      let back = false;
      for (const n of successors(state(def, name))) if (walk(n, seen)) back = true;
      seen.delete(name);
      reaches.set(name, back);
      if (back) members.add(name);
      return back;
    };
    walk(head, new Set());
    members.add(head);
    const round = longest(head, { stop, target: head, blocked: new Set() }, new Set(), new Map());
    const loop = { head, bound: loopBound(def, head, members), round };
    loops.set(key, loop);
    return loop;
  };

  const present = phases.cleanupStarts.filter((n) => n in def.States);
  const ends = new Set([...present, phases.report]);
  const finite = (n: number, what: string): number => {
    if (!Number.isFinite(n)) throw new Error(`no path ${what}`);
    return n;
  };
  const work = finite(longest(def.StartAt, { stop: ends, blocked: new Set() }, new Set(), new Map()), `from ${def.StartAt}`);
  const toReport = new Set([phases.report]);
  const cleanup = Math.max(0, ...present.map((n) => finite(longest(n, { stop: toReport, blocked: new Set() }, new Set(), new Map()), `from ${n}`)));
  const report = finite(longest(phases.report, { stop: new Set(), blocked: new Set() }, new Set(), new Map()), `from ${phases.report}`);
  const total = finite(longest(def.StartAt, { stop: new Set(), blocked: new Set() }, new Set(), new Map()), `from ${def.StartAt}`);
  const measured = [...new Map([...loops.values()].map((l) => [l.head, l])).values()];
  return { work, cleanup, report, total, loops: measured };
}

/**
 * What is wrong with a definition's time budget: its work may outlast
 * `workSeconds`, or work + cleanup + report (or its slowest path) may
 * outlast its own `TimeoutSeconds`. Empty when everything fits.
 */
export function budgetProblems(def: BudgetDefinition, phases: BudgetPhases, workSeconds: number): string[] {
  const b = aslBudget(def, phases);
  const timeout = def.TimeoutSeconds;
  const problems: string[] = [];
  if (timeout === undefined) return ['the definition has no TimeoutSeconds'];
  if (b.work > workSeconds) problems.push(`the work may take ${b.work} s, more than its ${workSeconds} s`);
  if (b.work + b.cleanup + b.report > timeout) {
    problems.push(
      `work ${b.work} s + cleanup ${b.cleanup} s + report ${b.report} s = ${b.work + b.cleanup + b.report} s, more than the timeout of ${timeout} s`,
    );
  }
  if (b.total > timeout) problems.push(`the slowest path takes ${b.total} s, more than the timeout of ${timeout} s`);
  return problems;
}
