// biome-ignore lint/correctness/useImportExtensions: the JSON module is named with its own extension
import names from './start-up-variables.json';

/**
 * Variables a machine may set that cost every Node process its start-up and
 * that neither the tests nor the benches use: the children they start run
 * without them. The names are in start-up-variables.json, which
 * vitest.config.mts reads too (a Vite config that imports TypeScript from
 * this CommonJS package is warned about).
 *
 * - NODE_EXTRA_CA_CERTS: Node 20 reads and parses the named bundle of
 *   certificates when the process starts, before the first line of any
 *   script. The machine these figures come from sets it to the system's whole
 *   bundle (for its HTTPS proxy): `node -e 0` took 0.07 s with it and 0.02 s
 *   without, and the suite starts a process for nearly every CLI, hook and
 *   server test. (No before/after of the whole suite was measured in one
 *   hour: `vitest run` alone took 267 s without it, `npm test` 308–365 s
 *   with tsc and biome beside it, as the machine's speed moved.)
 *   Nothing here makes a TLS connection beyond this machine; the tests' own
 *   TLS servers hand their clients their CA explicitly (certificates.ts).
 *   The DR verify Lambda, whose speed bench/verify-rdb measures, has no such
 *   variable unless a team sets it.
 */
export const START_UP_ONLY_VARIABLES: readonly string[] = names;

/** `env` without {@link START_UP_ONLY_VARIABLES}, and the names of those it had. */
export function withoutStartUpOnlyVariables(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; removed: string[] } {
  const out = { ...env };
  const removed = START_UP_ONLY_VARIABLES.filter((name) => out[name] !== undefined);
  for (const name of removed) delete out[name];
  return { env: out, removed };
}
