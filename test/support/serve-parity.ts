import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { expect } from 'vitest';
import { type Serving, startServing } from '../../lambdas/jobs/serve/serve.js';
import { RawClient } from './resp-raw.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

/** A point a redis-server wrote, served, beside a redis-server loaded from the same file (serve's parity harness). */
export interface ServedBeside {
  readonly writer: RedisServer;
  readonly reference: RedisServer;
  readonly serving: Serving;
  readonly file: string;
  /** Each request's raw reply from the served point beside the reference's: the same bytes. */
  compare(cmds: readonly (readonly string[])[], proto?: 2 | 3): Promise<void>;
  close(): Promise<void>;
}

/** Writes a point with `write` on a redis-server started with `writerArgs`, saves it, loads it in a second server and serves it. */
export async function serveBeside(write: (c: Redis) => Promise<void>, writerArgs: readonly string[] = []): Promise<ServedBeside> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-beside-'));
  const writer = await startRedisServer({ args: writerArgs });
  const c = writer.client();
  await write(c);
  await c.save();
  const file = join(dir, 'point.rdb');
  copyFileSync(writer.rdbPath, file);
  const reference = await startRedisServer({ loadRdb: file });
  const serving = await startServing({ location: file, port: 0 });
  return {
    writer,
    reference,
    serving,
    file,
    async compare(cmds, proto = 2) {
      const ref = await rawReplies(reference.port, cmds, proto);
      const served = await rawReplies(serving.port, cmds, proto);
      for (let i = 0; i < cmds.length; i++) expect([cmds[i]!.join(' '), served[i]]).toEqual([cmds[i]!.join(' '), ref[i]]);
    },
    async close() {
      await serving.close();
      await writer.stop();
      await reference.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The raw replies of `port` to `cmds`, sent in turn on one connection speaking RESP `proto`. */
export async function rawReplies(port: number, cmds: readonly (readonly (string | Buffer)[])[], proto: 2 | 3 = 2): Promise<string[]> {
  const raw = await RawClient.open(port);
  try {
    if (proto === 3) await raw.call('HELLO', '3');
    const out: string[] = [];
    for (const cmd of cmds) out.push(await raw.call(...cmd));
    return out;
  } finally {
    raw.close();
  }
}

/** A raw reply with a READONLY line cut to its code (a read-only replica names itself, serve the recovery point). */
export const readonlyCode = (reply: string): string => reply.replace(/^-READONLY .*\r\n$/, '-READONLY\r\n');

/** One raw RESP reply parsed: bulk and simple strings and doubles as text, integers, null, arrays and sets as arrays, errors as `-…`. */
export function parseReply(text: string): unknown {
  let at = 0;
  const line = (): string => {
    const end = text.indexOf('\r\n', at);
    const s = text.slice(at, end);
    at = end + 2;
    return s;
  };
  const one = (): unknown => {
    const l = line();
    const [head, rest] = [l[0], l.slice(1)];
    if (head === '$') {
      if (rest === '-1') return null;
      const s = text.slice(at, at + Number(rest));
      at += Number(rest) + 2;
      return s;
    }
    if (head === '*' || head === '~') return rest === '-1' ? null : Array.from({ length: Number(rest) }, one);
    if (head === '%') return Array.from({ length: 2 * Number(rest) }, one);
    if (head === ':') return Number(rest);
    if (head === '_') return null;
    if (head === ',' || head === '+') return rest;
    if (head === '-') return `-${rest}`;
    throw new Error(`unexpected reply ${JSON.stringify(l)}`);
  };
  return one();
}
