/**
 * `redis-dr cost`'s use case: the synthesized stacks of a deployment read
 * from its cloud assembly, then the monthly estimate over them. The stacks
 * it needs must all be there (an estimate over half the templates would
 * understate the floor): a missing one is an error naming the synth command.
 */
import { readAssemblyStacks } from '../../adapters/host/cloud-assembly.js';
import type { StackResources } from '../../domain/cost/estimate.js';

export class AssemblyMissingError extends Error {
  override readonly name = 'AssemblyMissingError';
}

/**
 * The stacks `names` from the assembly `dir` (read by `readStacks`), in that
 * order; throws {@link AssemblyMissingError} naming what is missing and `synth`, the command that writes it.
 */
export async function assemblyStacks(
  dir: string,
  names: readonly string[],
  synth: string,
  readStacks: (dir: string) => Promise<StackResources[] | undefined> = readAssemblyStacks,
): Promise<StackResources[]> {
  const stacks = await readStacks(dir);
  if (!stacks) throw new AssemblyMissingError(`no synthesized templates in ${dir}: run ${synth} first (the estimate counts what the templates create)`);
  const missing = names.filter((n) => !stacks.some((s) => s.stack === n));
  if (missing.length > 0) {
    throw new AssemblyMissingError(`${dir} holds no template of ${missing.join(', ')}: run ${synth} first (the estimate counts what the templates create)`);
  }
  return names.map((n) => stacks.find((s) => s.stack === n)!);
}
