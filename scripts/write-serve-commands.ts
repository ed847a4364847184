/**
 * Writes `lambdas/domain/serve/redis-7.0-commands.json`: what a real
 * redis-server 7.0 answers (RESP3, HELLO 3) to `COMMAND INFO <name>` and
 * `COMMAND DOCS <name>` for every command `serve` answers, and to
 * `<container> HELP` for the served containers (CLIENT, CONFIG, XINFO,
 * COMMAND) and for the write containers (XGROUP, FUNCTION, SCRIPT: their HELP
 * is no write, a read-only replica answers it), so serve's COMMAND replies are the server's, byte for byte
 * (domain/serve/command-table.ts reads the file), and the arity of every
 * write command serve refuses and of its subcommands (a read-only replica
 * answers a wrong arity before READONLY). Run with
 * `npm run serve:commands` (the `redis-server` on the PATH, 7.0) after adding
 * a command to serve; test/lambdas/domain/serve/command-table.test.ts holds
 * the file against a live 7.0 and fails while it is stale.
 *
 * Commands 7.0 lacks (Redis 7.4's HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME)
 * are written from 7.0's HSTRLEN entry with their own name, arity, summary,
 * since, complexity and arguments as redis/redis src/commands/httl.json
 * (and kin, 7.4.0) declare them: the same flags (readonly, fast), ACL
 * categories (@read @hash @fast) and key spec (RO ACCESS, one key).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { COMMANDS, WRITE_COMMANDS } from '../lambdas/domain/serve/commands.js';
import { CONTAINERS, type Encoded, encodeTree, FILE_NAME, NEWER_COMMANDS, parseResp3, sortSubcommands } from '../lambdas/domain/serve/command-table.js';

const file = join(__dirname, '..', 'lambdas', 'domain', 'serve', FILE_NAME);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A multibulk request. */
const request = (args: readonly string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

async function main(): Promise<void> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
  try {
    let socket;
    for (let i = 0; ; i++) {
      try {
        socket = await new Promise<ReturnType<typeof connect>>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => resolve(s)).on('error', reject);
        });
        break;
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    let buf = Buffer.alloc(0);
    let wake: (() => void) | undefined;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      wake?.();
    });
    const call = async (...args: string[]): Promise<Encoded> => {
      socket.write(request(args));
      for (;;) {
        const parsed = parseResp3(buf, 0);
        if (parsed) {
          buf = buf.subarray(parsed.end);
          return parsed.value;
        }
        await new Promise<void>((r) => (wake = r));
      }
    };
    await call('HELLO', '3');
    const version = ((await call('INFO', 'server')) as string).match(/redis_version:([\d.]+)/)?.[1];
    if (!version?.startsWith('7.0.')) throw new Error(`redis-server ${version} on the PATH: this table is 7.0's`);
    const names = Object.keys(COMMANDS).filter((n) => !(n in NEWER_COMMANDS));
    const info: Record<string, Encoded> = {};
    const docs: Record<string, Encoded> = {};
    const help: Record<string, Encoded> = {};
    for (const n of names) {
      const [one] = (await call('COMMAND', 'INFO', n)) as Encoded[];
      if (one === null) throw new Error(`redis-server ${version} does not know ${n}: list it in NEWER_COMMANDS`);
      // Subcommands come in the order of the server's dict (its hash seed is random per process): kept sorted by name.
      info[n] = sortSubcommands(one!);
      const d = (await call('COMMAND', 'DOCS', n)) as { '%': Encoded[] };
      docs[n] = sortSubcommands(d['%'][1]!);
    }
    for (const n of CONTAINERS) help[n] = await call(n.toUpperCase(), 'HELP');
    // The arity of each write serve refuses (and of its subcommands): a read-only replica checks it before READONLY.
    const writes: Record<string, number> = {};
    for (const n of [...WRITE_COMMANDS].sort()) {
      const [one] = (await call('COMMAND', 'INFO', n)) as (Encoded[] | null)[];
      if (!one) continue; // newer than 7.0 (command-table.ts NEWER_WRITES)
      writes[n] = one[1] as number;
      const subs = one[9];
      const items = Array.isArray(subs) ? subs : subs !== null && typeof subs === 'object' && '~' in subs! ? subs['~'] : [];
      for (const sub of (items as Encoded[][]).map((e) => [String(e[0]).slice(1), e[1] as number] as const).sort()) writes[sub[0]] = sub[1];
      // A write container's HELP is no write (7.0 flags it loading, stale): a read-only replica answers its text.
      if (writes[`${n}|help`] !== undefined) help[n] = await call(n.toUpperCase(), 'HELP');
    }
    // 7.4's field TTL reads: HSTRLEN's entry, their own name, arity and docs (see the module's comment).
    for (const [n, d] of Object.entries(NEWER_COMMANDS)) {
      const base = info.hstrlen as Encoded[];
      info[n] = [`$${n}`, d.arity, ...base.slice(2)];
      docs[n] = encodeTree(d.docs);
    }
    socket.destroy();
    writeFileSync(file, `${JSON.stringify({ source: `redis-server ${version}`, info, docs, help, writes })}\n`);
    process.stdout.write(`wrote ${file} (${names.length} commands of redis-server ${version})\n`);
  } finally {
    server.kill();
  }
}

void main();
