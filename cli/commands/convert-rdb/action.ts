/** `redis-dr convert-rdb`: the action (loaded only when the command runs; options: ./command.ts). */
import { basename } from 'node:path';
import { type ConvertProgress, convertTarget, parseLossy, type ConvertRdbResult } from '../../../lambdas/jobs/keys/convert-rdb.js';
import { ConvertInterrupted, type ConvertPointResult, isPointResult, startConvertRdb } from '../../../lambdas/jobs/keys/convert-rdb-set.js';
import { errorJson, failCommand } from '../../failure.js';
import { stepProgress } from '../../progress.js';
import { quitOnSignals } from '../../signals.js';
import { ignorableKeyMetaLeftOut, LOSS_MEANING, type LossKind, moduleAuxLeftOut } from '../../../lambdas/domain/rdb/write/losses.js';
import { slotImportRanges } from '../../../lambdas/domain/rdb/report.js';
import { emptyIdmpText } from '../../../lambdas/domain/rdb/write/stream-extras.js';
import { warningSummary } from '../../rdb-report.js';

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
  readonly shards?: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `REDIS0010 for redis-7.0, from <input> (REDIS RDB 11)`: what a file is written as, from what. */
const fileText = (r: ConvertRdbResult): string =>
  `${r.format.magic}${String(r.format.version).padStart(r.format.magic === 'VALKEY' ? 3 : 4, '0')} for ${r.target}, from ${r.input} (${r.source ? `${r.source.magic} RDB ${r.source.version}` : 'RDB'})`;

/** What of the libraries' top level was held against the target's load (lua-load.ts), where that is known. */
const ranFor = (r: ConvertRdbResult): string =>
  r.librariesRunFor
    ? `and the names their top level reads and assigns and the arguments it gives register_function and log as far as the check follows it (against ${r.librariesRunFor}'s), `
    : '';

/** `N keys written (A as they were, R re-encoded), F function libraries` (a dry run's verbs say what a real run would do). */
const keysText = (r: ConvertRdbResult): string => {
  const dry = r.dryRun === true;
  const refused = dry && r.refusedCount > 0 ? `, ${plural(r.refusedCount, 'key')} refused` : '';
  const functions = plural(r.functions - (r.dropped.function ?? 0), 'function library', 'function libraries');
  return `${plural(r.keys, 'key')} ${dry ? 'would be written (' : 'written ('}${r.asIs} as they ${dry ? 'are' : 'were'}, ${r.reencoded} re-encoded)${refused}, ${functions}`;
};

/**
 * `IN → OUT bytes`; a dry run's OUT is the writer's output counted, and a refused dry run's is not said: the refusal
 * discards the writer's last chunk and trailer uncounted, so its count is no size of anything (it printed `32552 → 0 bytes`).
 */
const bytesText = (r: ConvertRdbResult): string => {
  if (r.dryRun !== true) return `${r.bytesIn} → ${r.bytesOut} bytes`;
  // Refused for its keys, or for what it holds besides them (module AUX data, key metadata: refusal 'content', no key counted).
  if (r.refusedCount > 0 || r.refusal !== undefined)
    return `${r.bytesIn} bytes in; the output's size not counted (a real run refuses this input and writes nothing)`;
  return `${r.bytesIn} → ${r.bytesOut} bytes (the writer's output, counted)`;
};

/**
 * The summary of a complete run, or of a dry run (what a real run would write: nothing was). `point`: the totals of a
 * recovery point's shard files (convertPointTotals), whose lines say so.
 */
