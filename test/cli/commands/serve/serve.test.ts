import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { backupFileName } from '../../../../lambdas/domain/self-managed/backup.js';
import { writeIndexBeside } from '../../../support/key-index-beside.js';
import { intoNextSecond } from '../../../support/next-second.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { RawClient } from '../../../support/resp-raw.js';
import { inWorker, inWorkerWithEnv } from '../../support/in-process.js';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'redis-dr.cjs');
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-cli-'));
  const server = await startRedisServer();
  const c = server.client();
  await c.set('greeting', 'hello');
  await c.hset('h', 'f', 'v');
  await c.save();
  file = join(dir, 'point.rdb');
  copyFileSync(server.rdbPath, file);
  await server.stop();
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Once `redis-dr serve` printed its `opened …` line (out: what it printed so far, its first line `listening on
 * host:port`), waits until this process has read every line serve prints before it serves. serve writes them in one
 * synchronous run once it listens (stdout and stderr are pipes, whose writes are done when they return on Linux), and
 * answers a client only when its event loop turns after that run: once a PING is answered they are all in the pipes,
 * and this process has read them by the end of the poll phase that read the answer (a setImmediate runs after it).
 * A fixed half second after `opened` was the wait before (5 of them, 2.5 of this file's 15 s on one CPU).
 */
async function printedAll(out: string): Promise<void> {
  const raw = await RawClient.open(Number(/^listening on .*:(\d+)$/m.exec(out)![1]));
  try {
    await raw.call('PING');
  } finally {
    raw.close();
  }
  await new Promise((r) => setImmediate(r));
}

/** Starts `redis-dr serve`, resolves with the child and the lines it printed before it serves (see {@link printedAll}). */
function serveLines(...args: string[]): Promise<{ child: ReturnType<typeof spawn>; out: string[]; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let waiting = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (waiting || !/^opened /m.test(out)) return;
      waiting = true;
      printedAll(out).then(() => resolve({ child, out: out.split('\n').filter(Boolean), exit }), reject);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code} with ${JSON.stringify(out)}`)));
  });
}

/** Starts `redis-dr serve`, resolves with the child and its first stdout line. */
function serve(...args: string[]): Promise<{ child: ReturnType<typeof spawn>; first: string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SERVE_TEST_PASSWORD: 'pw' } });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ child, first: out.slice(0, out.indexOf('\n')), exit });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before listening`)));
  });
}

/**
 * The refusals before listening and the backups a case needs run the program in this process (test/cli/support/in-process.ts):
 * their words and exit codes. Whatever listens is a child ({@link serve}): its output, its port, SIGTERM and its exit code.
 */
const cli = inWorker;
const cliWithEnv = inWorkerWithEnv;

