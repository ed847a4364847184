/** `redis-dr convert-rdb`: the action (loaded only when the command runs; options: ./command.ts). */
import { convertRdb, convertTarget, parseLossy, type ConvertRdbResult } from '../../../lambdas/jobs/keys/convert-rdb.js';
import { failCommand } from '../../failure.js';
import { quitOnSignals } from '../../signals.js';
import { LOSS_MEANING, type LossKind, moduleAuxLeftOut } from '../../../lambdas/domain/rdb/write/losses.js';

/** Command-line options of `convert-rdb`. */
export interface ConvertRdbCliOptions {
  /** Required but with --dry-run. */
  readonly output?: string;
  readonly dryRun?: boolean;
  readonly for?: string;
  readonly rdbVersion?: number;
  readonly force?: boolean;
  readonly lossy?: string;
  readonly json?: boolean;
  readonly readPartBytes?: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The summary of a complete run, or of a dry run (what a real run would write: nothing was). */
export function formatConvert(r: ConvertRdbResult, lossy: ReadonlySet<LossKind> = new Set()): string {
  const f = r.format;
  const dry = r.dryRun === true;
  // The same figures in both; a dry run's verbs say what a real run would do.
  const would = (real: string, dryRun: string) => (dry ? dryRun : real);
  const file = `${f.magic}${String(f.version).padStart(f.magic === 'VALKEY' ? 3 : 4, '0')} for ${r.target}, from ${r.input} (${r.source ? `${r.source.magic} RDB ${r.source.version}` : 'RDB'})`;
  const refused = dry && r.refusedCount > 0 ? `, ${plural(r.refusedCount, 'key')} refused` : '';
  const lines = [
    dry ? `dry run, nothing written: ${r.output ?? 'the output'} would be ${file}` : `${r.output}: ${file}`,
    `${plural(r.keys, 'key')} ${would('written (', 'would be written (')}${r.asIs} as they ${would('were', 'are')}, ${r.reencoded} re-encoded)${refused}, ${plural(r.functions - (r.dropped.function ?? 0), 'function library', 'function libraries')}; ${r.bytesIn} → ${r.bytesOut} bytes${would('', " (the writer's output, counted)")} in ${r.seconds.toFixed(1)} s`,
    dry
      ? 'not verified: nothing was written, so nothing was read back (a real run reads its output back through verify-rdb and holds it against the input, key by key, before it counts as stored)'
      : 'verified: the output passes verify-rdb and holds the same keys, values and expiries as the input, key by key',
  ];
  // What --lossy let go is left out of the proof too (compare tells such a key apart): said on the verified line, named below.
  const lossNamed = Object.keys(r.lost).length > 0 || Object.keys(r.dropped).length > 0 || moduleAuxLeftOut(r.inputReport?.moduleAux, lossy);
  if (lossNamed && !dry) lines[2] = `${lines[2]}, but for what --lossy let go (below)`;
  const { fields, hashes, at } = r.expired;
  const leftOut = would('left out', 'would be left out');
  if (fields > 0) {
    if (!dry) lines[2] = `${lines[2]} (but for the expired hash fields below)`;
    const gone = hashes > 0 ? `; ${plural(hashes, 'hash', 'hashes')} all of whose fields had expired ${leftOut}` : '';
    lines.push(
      `expired: ${plural(fields, 'hash field')} whose TTL had passed at ${new Date(at).toISOString()} ${leftOut}${gone} (as the engine loading the input would)`,
    );
  }
  for (const [kind, n] of Object.entries(r.dropped))
    lines.push(`--lossy ${kind}: ${plural(n, 'item')} ${leftOut} (${LOSS_MEANING[kind as keyof typeof LOSS_MEANING]})`);
  for (const [kind, n] of Object.entries(r.lost))
    lines.push(
      `--lossy ${kind}: ${plural(n, 'key')} ${would('written', 'would be written')} with that loss (${LOSS_MEANING[kind as keyof typeof LOSS_MEANING]})`,
    );
  const aux = moduleAuxLeftOut(r.inputReport?.moduleAux, lossy);
  if (aux) lines.push(aux);
  if (r.outputChecked) lines.push(`checked: ${r.outputChecked}`);
  return lines.join('\n');
}

/**
 * Runs the conversion and prints it; exit 0 written and verified, 1 refused or failed (nothing left), 2 usage. With
 * --dry-run the same job with writes off: exit 0 when a real run would go through, 1 when it would refuse.
 */
export async function convertRdbAction(input: string, o: ConvertRdbCliOptions): Promise<void> {
  const signals = quitOnSignals((signal) =>
    o.dryRun
      ? `redis-dr convert-rdb: interrupted (${signal}): a dry run, nothing was written`
      : o.output?.startsWith('s3://')
        ? `redis-dr convert-rdb: interrupted (${signal}): the local temporary file was removed; if the upload had begun, ${o.output} may hold an object not verified (remove it, or run verify-rdb on it)`
        : `redis-dr convert-rdb: interrupted (${signal}): the partial output was removed, nothing was written to ${o.output}`,
  );
  try {
    const target = convertTarget(o);
    const r = await convertRdb({
      input,
      ...(o.output !== undefined ? { output: o.output } : {}),
      ...(o.dryRun ? { dryRun: true } : {}),
      ...target,
      force: o.force ?? false,
      lossy: parseLossy(o.lossy),
      ...(o.readPartBytes ? { readPartBytes: o.readPartBytes } : {}),
    });
    const { inputReport: _in, outputReport: _out, ...summary } = r;
    if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    // A dry run's figures are printed whenever the input was read whole, refused or not: what it is run for.
    const figures = !o.json && (r.ok || (r.dryRun === true && r.inputReport?.ok === true));
    if (figures) process.stdout.write(`${formatConvert(r, parseLossy(o.lossy))}\n`);
    if (!r.ok) {
      const who = r.dryRun ? 'redis-dr convert-rdb --dry-run' : 'redis-dr convert-rdb';
      for (const line of (r.error ?? '').split('\n')) process.stderr.write(`${who}: ${line}\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    failCommand('convert-rdb', err);
  } finally {
    signals.dispose();
  }
}
