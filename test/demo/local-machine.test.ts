import { describe, expect, it } from 'vitest';
import { localStateMachine } from '../../demo/local-machine.js';
import type { AslDefinition } from '../../lib/asl.js';

/** A definition of two states, `Second` reached from `First` (or `next`), with a stand-in ARN. */
function definition(next = 'Second'): AslDefinition {
  return {
    StartAt: 'First',
    States: {
      First: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:First', Next: next },
      Second: { Type: 'Pass', End: true },
    },
  };
}

describe('localStateMachine', () => {
  it('runs the definition it is given, and leaves it as given (the validator writes its defaults into a copy)', async () => {
    const d = definition();
    const given = JSON.stringify(d);
    const calls: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const machine = localStateMachine(d);
      const { result } = machine.run({ n: i }, { overrides: { taskResourceLocalHandlers: { First: async (input) => (calls.push(input), { done: i }) } } });
      expect(await result).toEqual({ done: i });
    }
    expect(calls).toEqual([{ n: 0 }, { n: 1 }]);
    // In place, asl-validator added each state's QueryLanguage: the process no longer knew the definition validated.
    expect(JSON.stringify(d)).toBe(given);
  });

  it('negative: a definition Step Functions refuses (a Next to no state) throws each time it is made, naming the fault', () => {
    const broken = definition('Third');
    for (let i = 0; i < 2; i++) {
      expect(() => localStateMachine(broken)).toThrow(/State machine definition is invalid[\s\S]*MISSING_TRANSITION_TARGET/);
    }
  });
});
