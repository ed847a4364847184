/**
 * Placeholder values: what config/example.json holds where a real deployment
 * needs its own values (network ids of zeros, `replace-me` names and ARNs).
 * A config holding them is for learning only: it validates only when it says
 * `"example": true`, and such stacks cannot be deployed (lib/app.ts adds a
 * CloudFormation rule that fails every create and update).
 */
import type { RedisDrConfig } from './schema.js';

/** True for a value the example config uses as a stand-in. */
export function isPlaceholder(value: string): boolean {
  return /replace-me/.test(value) || /^(vpc|subnet|sg)-0+[0-9a-f]?$/.test(value);
}

/** Where a config holds placeholder values, as `path` and the first such value. */
export function placeholderSettings(config: Pick<RedisDrConfig, 'network' | 'dr' | 'plans'>): { path: string; value: string }[] {
  const found: { path: string; value: string }[] = [];
  for (const [where, network] of [
    ['network', config.network],
    ['dr.network', config.dr.network],
  ] as const) {
    if (!network) continue;
    for (const [key, value] of Object.entries(network)) {
      const values = Array.isArray(value) ? value : [value];
      const hit = values.find((v): v is string => typeof v === 'string' && isPlaceholder(v));
      if (hit !== undefined) found.push({ path: `${where}.${key}`, value: hit });
    }
  }
  for (const [i, plan] of config.plans.entries()) {
    if (plan.probe.authSecretArn && isPlaceholder(plan.probe.authSecretArn))
      found.push({ path: `plans[${i}].probe.authSecretArn`, value: plan.probe.authSecretArn });
  }
  return found;
}

/** The validation problems of placeholder values in a config that is not marked `"example": true`. */
export function placeholderProblems(config: RedisDrConfig): string[] {
  if (config.example === true) return [];
  return placeholderSettings(config).map(
    (p) =>
      `${p.path} is a placeholder, got ${JSON.stringify(p.value)}: replace it with your own value ` +
      '(or add "example": true to synthesize this config for learning only; it can never be deployed)',
  );
}
