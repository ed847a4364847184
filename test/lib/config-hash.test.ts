import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_HASH_OUTPUT, configHash } from '../../lib/deployment.js';
import { basicConfig, synthesize, type Synthesized } from '../support/synth.js';

describe('ConfigHash: the config a stack was deployed from', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(basicConfig());
  });
  afterAll(() => synth.cleanup());

  it('both stacks output the fingerprint of the validated config (what redis-dr doctor compares)', () => {
    const hash = configHash(basicConfig());
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    for (const template of [synth.primary, synth.dr]) {
      expect(template.toJSON().Outputs[CONFIG_HASH_OUTPUT]).toMatchObject({ Value: hash });
    }
  });

  it('is the same for the same config however its keys are ordered, and changes with any value', () => {
    const config = basicConfig();
    const reordered = Object.fromEntries(Object.entries(config).reverse()) as typeof config;
    expect(configHash(reordered)).toBe(configHash(config));
    expect(configHash({ ...config, plans: [{ ...config.plans[0]!, rpoMinutes: config.plans[0]!.rpoMinutes + 1 }, ...config.plans.slice(1)] })).not.toBe(
      configHash(config),
    );
  });
});