/** `promise`, or a failure naming `what` when it has not settled within `ms` milliseconds. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('redis-dr serve', () => {
  it('prints "listening on host:port" first, answers there, and exits 0 on SIGTERM', async () => {
    const { child, first, exit } = await serve(file, '--port', '0');
    expect(first).toMatch(/^listening on 127\.0\.0\.1:\d+$/);
    const port = Number(first.split(':')[1]);
    const raw = await RawClient.open(port);
    expect(await raw.call('GET', 'greeting')).toBe('$5\r\nhello\r\n');
    expect(await raw.call('DEL', 'greeting')).toMatch(/^-READONLY/);
    raw.close();
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 30_000);

  it('says how many keys of the file had already expired, and per database the live keys DBSIZE answers', async () => {
    // No active expiry: the key whose expiry passes is still in the file SAVE writes, however loaded the machine.
    const server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const expiring = join(dir, 'expiring.rdb');
    try {
      const c = server.client();
      await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
      for (let i = 0; i < 3; i++) await c.set(`k${i}`, 'v');
      await c.set('gone', 'v', 'PX', 1);
      await c.select(1);
      await c.set('db1', 'v');
      await new Promise((r) => setTimeout(r, 20));
      await c.save();
      copyFileSync(server.rdbPath, expiring);
    } finally {
      await server.stop();
    }
    const { child, out, exit } = await serveLines(expiring, '--port', '0');
    try {
      expect(out[1]).toMatch(
        /^serving .*expiring\.rdb read-only \(RDB \d+, 5 keys in the file, 1 already expired; live, as DBSIZE answers: db0 3, db1 1\); redis-cli /,
      );
      const raw = await RawClient.open(Number(out[0]!.split(':')[1]));
      expect(await raw.call('DBSIZE')).toBe(':3\r\n');
      raw.close();
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
    const { child: c2, out: plain, exit: e2 } = await serveLines(file, '--port', '0');
    expect(plain[1]).toMatch(/ read-only \(RDB \d+, 2 keys: db0 2\); redis-cli /);
    c2.kill('SIGTERM');
    await e2;
  }, 30_000);

  it('asks for the password of --requirepass-env', async () => {
    const { child, first, exit } = await serve(file, '--port', '0', '--requirepass-env', 'SERVE_TEST_PASSWORD');
    const raw = await RawClient.open(Number(first.split(':')[1]));
    expect(await raw.call('GET', 'greeting')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await raw.call('AUTH', 'pw')).toBe('+OK\r\n');
    raw.close();
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 30_000);

  it('refuses a missing file in one line, exit 2', async () => {
    const r = await cli('serve', join(dir, 'nope.rdb'), '--port', '0');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot read ${join(dir, 'nope.rdb')}: no such file`);
  }, 30_000);

  it('refuses a corrupt file before listening, exit 1 (a problem found in the file, as every command says a corrupt RDB)', async () => {
    const bad = join(dir, 'bad.rdb');
    const bytes = readFileSync(file);
    bytes[20]! ^= 0x5a;
    writeFileSync(bad, bytes);
    const r = await cli('serve', bad, '--port', '0');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr).toMatch(/is corrupt \(the verifier's verdict/);
  }, 30_000);

  it('refuses a format the verifier cannot judge before listening, exit 3 as verify-rdb (not corrupt, not verified)', async () => {
    const newer = join(dir, 'newer.rdb');
    const bytes = readFileSync(file);
    bytes.write('REDIS0099', 0, 'latin1');
    writeFileSync(newer, bytes);
    const r = await cli('serve', newer, '--port', '0');
    expect(r.status).toBe(3);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/newer\.rdb is in a format this verifier cannot judge \(the verifier's verdict at byte 9: unsupported format \(version 99/);
  }, 30_000);

  it('refuses a file changed after its key index was written before listening (one line, exit 1), and serves it unchanged from the index', async () => {
    const indexed = mkdtempSync(join(dir, 'indexed-'));
    copyFileSync(file, join(indexed, 'point.rdb'));
    await writeIndexBeside(new FileBackupStore(indexed), 'point.rdb');
    const bytes = readFileSync(file);
    // One byte of the value "hello" (the index is tied to the file by its length and CRC-64 trailer: both left alone).
    bytes[bytes.indexOf('hello') + 4] = 'O'.charCodeAt(0);
    writeFileSync(join(indexed, 'point.rdb'), bytes);
    const r = await cli('serve', join(indexed, 'point.rdb'), '--port', '0');
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/point\.rdb is corrupt \(the verifier's verdict/);
    copyFileSync(file, join(indexed, 'point.rdb'));
    const { child, first, exit } = await serve(join(indexed, 'point.rdb'), '--port', '0');
    try {
      const raw = await RawClient.open(Number(first.split(':').pop()));
      expect(await raw.call('GET', 'greeting')).toBe('$5\r\nhello\r\n');
      raw.close();
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
  }, 30_000);

  it('refuses a port in use in one line, exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const r = await cli('serve', file, '--port', String(port));
    taken.close();
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`--port ${port} is in use on 127.0.0.1`);
  }, 30_000);

  it('refuses --tls-cert-file without --tls-key-file, exit 2', async () => {
    const r = await cli('serve', file, '--port', '0', '--tls-cert-file', 'server.crt');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('redis-dr: --tls-cert-file server.crt needs --tls-key-file <pem>, its private key');
  }, 30_000);

  it('refuses an unset --requirepass-env variable, exit 2', async () => {
    const r = await cliWithEnv({ NOT_SET_HERE: '' }, 'serve', file, '--requirepass-env', 'NOT_SET_HERE');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--requirepass-env NOT_SET_HERE names an unset or empty variable');
  }, 30_000);

  it('--from without --point: a newest backup marked a keyspace collapse (after a FLUSHALL) is served with a line saying so and naming the good one before it', async () => {
    const dest = mkdtempSync(join(dir, 'dest-'));
    const server = await startRedisServer();
    try {
      const c = server.client();
      for (let i = 0; i < 20; i++) await c.set(`k${i}`, 'v');
      const backup = () => cli('backup', '--redis', server.url, '--to', `file://${dest}`, '--name', 'cache');
      expect((await backup()).status).toBe(0);
      const good = readdirSync(dest).find((f) => f.endsWith('.rdb'))!;
      await intoNextSecond(); // a name of its own: to the second within the minute, the minute form across one (either is matched below)
      await c.flushall();
      c.disconnect();
      const collapsed = await backup();
      expect(collapsed.stdout).toContain('keyspace collapse');
      expect(collapsed.status).toBe(1);
      const { child, out, exit } = await serveLines('--from', `file://${dest}`, '--port', '0');
      try {
        expect(out[1]).toMatch(/^serving rdr-cache-\d{8}-\d{4}(?:\d{2})?\.rdb .* 0 keys/);
        expect(out).toHaveLength(4);
        expect(out[3]).toMatch(
          new RegExp(
            `^COLLAPSED: rdr-cache-\\d{8}-\\d{4}(?:\\d{2})?\\.rdb is marked a keyspace collapse \\(.*holds 0 keys.*\\); the newest good backup before it: redis-dr serve --from file://${dest} --point ${good} --port 0$`,
          ),
        );
      } finally {
        child.kill('SIGTERM');
        await exit;
      }
      const named = await cli('serve', '--from', `file://${dest}`, '--target', 'other', '--port', '0');
      expect(named.status).toBe(2);
      expect(named.stderr.trim()).toBe(
        `redis-dr: --from file://${dest} holds no backup of other proven stored: nothing to serve (it holds backups of cache: --target names one)`,
      );
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('--from --point of a backup never proven stored (no read-back record: put there by hand) says so on its third line; a proven one does not', async () => {
    const dest = mkdtempSync(join(dir, 'unproven-'));
    const name = backupFileName('cache', new Date(Date.UTC(2030, 0, 1, 3)));
    copyFileSync(file, join(dest, name));
    const { child, out, exit } = await serveLines('--from', `file://${dest}`, '--point', name, '--port', '0');
    try {
      expect(out[1]).toMatch(new RegExp(`^serving ${name.replace(/\./g, '\\.')} `));
      expect(out[2]).toBe(
        `WARNING: not proven stored (no read-back record beside it: a run stopped before it, a file put there by hand), served all the same, as --point names it (without --point serve takes the newest proven): ${name}`,
      );
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
    // The same file with the read-back record a backup run writes: no such line.
    const proven = mkdtempSync(join(dir, 'proven-'));
    const server = await startRedisServer();
    try {
      expect((await cli('backup', '--redis', server.url, '--to', `file://${proven}`, '--name', 'cache')).status).toBe(0);
    } finally {
      await server.stop();
    }
    const point = readdirSync(proven).find((f) => f.endsWith('.rdb'))!;
    const served = await serveLines('--from', `file://${proven}`, '--point', point, '--port', '0');
    try {
      expect(served.out.filter((l) => l.includes('not proven stored'))).toEqual([]);
      expect(served.out[2]).toMatch(/^opened /);
    } finally {
      served.child.kill('SIGTERM');
      await served.exit;
    }
  }, 60_000);

  it("answers a second client at once while KEYS, SCAN/HSCAN MATCH and COMMAND LIST FILTERBY PATTERN run globs of many stars, with 7.0's replies, and still exits 0 on SIGTERM", async () => {
    // Its RegExp glob held the event loop for ever on these (10 stars and `x` against the 39-byte key: 61 CPU-s), SIGTERM too.
    const server = await startRedisServer();
    const globs = join(dir, 'globs.rdb');
    let served: Awaited<ReturnType<typeof serve>> | undefined;
    const clients: RawClient[] = [];
    try {
      const c = server.client();
      await c.set('user:session:0123456789abcdef0123456789', 'v');
      await c.set('user:sessionx', 'v');
      await c.set(`${'a'.repeat(40)}b`, 'v');
      await c.set('a'.repeat(200), 'v');
      await c.hset('h', 'user:session:0123456789abcdef0123456789', 'v', 'field:x', 'v');
      await c.save();
      copyFileSync(server.rdbPath, globs);
      served = await serve(globs, '--port', '0');
      const port = Number(served.first.split(':')[1]);
      const [slow, other, real] = await Promise.all([RawClient.open(port), RawClient.open(port), RawClient.open(server.port)]);
      clients.push(slow, other, real);
      const namesOf = (reply: string): string[] => reply.split('\r\n').filter((_, i) => i > 0 && i % 2 === 0);
      const all = namesOf(await slow.call('COMMAND', 'LIST'));
      expect(all).toContain('zrangebylex');
      for (const pattern of [`${'*'.repeat(64)}x`, `${'a*'.repeat(32)}b`, `${'*a'.repeat(64)}*b`]) {
        for (const request of [
          ['KEYS', pattern],
          ['SCAN', '0', 'MATCH', pattern, 'COUNT', '1000'],
          ['HSCAN', 'h', '0', 'MATCH', pattern],
        ]) {
          const reply = slow.call(...request);
          reply.catch(() => undefined); // awaited below; on a hang, its connection closes under it
          expect(await within(other.call('PING'), 5_000, `PING while ${request[0]} ${pattern}`)).toBe('+PONG\r\n');
          // One key (field) at most matches each: the order of the file and of 7.0's hash table cannot differ.
          expect(await within(reply, 5_000, `${request[0]} ${pattern}`)).toBe(await real.call(...request));
        }
        const listed = within(slow.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', pattern), 5_000, `COMMAND LIST ${pattern}`);
        listed.catch(() => undefined);
        expect(await within(other.call('PING'), 5_000, `PING while COMMAND LIST ${pattern}`)).toBe('+PONG\r\n');
        // Of the names serve lists, those ending in x (zrangebylex among them); none has 32 a's.
        const want = pattern.endsWith('x') ? all.filter((n) => n.endsWith('x')) : [];
        expect(namesOf(await listed).sort()).toEqual(want.sort());
      }
      served.child.kill('SIGTERM');
      expect(await served.exit).toBe(0);
    } finally {
      for (const client of clients) client.close();
      if (served && served.child.exitCode === null && served.child.signalCode === null) served.child.kill('SIGKILL');
      await server.stop();
    }
  }, 60_000);

  it("answers other clients while a KEYS of a 1,000-byte pattern walks 64 KiB keys (7.0's reply), and a SIGTERM during such KEYS ends it at once", async () => {
    // Bounded by pattern × key bytes, as on 7.0 (where it holds every client): about 0.3 G steps here, walked in slices with
    // the event loop turning between them. It held serve's every client and SIGTERM for the whole walk (review 21).
    const server = await startRedisServer();
    const long = join(dir, 'long-keys.rdb');
    let served: Awaited<ReturnType<typeof serve>> | undefined;
    const clients: RawClient[] = [];
    try {
      const c = server.client();
      for (let i = 0; i < 4; i++) await c.set(`${'K'.repeat(65_536)}${i}`, 'v');
      await c.set(`${'K'.repeat(65_535)}x`, 'v');
      await c.set('small', 'v');
      await c.save();
      copyFileSync(server.rdbPath, long);
      // A run between two stars with `?` in it: tried at each place of each key (a run of plain bytes is found by indexOf at once).
      const pattern = `*${'K?'.repeat(498)}Kx*`;
      expect(pattern).toHaveLength(1_000);
      served = await serve(long, '--port', '0');
      const port = Number(served.first.split(':')[1]);
      const [slow, other, real] = await Promise.all([RawClient.open(port), RawClient.open(port), RawClient.open(server.port)]);
      clients.push(slow, other, real);
      let done = false;
      const keys = slow.call('KEYS', pattern).finally(() => {
        done = true;
      });
      let pings = 0;
      const until = Date.now() + 60_000;
      while (!done && Date.now() < until) {
        expect(await other.call('PING')).toBe('+PONG\r\n');
        if (!done) pings++;
      }
      // Before: none (the PING waited for the whole KEYS). Now hundreds, each within a slice or so (~1 ms of CPU); counted,
      // not timed (a bound of 1 s on the slowest PING failed with serve descheduled for 1.2 s).
      expect(pings).toBeGreaterThanOrEqual(5);
      expect(await keys).toBe(await real.call('KEYS', pattern));
      // Twenty such KEYS pipelined (seconds of walking), then SIGTERM: serve ends within the slice it is in, exit 0.
      const first = slow.send(`*2\r\n$4\r\nKEYS\r\n$${pattern.length}\r\n${pattern}\r\n`.repeat(20)).then(
        () => 1,
        () => 0,
      );
      expect(await other.call('PING')).toBe('+PONG\r\n');
      served.child.kill('SIGTERM');
      expect(await served.exit).toBe(0);
      // Ended within the walk it was in: not every KEYS answered (counted, not timed against 5 s).
      expect((await first) + (await slow.repliesUntilClosed())).toBeLessThan(20);
    } finally {
      for (const client of clients) client.close();
      if (served && served.child.exitCode === null && served.child.signalCode === null) served.child.kill('SIGKILL');
      await server.stop();
    }
  }, 60_000);

  it('warns on stderr when it listens beyond loopback without a password or TLS, and not on loopback', async () => {
    for (const [bind, warned] of [
      ['0.0.0.0', true],
      ['127.0.0.1', false],
    ] as const) {
      const child = spawn(process.execPath, [BIN, 'serve', file, '--port', '0', '--bind', bind], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let out = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
      });
      await new Promise<void>((resolve, reject) => {
        let waiting = false;
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (waiting || !/^opened /m.test(out)) return;
          waiting = true;
          printedAll(out).then(resolve, reject);
        });
      });
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(out).toMatch(new RegExp(`^listening on ${bind.replace(/\./g, '\\.')}:\\d+$`, 'm'));
      if (warned)
        expect(err).toMatch(
          /^redis-dr: WARNING: serving beyond this machine \(--bind 0\.0\.0\.0\) with no password \(--requirepass-env\) and no TLS .*: whoever reaches 0\.0\.0\.0:\d+ reads every key of this point; add them, or bind 127\.0\.0\.1$/m,
        );
      else expect(err).toBe('');
    }
  }, 30_000);
});
