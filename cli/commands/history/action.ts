import { displayKey, jsonKey, type KeyValue } from '../../../lambdas/domain/rdb/fingerprint.js';
import type { KeyChangeRow } from '../../../lambdas/domain/serve/history.js';
import { type HistoryOptions, type HistoryPlan, keyHistoryOf, type HistoryResult, type ShownRow } from '../../../lambdas/jobs/serve/history.js';
import { CliAws, type CliEnv, findPlan, loadCliConfig, runAwsCommand } from '../../aws.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { table } from '../../table.js';
import { notProvenStored } from '../../../lambdas/domain/self-managed/backup.js';

/** `history`'s options (cli/commands/history/command.ts). */
export interface HistoryCliOptions {
  from?: string;
  plan?: string;
  config?: string;
  db: number;
  target?: string;
  keyBase64?: Buffer;
  match?: string;
  since?: Date;
  show?: boolean;
  json?: boolean;
  s3Endpoint?: string;
}

/**
 * A value as a person reads it, each string as the project shows keys
 * ({@link displayKey}: printable bytes as they are, others escaped inside
 * quotes, so the bytes 00 ff read "\x00\xff", never like the string "0x00ff").
 * Elements are parted by ", " and fields from values by ": "; an unquoted
 * string holds no space, so the parting reads one way. Sets and hash fields sorted.
 */
export function shownValue(v: KeyValue): string {
  const list = (xs: readonly string[]): string => `[${xs.join(', ')}]`;
  const pairs = (xs: readonly (readonly [string, string])[]): string => xs.map(([a, b]) => `${a}: ${b}`).join(', ');
  switch (v.type) {
    case 'string':
      return displayKey(v.value);
    case 'list':
      return list(v.items.map(displayKey));
    case 'set':
      return list(v.members.map(displayKey).sort());
    case 'zset':
      return list(v.entries.map(([m, s]) => `${displayKey(m)}: ${s}`));
    case 'hash':
      return `{${pairs(v.fields.map(([f, x]) => [displayKey(f), displayKey(x)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1)))}}`;
    case 'stream':
      return list(
        v.entries.map(([id, fields]) => `${id} {${pairs(fields.flatMap((f, i) => (i % 2 ? [] : [[displayKey(f), displayKey(fields[i + 1]!)] as const])))}}`),
      );
    default:
      return `${v.typeName} module value, ${v.dump.length} bytes`;
  }
}

