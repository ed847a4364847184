/**
 * bench/serve/big-key: `redis-dr serve` on a file a real redis-server wrote holding a key over 512 MiB (a list of
 * 600 elements of 1 MiB: 629 MB stored), a string of exactly 512 MiB (Redis's largest) and small keys of every type
 * in two databases (issue 56: "big keys over 512 MB excepted with a clear error"). Too heavy for `npm test` (about
 * 1.2 GB of files and 1.5 GB of server memory); the suite proves the same paths with the limit lowered
 * (test/lambdas/jobs/serve/value-limit.test.ts). Every reply is held against the server that wrote the file, still
 * running with the same data: equal bytes (the 512 MiB replies by length and SHA-256, read as a stream), or, for the
 * key over the limit, an error naming the key and the limit (asked first); then the connection is used again. Figures:
 * the time to `listening on`, serve's CPU-seconds, its peak RSS (VmHWM) after the refusals and after the whole run, and
 * the redis-server's used memory.
 *
 *   npm run build && npx tsx bench/serve/big-key.ts [--out bench/serve/big-key.json]
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../../test/support/redis-server.js';
import { cpuSeconds, peakRssMiB, spawnServe } from './spawn-serve.js';

const { values: flags } = parseArgs({
  options: { out: { type: 'string', default: path.join(__dirname, 'big-key.json') } },
  strict: true,
});
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const MiB = 1024 * 1024;

/**
 * One connection whose replies are hashed as they stream in, never held whole (a 512 MiB reply is longer than
 * V8's largest string, and test/support's RawClient concatenates every chunk): a reply is described as its length,
 * its SHA-256 and, under 4 KiB, its text. Only the reply shapes this bench asks for: one line (`+ - :`), one bulk
 * (`$`), or an array of bulks and lines (`*`, one level).
 */