export function formatConvert(r: ConvertRdbResult, lossy: ReadonlySet<LossKind> = new Set(), point?: { readonly head: string }): string {
  const dry = r.dryRun === true;
  // The same figures in both; a dry run's verbs say what a real run would do.
  const would = (real: string, dryRun: string) => (dry ? dryRun : real);
  const file = fileText(r);
  const lines = [
    point?.head ?? (dry ? `dry run, nothing written: ${r.output ?? 'the output'} would be ${file}` : `${r.output}: ${file}`),
    `${keysText(r)}; ${bytesText(r)} in ${r.seconds.toFixed(1)} s`,
    dry
      ? `not verified: nothing was written, so nothing was read back (a real run reads ${point ? 'each' : 'its'} output back through verify-rdb and holds it against ${point ? 'its' : 'the'} input, key by key, before it counts as stored)`
      : point
        ? "verified: each shard's output passes verify-rdb and holds the same keys, values and expiries as its input, key by key"
        : 'verified: the output passes verify-rdb and holds the same keys, values and expiries as the input, key by key',
  ];
  // What --lossy let go is left out of the proof too (compare tells such a key apart): said on the verified line, named below.
  const lossNamed = Object.keys(r.lost).length > 0 || Object.keys(r.dropped).length > 0 || moduleAuxLeftOut(r.inputReport?.moduleAux, lossy);
  const metaIgnored = ignorableKeyMetaLeftOut(r.ignoredKeyMeta, would('left out', 'would be left out'));
  const { fields, hashes, at } = r.expired;
  // What the proof leaves out, in one clause (it read `…, but for what --lossy let go (below) (but for the expired hash fields below)`).
  const but = [...(lossNamed ? ['what --lossy let go'] : metaIgnored ? ['the key metadata'] : []), ...(fields > 0 ? ['the expired hash fields'] : [])];
  if (but.length > 0 && !dry) lines[2] = `${lines[2]}, but for ${but.join(' and ')} (below)`;
  const leftOut = would('left out', 'would be left out');
  if (fields > 0) {
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
  // Not a loss (no --lossy, not left out of the proof): said apart from the losses, in words that say so.
  const idmp = emptyIdmpText(r.emptyIdmp, would('written', 'would be written'));
  if (idmp) lines.push(idmp);
  const aux = moduleAuxLeftOut(r.inputReport?.moduleAux, lossy);
  if (aux) lines.push(aux);
  if (metaIgnored) lines.push(metaIgnored);
  // A recovery point's are each shard's input's, said on its line (formatConvertPoint), not the totals'.
  if (!point) lines.push(...inputNotes(r, would));
  if (r.outputChecked) lines.push(`checked: ${r.outputChecked}`);
  return lines.join('\n');
}

/**
 * What verify-rdb says of the input besides its verdict that the output does not show: no CRC-64 to check its bytes
 * against (the output's seals them as read), bytes after its end (not written), its warnings (each a value Redis
 * loads on a condition, copied or re-encoded as the input holds it), slots it was saved importing (a recovery point's:
 * each shard's own, not the first shard's alone).
 */
function inputNotes(r: ConvertRdbResult, would: (real: string, dryRun: string) => string): string[] {
  const report = r.inputReport;
  if (!report) return [];
  const notes: string[] = [];
  if (report.checksum === 'absent')
    notes.push(
      `warning: the input has no CRC-64 (${report.version < 5 ? `RDB ${report.version}, before checksums` : 'an all-zero trailer: saved with rdbchecksum no'}): its bytes were checked by their structure alone, and the output's CRC-64 ${would('covers', 'would cover')} them as they were read (verify-rdb --require-checksum refuses such a file)`,
    );
  if (report.trailingBytes)
    notes.push(`note: ${plural(report.trailingBytes, 'byte')} after the end of the input ${would('were', 'would be')} left out, as Redis ignores them`);
  if (report.warningCount) notes.push(`warning: the input: ${warningSummary(report.warningCount, report.warningKinds ?? {}, `verify-rdb ${r.input} --json`)}`);
  // Function libraries copied: their first line is judged as Redis judges it, their Lua code is not (no Lua here), and a
  // server refuses the whole file over a library that does not compile (review 45's fuzzing: such copies were "verified").
  const libraries = r.functions - (r.dropped.function ?? 0);
  if (libraries > 0)
    notes.push(
      `note: ${plural(libraries, 'function library', 'function libraries')} ${would('copied', 'would be copied')} as the input holds ${libraries === 1 ? 'it' : 'them'}: their Lua's syntax is checked here, ${ranFor(r)}not all it does when run, and a server refuses the whole file over one whose top level fails (redis-dr drill local --rdb <output> loads it in a real server)`,
    );
  // Keys in a database past the default 16: the output holds them there too, and a server with the default refuses it
  // (verify-rdb says so of the input and of the output; the summary did not: review 45).
  if (report.needsDatabases)
    notes.push(
      `warning: the input has keys in database ${report.needsDatabases - 1}: the output ${would('needs', 'would need')} a server with ${report.needsDatabases} databases (\`databases ${report.needsDatabases}\` or more: one with the default 16 refuses the file, as verify-rdb says of it)`,
    );
  // Keys of slots a Valkey primary was importing when it saved: carried as keys, though Valkey loading the input drops them.
  if (report.slotImportJobs)
    notes.push(
      `warning: the input was saved while importing slots ${slotImportRanges(report)} (Valkey atomic slot migration): ` +
        `the keys of those slots ${would('are', 'would be')} written as the input holds them, yet a Valkey primary loading the input drops them once the unfinished import fails: ` +
        'they may be a partial copy of slots another node owned',
    );
  return notes;
}

/** The shard files' runs summed as one (the figures, losses and AUX data left out of every shard), for formatConvert. */
function convertPointTotals(p: ConvertPointResult): ConvertRdbResult {
  const [first] = p.files;
  const add = <K extends string>(maps: readonly Partial<Record<K, number>>[]): Partial<Record<K, number>> => {
    const sum: Partial<Record<K, number>> = {};
    for (const m of maps) for (const [k, n] of Object.entries(m) as [K, number][]) sum[k] = (sum[k] ?? 0) + n;
    return sum;
  };
  const total = (f: (r: ConvertRdbResult) => number) => p.files.reduce((n, r) => n + f(r), 0);
  const moduleAux = [...new Set(p.files.flatMap((r) => r.inputReport?.moduleAux ?? []))];
  const ignoredKeyMeta = add(p.files.map((r) => r.ignoredKeyMeta ?? {})) as Record<string, number>;
  return {
    ...first!,
    ...(p.dryRun ? { dryRun: true as const } : {}),
    keys: p.keys,
    asIs: total((r) => r.asIs),
    reencoded: total((r) => r.reencoded),
    refusedCount: total((r) => r.refusedCount),
    functions: total((r) => r.functions),
    dropped: add(p.files.map((r) => r.dropped)),
    lost: add(p.files.map((r) => r.lost)),
    ...(total((r) => r.emptyIdmp ?? 0) > 0 ? { emptyIdmp: total((r) => r.emptyIdmp ?? 0) } : {}),
    ...(Object.keys(ignoredKeyMeta).length > 0 ? { ignoredKeyMeta } : {}),
    expired: { at: first!.expired.at, fields: total((r) => r.expired.fields), hashes: total((r) => r.expired.hashes) },
    bytesIn: p.bytesIn,
    bytesOut: p.bytesOut,
    seconds: p.seconds,
    inputReport: { ...first!.inputReport!, ...(moduleAux.length > 0 ? { moduleAux } : {}) },
  };
}

/** A recovery point's summary: a line per shard, then the totals as formatConvert says a file's, and what was checked of each output. */
export function formatConvertPoint(p: ConvertPointResult, lossy: ReadonlySet<LossKind> = new Set()): string {
  const dry = p.dryRun === true;
  const shards = p.files.map((r, i) => {
    const where = dry ? `${r.output ?? 'the output'} would be` : `${r.output}:`;
    return `shard ${i + 1}/${p.shards}: ${where} ${fileText(r)}: ${keysText(r)}; ${bytesText(r)}`;
  });
  const of = `the ${p.shards} shard files of ${p.exportName ?? 'one recovery point'}`;
  const head = dry ? `dry run, nothing written: ${of} would be written into ${p.output ?? 'the output'}` : `${p.output}: ${of}, every one stored`;
  const totals = formatConvert({ ...convertPointTotals(p), outputChecked: undefined } as ConvertRdbResult, lossy, { head: `${head}; in all:` });
  const checked = p.files.flatMap((r) => (r.outputChecked ? [`checked: ${r.outputChecked}`] : []));
  const would = (real: string, dryRun: string) => (dry ? dryRun : real);
  const notes = p.files.flatMap((r, i) => inputNotes(r, would).map((note) => `shard ${i + 1}/${p.shards}: ${note}`));
  return [...shards, totals, ...notes, ...checked].join('\n');
}

/**
 * Runs the conversion and prints it; exit 0 written and verified, 1 refused or failed (nothing left), 2 usage. With
 * --dry-run the same job with writes off: exit 0 when a real run would go through, 1 when it would refuse.
 */
export async function convertRdbAction(inputs: readonly string[], o: ConvertRdbCliOptions): Promise<void> {
  let run: ReturnType<typeof startConvertRdb> | undefined;
  // A line on a terminal while it runs (nothing on a pipe, a file or with --json): a big file takes minutes.
  const progress = o.json ? undefined : stepProgress('redis-dr convert-rdb');
  const signals = quitOnSignals(async (signal) => {
    progress?.stop();
    // Outputs being stored: the run takes back what it stored first (an upload cut short, its object looked for), then
    // says so; after the run ended, what it ended with. Before (converting), only temporary files exist.
    const said = await run?.interrupt();
    if (said !== undefined) return `redis-dr convert-rdb: interrupted (${signal}): ${said}`;
    return o.dryRun
      ? `redis-dr convert-rdb: interrupted (${signal}): a dry run, nothing was written`
      : o.output?.startsWith('s3://')
        ? `redis-dr convert-rdb: interrupted (${signal}): the local temporary file was removed, nothing was uploaded to ${o.output}`
        : `redis-dr convert-rdb: interrupted (${signal}): the partial output was removed, nothing was written to ${o.output}`;
  });
  try {
    const target = convertTarget(o);
    run = startConvertRdb({
      inputs,
      ...(o.output !== undefined ? { output: o.output } : {}),
      ...(o.dryRun ? { dryRun: true } : {}),
      ...target,
      force: o.force ?? false,
      lossy: parseLossy(o.lossy),
      ...(o.readPartBytes ? { readPartBytes: o.readPartBytes } : {}),
      ...(o.shards !== undefined ? { shards: o.shards } : {}),
      ...(progress ? { onProgress: (p: ConvertProgress) => progress.update(stepWords(p, inputs.length), p.bytes, p.total) } : {}),
    });
    const r = await run.done.finally(() => progress?.stop());
    if (o.json) process.stdout.write(`${JSON.stringify(jsonOf(r), null, 2)}\n`);
    // A dry run's figures are printed whenever the input was read whole, refused or not: what it is run for.
    const files = isPointResult(r) ? r.files : [r];
    const figures = !o.json && (r.ok || (r.dryRun === true && files.every((f) => f.inputReport?.ok === true)));
    if (figures) process.stdout.write(`${isPointResult(r) ? formatConvertPoint(r, parseLossy(o.lossy)) : formatConvert(r, parseLossy(o.lossy))}\n`);
    // What killed runs left beside an output: named whatever this run's outcome, left as it is.
    if (!o.json) for (const f of files) for (const e of f.earlier ?? []) process.stderr.write(`redis-dr convert-rdb: left by an earlier run: ${e}\n`);
    // The output in place, its temporary name left beside it as a second name: a warning, not a failure.
    if (!o.json) for (const f of files) if (f.leftName) process.stderr.write(`redis-dr convert-rdb: warning: ${f.leftName}\n`);
    if (!r.ok) {
      const who = r.dryRun ? 'redis-dr convert-rdb --dry-run' : 'redis-dr convert-rdb';
      for (const line of (r.error ?? '').split('\n')) process.stderr.write(`${who}: ${line}\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    // Stopped by a signal: its handler says so and exits once the run has taken back what it stored.
    if (err instanceof ConvertInterrupted) await new Promise<never>(() => undefined);
    failCommand('convert-rdb', err);
  } finally {
    signals.dispose();
  }
}

/** A step in words for the progress line: what is being done, to which input's output (its path where several are converted). */
function stepWords(p: ConvertProgress, inputs: number): string {
  const name = inputs > 1 ? p.input : basename(p.input);
  if (p.step === 'input') return `converting ${name}`;
  const what = { 'read-back': 'verifying', upload: 'uploading', 'stored read-back': 'verifying the stored copy of' }[p.step];
  return `${what} the output of ${name}`;
}

/** The `--json` document: the run's fields without the verifier's reports (each shard's too). */
function jsonOf(r: ConvertRdbResult | ConvertPointResult): object {
  // The reports left out (the verifier's whole figures), but what the text says of the input besides its verdict
  // (inputNotes): its checksum, bytes after its end, its warnings by kind.
  const plain = ({ inputReport, outputReport: _out, ...summary }: ConvertRdbResult) => ({
    ...summary,
    ...(summary.error !== undefined
      ? { error: errorJson(summary.error, CONVERT_FIX[summary.refusal ?? 'failed'], summary.refusal ? 'refused' : 'failed') }
      : {}),
    ...(inputReport
      ? {
          inputChecksum: inputReport.checksum,
          ...(inputReport.trailingBytes ? { inputTrailingBytes: inputReport.trailingBytes } : {}),
          ...(inputReport.warningCount ? { inputWarnings: { count: inputReport.warningCount, kinds: inputReport.warningKinds ?? {} } } : {}),
          ...(inputReport.slotImportJobs ? { inputSlotImports: slotImportRanges(inputReport) } : {}),
        }
      : {}),
  });
  if (!isPointResult(r)) return plain(r);
  const refusal = r.files.find((f) => f.refusal !== undefined)?.refusal;
  return {
    ...r,
    ...(r.error !== undefined ? { error: errorJson(r.error, CONVERT_FIX[refusal ?? 'failed'], refusal ? 'refused' : 'failed') } : {}),
    files: r.files.map(plain),
  };
}

/** The `fix` of a failed run's `--json` error, by what failed: the input refused as not an RDB file, its content refused for the target, or the run. */
const CONVERT_FIX = {
  input: 'the input is not a valid RDB file (`redis-dr verify-rdb <input>` names the fault): convert another copy of the backup',
  content: 'the message names the keys and why: give --lossy with the loss it names to write them without it, or --for an engine that holds them',
  failed: 'fix what the message names and run it again (it says what, if anything, was left at the output)',
} as const;