function ttl(ms: number | null | undefined): string {
  if (ms === undefined) return '';
  if (ms === null) return 'none';
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

// To the second when the point has one (backups taken within a minute are named by the second), else to the minute.
const when = (d: Date): string =>
  `${d
    .toISOString()
    .slice(0, d.getUTCSeconds() > 0 ? 19 : 16)
    .replace('T', ' ')} UTC`;

/**
 * The `saved` column: when the point's file was saved (its `ctime`, what expiries are judged at), to the second; a
 * file without one: the time its name says, marked `(name)`.
 */
const saved = (r: { at: Date; savedAt?: Date }): string =>
  r.savedAt ? `${r.savedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC` : `${when(r.at)} (name)`;

/**
 * The rows of one key, with a point that could not be read in its place
 * (`UNREADABLE`, why below the table): point names of one target sort as
 * their times (`…-hhmm.rdb` before `…-hhmmss.rdb` of that minute).
 */
function rowsTable(rows: readonly ShownRow[], unreadable: HistoryResult['unreadable'], show: boolean): string[] {
  const all: (ShownRow | { point: string; hole: true })[] = [...rows, ...unreadable.map((u) => ({ point: u.point, hole: true as const }))];
  all.sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
  const lines: string[] = [];
  const body = table([
    ['point', 'saved', 'exists', 'type', 'size', 'ttl', 'digest', 'change'],
    ...all.map((r) =>
      'hole' in r
        ? [r.point, '', 'UNREADABLE', '', '', '', '', '(below)']
        : [
            r.point,
            saved(r),
            r.exists ? 'yes' : 'no',
            r.type ?? '',
            r.size !== undefined ? String(r.size) : r.storedBytes !== undefined ? `${r.storedBytes} B stored` : '',
            ttl(r.ttlMs),
            // A stored-bytes digest (a value over the read limit) keeps its prefix, so it is never read as a value's.
            r.digest?.startsWith('stored:') ? `stored:${r.digest.slice(7, 19)}` : (r.digest?.slice(0, 12) ?? ''),
            r.change,
          ],
    ),
  ]);
  lines.push(body[0]!);
  all.forEach((r, i) => {
    lines.push(body[i + 1]!);
    if (show && !('hole' in r) && r.value) lines.push(`    ${shownValue(r.value)}`);
  });
  // A value over the read limit is followed by its stored bytes (domain/serve/history.ts, OverLimit).
  if (rows.some((r) => r.storedBytes !== undefined))
    lines.push(
      `a value over the read limit (proto-max-bulk-len, 512 MiB) is not read whole: its size is the bytes the file stores and its digest theirs (the same value stored in another encoding shows as changed)${show ? '; --show does not print it (restore the point to read it)' : ''}`,
    );
  return lines;
}

/** The last line of `--match`: how many changes of how many keys, by kind (a FLUSHALL's thousands of rows in one line). */
function changeCounts(changes: NonNullable<HistoryResult['changes']>, points: number): string {
  const by = new Map<string, number>();
  for (const c of changes) by.set(c.change, (by.get(c.change) ?? 0) + 1);
  const keys = new Set(changes.map((c) => c.key.toString('latin1'))).size;
  const order: readonly KeyChangeRow['change'][] = ['appeared', 'changed', 'ttl', 'vanished'];
  const kinds = order.filter((k) => by.has(k)).map((k) => `${by.get(k)} ${k}`);
  return `${changes.length} change(s) of ${keys} key(s) over ${points} point(s): ${kinds.join(', ')}`;
}

/** The history as text (or JSON), and the exit code: 1 when a point could not be read. */
function printHistory(key: Buffer | undefined, options: HistoryCliOptions, where: string, result: HistoryResult): number {
  if (options.json) {
    const rows = result.rows?.map(({ value, ...r }) => ({ ...r, ...(value ? { value: shownValue(value) } : {}) }));
    const changes = result.changes?.map((c) => ({ ...c, ...jsonKey(c.key) }));
    process.stdout.write(`${JSON.stringify({ ...result, ...(rows ? { rows } : {}), ...(changes ? { changes } : {}) }, null, 2)}\n`);
  } else {
    // The key as redis-cli shows one (escaped bytes), always in quotes.
    const shown = key === undefined ? '' : displayKey(key);
    const what = key === undefined ? `keys matching ${JSON.stringify(options.match)}` : shown.startsWith('"') ? shown : `"${shown}"`;
    const lines = [`history of ${what} in db ${options.db}, target ${result.target}: ${result.points.length} point(s) read from ${where}`];
    // Read and verified, but never proven stored when written (no read-back record): serve --from would not take one as the newest.
    const unproven = result.unproven ?? [];
    if (unproven.length > 0) lines.push(notProvenStored(unproven, 'read and verified here all the same'));
    // Expiries are judged when each file was saved (its ctime): where a file does not say, at the time its name says.
    const untimed = result.untimed ?? [];
    if (untimed.length > 0)
      lines.push(
        `no save time (ctime) in ${untimed.length === 1 ? 'point' : 'points'} ${untimed.join(', ')}: expiries and TTLs there are judged at the time the name says, not when the file was saved`,
      );
    // Read whole all the same (right values): the index beside them is tried at every open until moved or removed.
    for (const u of result.indexUnused ?? [])
      lines.push(`index not used (point ${u.point}): ${u.why}; move or remove that .keys file so it is not tried at every open (nothing rewrites it)`);
    if (result.rows) lines.push(...rowsTable(result.rows, result.unreadable, options.show ?? false));
    else if (result.changes!.length === 0)
      lines.push(
        result.unreadable.length === 0
          ? 'no key matching it appeared, changed or vanished between these points'
          : // Not "no change": a point not read may hold one, and a change across it is measured only between points read.
            `no change seen between the ${result.points.length} point(s) read; ${result.unreadable.length} could not be read (below), so a change at or across them is not known`,
      );
    else {
      // A point that could not be read in its place (a change after it is measured from the point read before it).
      const rows: { point: string; cells: string[] }[] = [
        ...result.changes!.map((c) => ({ point: c.point, cells: [c.point, saved(c), c.change, displayKey(c.key)] })),
        ...result.unreadable.map((u) => ({ point: u.point, cells: [u.point, '', 'UNREADABLE', '(below)'] })),
      ];
      rows.sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
      lines.push(...table([['point', 'saved', 'change', 'key'], ...rows.map((r) => r.cells)]));
      lines.push(changeCounts(result.changes!, result.points.length));
    }
    // A FLUSHALL empties every database; --match follows one: the others holding keys are named, with the flag that reads them.
    const others = result.otherDatabases ?? [];
    if (others.length > 0)
      lines.push(
        `database${others.length === 1 ? '' : 's'} ${others.join(', ')} also held keys at a point read, not followed here: --db <n> follows one (as --db ${others[0]})`,
      );
    for (const u of result.unreadable) lines.push(`UNREADABLE ${u.point}: ${u.why}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (result.unreadable.length === 0) return 0;
  process.stderr.write(`redis-dr: ${result.unreadable.length} point(s) could not be read: the history has a hole there (exit 1)\n`);
  return 1;
}

/**
 * `redis-dr history <key> | --match <pattern>` over `--from <destination>` or
 * `-c <config> --plan <name>`: exit 0, or 1 when a point could not be read
 * (the history has a hole), 2 bad input.
 */
export async function historyAction(name: string | undefined, options: HistoryCliOptions, env: CliEnv = {}): Promise<void> {
  if ([name, options.keyBase64, options.match].filter((x) => x !== undefined).length !== 1)
    throw new UsageError('history needs a <key>, --key-base64 <bytes> or --match <pattern>, one of them (history user:1 --from <destination>)');
  const key = name !== undefined ? Buffer.from(name) : options.keyBase64;
  if ((options.from === undefined) === (options.plan === undefined))
    throw new UsageError(
      options.from === undefined
        ? 'history needs where the points are: --from <destination>, or -c <config> --plan <name>'
        : '--from and --plan name two places to read the points from: give one',
    );
  const query: Omit<HistoryOptions, 'from' | 'plan'> = {
    ...(key !== undefined ? { key } : { match: options.match! }),
    db: options.db,
    ...(options.target ? { target: options.target } : {}),
    ...(options.since ? { since: options.since } : {}),
    show: options.show ?? false,
    ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
  };
  if (options.from !== undefined) {
    process.exitCode = printHistory(key, options, options.from, await keyHistoryOf({ ...query, from: options.from }));
    return;
  }
  const config = loadCliConfig(options.config);
  const plan: HistoryPlan = { config, aws: new CliAws(config, env), plan: findPlan(config, options.plan!) };
  await runAwsCommand('history', plan.aws, async () =>
    printHistory(key, options, `plan ${plan.plan.name}'s .rdb copies`, await keyHistoryOf({ ...query, plan })),
  );
}