class HashingClient {
  private pending: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
      this.wake?.();
    });
  }

  static open(port: number): Promise<HashingClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new HashingClient(s)));
      s.once('error', reject);
    });
  }

  async call(...args: string[]): Promise<{ bytes: number; sha256: string; text?: string }> {
    this.socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    const h = createHash('sha256');
    let bytes = 0;
    let head: Buffer = Buffer.alloc(0);
    const take = async (n: number): Promise<void> => {
      while (n > 0) {
        if (this.pending.length === 0) await new Promise<void>((r) => (this.wake = r));
        const part = this.pending.subarray(0, n);
        this.pending = this.pending.subarray(part.length);
        h.update(part);
        if (head.length < 4096) head = Buffer.concat([head, part.subarray(0, 4096 - head.length)]);
        bytes += part.length;
        n -= part.length;
      }
    };
    const line = async (): Promise<string> => {
      for (;;) {
        const end = this.pending.indexOf('\r\n');
        if (end >= 0) {
          const text = this.pending.subarray(0, end).toString('latin1');
          await take(end + 2);
          return text;
        }
        await new Promise<void>((r) => (this.wake = r));
      }
    };
    const one = async (): Promise<void> => {
      const first = await line();
      if (first.startsWith('$') && first !== '$-1') await take(Number(first.slice(1)) + 2);
      else if (first.startsWith('*')) for (let i = Number(first.slice(1)); i > 0; i--) await one();
    };
    await one();
    return { bytes, sha256: h.digest('hex'), ...(bytes <= 4096 ? { text: head.toString('latin1') } : {}) };
  }

  close(): void {
    this.socket.destroy();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-big-key-'));
  const server = await startRedisServer({ args: ['--rdbcompression', 'no'], readyTimeoutMs: 120_000 });
  const c = server.client();
  try {
    const made = process.hrtime.bigint();
    for (let i = 0; i < 600; i += 20) {
      const p = c.pipeline();
      for (let j = i; j < i + 20; j++) p.rpush('big:list', Buffer.alloc(MiB, String(j % 10)));
      await p.exec();
    }
    await c.setrange('big:string', 512 * MiB - 1, 'z');
    await c
      .pipeline()
      .set('s', 'v')
      .set('n', '12345')
      .set('ttl', 'x', 'PX', 86_400_000)
      .hset('h', 'f1', 'a', 'f2', 'b')
      .sadd('set', 'a', 'b', 'c')
      .zadd('z', 1, 'one', 2.5, 'two')
      .rpush('l', 'x', 'y', 'z')
      .xadd('st', '1-1', 'k', 'v')
      .exec();
    await c.select(2);
    await c.set('other-db', 'yes');
    await c.select(0);
    const usedMemory = Number(/used_memory:(\d+)/.exec(await c.info('memory'))![1]);
    await c.save();
    const file = path.join(dir, 'big.rdb');
    copyFileSync(server.rdbPath, file);
    const fileBytes = statSync(file).size;
    const makeSeconds = Number(process.hrtime.bigint() - made) / 1e9;
    log(
      `file ${fileBytes} bytes written by redis-server ${await c.info('server').then((i) => /redis_version:(\S+)/.exec(i)![1])} in ${makeSeconds.toFixed(1)} s`,
    );

    const started = process.hrtime.bigint();
    const { child, port } = await spawnServe([file, '--port', '0']);
    const listenSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const served = await HashingClient.open(port);
    const real = await HashingClient.open(server.port);
    const checks: { command: string; outcome: string }[] = [];
    const failures: string[] = [];
    let peakBeforeBigReply = Number.NaN;
    const compare = async (args: string[]) => {
      const [a, b] = [await served.call(...args), await real.call(...args)];
      const ok = a.sha256 === b.sha256;
      checks.push({ command: args.join(' '), outcome: ok ? `same ${a.bytes} bytes` : `DIFFERS: ${a.text ?? a.bytes} against ${b.text ?? b.bytes}` });
      if (!ok && !(args[0] === 'SMEMBERS' && a.bytes === b.bytes)) failures.push(args.join(' '));
    };
    try {
      // Its count from the list's node headers read in ranges (stored-count.ts), the list never held whole.
      await compare(['LLEN', 'big:list']);
      for (const args of [
        ['LRANGE', 'big:list', '0', '0'],
        ['LINDEX', 'big:list', '0'],
        ['DUMP', 'big:list'],
      ]) {
        const a = await served.call(...args);
        const ok = /^-ERR redis-dr serve could not answer \w+: the value of "big:list" takes \d+ bytes, more than the 536870912 a reply may hold/.test(
          a.text ?? '',
        );
        checks.push({ command: args.join(' '), outcome: ok ? `refused: ${a.text!.trim()}` : `NOT REFUSED: ${a.text ?? a.bytes}` });
        if (!ok) failures.push(args.join(' '));
      }
      // Before any reply of 512 MiB: what serve held to refuse the key over the limit.
      peakBeforeBigReply = peakRssMiB(child.pid!);
      const same = [
        ['TYPE', 'big:list'],
        ['EXISTS', 'big:list'],
        ['TTL', 'big:list'],
        ['OBJECT', 'ENCODING', 'big:list'],
        ['STRLEN', 'big:string'],
        ['GET', 'big:string'],
        ['GETRANGE', 'big:string', '-3', '-1'],
        ['GET', 's'],
        ['GET', 'n'],
        ['HGETALL', 'h'],
        ['SMEMBERS', 'set'],
        ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
        ['LRANGE', 'l', '0', '-1'],
        ['XRANGE', 'st', '-', '+'],
        ['DBSIZE'],
        ['SELECT', '2'],
        ['GET', 'other-db'],
        ['SELECT', '0'],
      ];
      for (const args of same) await compare(args);
      const after = await served.call('GET', 's');
      if (after.text !== '$1\r\nv\r\n') failures.push('GET s after the refusals');
    } finally {
      served.close();
      real.close();
    }
    const serveCpu = cpuSeconds(child.pid!);
    const servePeakMiB = peakRssMiB(child.pid!);
    child.kill('SIGTERM');
    const result = {
      when: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      fileBytes,
      serverUsedMemory: usedMemory,
      makeSeconds,
      listenSeconds,
      serveCpuSeconds: serveCpu,
      servePeakMiB,
      servePeakBeforeBigReplyMiB: peakBeforeBigReply,
      checks,
      failures,
    };
    writeFileSync(flags.out, `${JSON.stringify(result, null, 2)}\n`);
    for (const x of checks) log(`${x.command}: ${x.outcome}`);
    log(
      `listening after ${listenSeconds.toFixed(2)} s; serve ${serveCpu.toFixed(2)} CPU-s, peak ${peakBeforeBigReply.toFixed(0)} MiB after the refusals, ${servePeakMiB.toFixed(0)} MiB after the 512 MiB GET`,
    );
    if (failures.length > 0) {
      log(`FAILED: ${failures.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    c.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
