/** `redis-dr convert-rdb`: the action (loaded only when the command runs; options: ./command.ts). */
import { convertRdb, convertTarget, parseLossy, type ConvertRdbResult } from '../../../lambdas/jobs/keys/convert-rdb.js';
import { failCommand } from '../../failure.js';
import { quitOnSignals } from '../../signals.js';
import { LOSS_MEANING, type LossKind, moduleAuxLeftOut } from '../../../lambdas/domain/rdb/write/losses.js';

/** Command-line options of `convert-rdb`. */
export interface ConvertRdbCliOptions {
  readonly output: string;
  readonly for?: string;
  readonly rdbVersion?: number;
  readonly force?: boolean;
  readonly lossy?: string;
  readonly json?: boolean;
  readonly readPartBytes?: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The summary of a complete run. */
export function formatConvert(r: ConvertRdbResult, lossy: ReadonlySet<LossKind> = new Set()): string {
  const f = r.format;
  const lines = [
    `${r.output}: ${f.magic}${String(f.version).padStart(f.magic === 'VALKEY' ? 3 : 4, '0')} for ${r.target}, from ${r.input} (${r.source ? `${r.source.magic} RDB ${r.source.version}` : 'RDB'})`,
    `${plural(r.keys, 'key')} written (${r.asIs} as they were, ${r.reencoded} re-encoded), ${plural(r.functions - (r.dropped.function ?? 0), 'function library', 'function libraries')}; ${r.bytesIn} → ${r.bytesOut} bytes in ${r.seconds.toFixed(1)} s`,
    'verified: the output passes verify-rdb and holds the same keys, values and expiries as the input, key by key',
  ];
  // What --lossy let go is left out of the proof too (compare tells such a key apart): said on the verified line, named below.
  const lossNamed = Object.keys(r.lost).length > 0 || Object.keys(r.dropped).length > 0 || moduleAuxLeftOut(r.inputReport?.moduleAux, lossy);
  if (lossNamed) lines[2] = `${lines[2]}, but for what --lossy let go (below)`;
  const { fields, hashes, at } = r.expired;
  if (fields > 0) {
    lines[2] = `${lines[2]} (but for the expired hash fields below)`;
    const gone = hashes > 0 ? `; ${plural(hashes, 'hash', 'hashes')} all of whose fields had expired left out` : '';
    lines.push(
      `expired: ${plural(fields, 'hash field')} whose TTL had passed at ${new Date(at).toISOString()} left out${gone} (as the engine loading the input would)`,
    );
  }
  for (const [kind, n] of Object.entries(r.dropped))
    lines.push(`--lossy ${kind}: ${plural(n, 'item')} left out (${LOSS_MEANING[kind as keyof typeof LOSS_MEANING]})`);
  for (const [kind, n] of Object.entries(r.lost))
    lines.push(`--lossy ${kind}: ${plural(n, 'key')} written with that loss (${LOSS_MEANING[kind as keyof typeof LOSS_MEANING]})`);
  const aux = moduleAuxLeftOut(r.inputReport?.moduleAux, lossy);
  if (aux) lines.push(aux);
  return lines.join('\n');
}

/** Runs the conversion and prints it; exit 0 written and verified, 1 refused or failed (nothing left), 2 usage. */
export async function convertRdbAction(input: string, o: ConvertRdbCliOptions): Promise<void> {
  const signals = quitOnSignals((signal) =>
    o.output.startsWith('s3://')
      ? `redis-dr convert-rdb: interrupted (${signal}): the local temporary file was removed; if the upload had begun, ${o.output} may hold an object not verified (remove it, or run verify-rdb on it)`
      : `redis-dr convert-rdb: interrupted (${signal}): the partial output was removed, nothing was written to ${o.output}`,
  );
  try {
    const target = convertTarget(o);
    const r = await convertRdb({
      input,
      output: o.output,
      ...target,
      force: o.force ?? false,
      lossy: parseLossy(o.lossy),
      ...(o.readPartBytes ? { readPartBytes: o.readPartBytes } : {}),
    });
    const { inputReport: _in, outputReport: _out, ...summary } = r;
    if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (!r.ok) {
      process.stderr.write(`redis-dr convert-rdb: ${r.error}\n`);
      process.exitCode = 1;
      return;
    }
    if (!o.json) process.stdout.write(`${formatConvert(r, parseLossy(o.lossy))}\n`);
  } catch (err) {
    failCommand('convert-rdb', err);
  } finally {
    signals.dispose();
  }
}
