/**
 * RESTORE of a payload against the equivalent commands (issue 55: "where the
 * target supports it, a value may instead go as commands — choose per type,
 * measure, say why"). Not a test, not part of `npm test`:
 *
 *   npx tsx bench/migrate/commands.ts [--keys 20000] [--rounds 3]
 *
 * Per type (string, list, set, zset, hash) and shape (small: `--keys` keys of
 * 8 elements or 32 bytes; medium: a tenth as many of 100 elements or 1 KiB;
 * large: a hundredth of 1,000 elements or 16 KiB), half the keys with an
 * expiry: the keys are written to a redis-server 7.0 and DUMPed, which gives
 * the payloads migrate holds (RDB 10, what a re-encoding for 7.0 writes).
 * Each round, in alternating order, they go into the emptied 7.0 target
 * two ways, pipelined through ioredis 1,000 keys a batch as migrate writes:
 * `RESTORE key <at> <payload> ABSTTL`, and the value decoded from the payload
 * (lambdas/domain/rdb/format/value.ts, counted: migrate holds payloads) sent
 * as SET / RPUSH / SADD / ZADD / HSET, plus PEXPIREAT where the key expires.
 * Both ends must leave the same DEBUG DIGEST (values and expiries) or the
 * bench fails. Figures: keys/s (wall, same run), and the target's and the
 * client's CPU-seconds per 100,000 keys (load-independent).
 * Writes bench/migrate/commands-results.json.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type Redis from 'ioredis';
import { decodeDumpPayload } from '../../lambdas/domain/rdb/format/value.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { gitDescription, median, serverCpu } from '../support.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } } });
const KEYS = Number(values.keys);
const ROUNDS = Number(values.rounds);
const BATCH = 1000;
const log = (line: string) => process.stdout.write(`${line}\n`);

type Kind = 'string' | 'list' | 'set' | 'zset' | 'hash';
const KINDS: readonly Kind[] = ['string', 'list', 'set', 'zset', 'hash'];
const SHAPES = [
  { shape: 'small', keys: KEYS, elements: 8, bytes: 32 },
  { shape: 'medium', keys: Math.max(1, Math.floor(KEYS / 10)), elements: 100, bytes: 1024 },
  { shape: 'large', keys: Math.max(1, Math.floor(KEYS / 100)), elements: 1000, bytes: 16 * 1024 },
] as const;

interface Key {
  readonly name: string;
  readonly payload: Buffer;
  /** Absolute expiry in ms, or 0. */
  readonly at: number;
}

/** Fills the source with one type's keys (half expiring) and DUMPs them. */
async function payloads(c: Redis, kind: Kind, keys: number, elements: number, bytes: number): Promise<Key[]> {
  await c.flushall();
  const at = Date.now() + 86_400_000;
  const el = (i: number, j: number) => `m:${i}:${j}:${'x'.repeat(8)}`;
  for (let start = 0; start < keys; start += BATCH) {
    const p = c.pipeline();
    for (let i = start; i < Math.min(keys, start + BATCH); i++) {
      const name = `${kind}:${i}`;
      const items = Array.from({ length: elements }, (_, j) => el(i, j));
      if (kind === 'string') p.set(name, `${i}:`.padEnd(bytes, 'v'));
      else if (kind === 'list') p.rpush(name, ...items);
      else if (kind === 'set') p.sadd(name, ...items);
      else if (kind === 'zset') p.zadd(name, ...items.flatMap((m, j) => [(j * 1.5).toString(), m]));
      else p.hset(name, ...items.flatMap((m, j) => [m, `v${j}`]));
      if (i % 2 === 0) p.pexpireat(name, at + i);
    }
    await p.exec();
  }
  const out: Key[] = [];
  for (let start = 0; start < keys; start += BATCH) {
    const p = c.pipeline();
    const names: string[] = [];
    for (let i = start; i < Math.min(keys, start + BATCH); i++) {
      names.push(`${kind}:${i}`);
      p.dumpBuffer(`${kind}:${i}`);
      p.call('PEXPIRETIME', `${kind}:${i}`);
    }
    const r = (await p.exec())!;
    names.forEach((name, k) => {
      const pt = Number(r[2 * k + 1]![1]);
      out.push({ name, payload: r[2 * k]![1] as Buffer, at: pt > 0 ? pt : 0 });
    });
  }
  return out;
}

/** RESTORE of each payload, ABSTTL. */
function byRestore(p: ReturnType<Redis['pipeline']>, k: Key): void {
  p.call('RESTORE', k.name, k.at, k.payload, 'ABSTTL');
}

/** The value decoded from the payload, sent as the command that builds it, and PEXPIREAT. */
function byCommands(p: ReturnType<Redis['pipeline']>, k: Key): void {
  const v = decodeDumpPayload(k.payload);
  if (v.type === 'string') p.call('SET', k.name, v.value);
  else if (v.type === 'list') p.call('RPUSH', k.name, ...v.items);
  else if (v.type === 'set') p.call('SADD', k.name, ...v.members);
  else if (v.type === 'zset') p.call('ZADD', k.name, ...v.entries.flatMap(([m, s]) => [s, m]));
  else if (v.type === 'hash') p.call('HSET', k.name, ...v.fields.flat());
  else throw new Error(`${k.name}: ${v.type} is not benched`);
  if (k.at > 0) p.call('PEXPIREAT', k.name, k.at);
}

interface Run {
  readonly keysPerSecond: number;
  readonly serverCpuPer100k: number;
  readonly clientCpuPer100k: number;
  readonly digest: string;
}

async function load(t: Redis, keys: readonly Key[], write: typeof byRestore): Promise<Run> {
  await t.flushall();
  const cpu0 = await serverCpu(t);
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  for (let start = 0; start < keys.length; start += BATCH) {
    const p = t.pipeline();
    for (const k of keys.slice(start, start + BATCH)) write(p, k);
    for (const [err] of (await p.exec())!) if (err) throw err;
  }
  const seconds = Number(process.hrtime.bigint() - w0) / 1e9;
  const c = process.cpuUsage(c0);
  const server = (await serverCpu(t)) - cpu0;
  if ((await t.dbsize()) !== keys.length) throw new Error('the target does not hold every key');
  const digest = String(await t.call('DEBUG', 'DIGEST'));
  const per = 100_000 / keys.length;
  return { keysPerSecond: keys.length / seconds, serverCpuPer100k: server * per, clientCpuPer100k: ((c.user + c.system) / 1e6) * per, digest };
}

async function main(): Promise<void> {
  const source = await startRedisServer({ readyTimeoutMs: 60_000 });
  const target = await startRedisServer({ readyTimeoutMs: 60_000, args: ['--enable-debug-command', 'yes'] });
  const load1: number[] = [];
  const rows: Record<string, unknown>[] = [];
  try {
    const s = source.client();
    const t = target.client();
    for (const { shape, keys, elements, bytes } of SHAPES) {
      for (const kind of KINDS) {
        const list = await payloads(s, kind, keys, elements, bytes);
        const restore: Run[] = [];
        const commands: Run[] = [];
        for (let round = 1; round <= ROUNDS; round++) {
          const order = round % 2 === 1 ? (['restore', 'commands'] as const) : (['commands', 'restore'] as const);
          for (const how of order) {
            const r = await load(t, list, how === 'restore' ? byRestore : byCommands);
            (how === 'restore' ? restore : commands).push(r);
          }
          load1.push(loadavg()[0]!);
        }
        const digests = new Set([...restore, ...commands].map((r) => r.digest));
        if (digests.size !== 1) throw new Error(`${shape} ${kind}: RESTORE and commands left different data (DEBUG DIGEST ${[...digests].join(' ')})`);
        const m = (runs: Run[], f: keyof Omit<Run, 'digest'>) => median(runs.map((r) => r[f]));
        const row = {
          shape,
          kind,
          keys,
          restoreKeysPerSecond: Math.round(m(restore, 'keysPerSecond')),
          commandsKeysPerSecond: Math.round(m(commands, 'keysPerSecond')),
          restoreOverCommands: Number((m(restore, 'keysPerSecond') / m(commands, 'keysPerSecond')).toFixed(2)),
          serverCpuPer100k: { restore: Number(m(restore, 'serverCpuPer100k').toFixed(2)), commands: Number(m(commands, 'serverCpuPer100k').toFixed(2)) },
          clientCpuPer100k: { restore: Number(m(restore, 'clientCpuPer100k').toFixed(2)), commands: Number(m(commands, 'clientCpuPer100k').toFixed(2)) },
        };
        rows.push(row);
        log(
          `${shape.padEnd(6)} ${kind.padEnd(6)} ${String(keys).padStart(6)} keys: RESTORE ${row.restoreKeysPerSecond} keys/s, commands ${row.commandsKeysPerSecond} keys/s (×${row.restoreOverCommands}); ` +
            `server CPU-s/100k ${row.serverCpuPer100k.restore} vs ${row.serverCpuPer100k.commands}; client ${row.clientCpuPer100k.restore} vs ${row.clientCpuPer100k.commands}`,
        );
      }
    }
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
  const results = {
    when: new Date().toISOString(),
    code: gitDescription(['bench/migrate/commands.ts', 'lambdas/domain/rdb/format/value.ts'], 'RESTORE vs commands'),
    keys: KEYS,
    rounds: ROUNDS,
    batch: BATCH,
    loadAverage1m: { min: Math.min(...load1), max: Math.max(...load1) },
    rows,
  };
  writeFileSync(join(__dirname, 'commands-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log(`load average (1 min) ${results.loadAverage1m.min.toFixed(1)}–${results.loadAverage1m.max.toFixed(1)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
