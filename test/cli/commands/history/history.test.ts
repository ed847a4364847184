import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFileName } from '../../../../lambdas/domain/self-managed/backup.js';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { writeIndexBeside } from '../../../support/key-index-beside.js';
import { frameFile } from '../../../support/rdb-newer.js';
import { startRedisServer } from '../../../support/redis-server.js';
// The program in the worker (test/cli/support/in-process.ts), for the cases after the first (run as the child a user starts).
import { inWorker } from '../../support/in-process.js';
import { cli } from '../../support/run-cli.js';
import { sinceTime } from '../../../../cli/commands/history/command.js';

let root: string;
const at = (h: number): Date => new Date(Date.UTC(2030, 0, 1, h));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redis-dr-history-cli-'));
  mkdirSync(join(root, 'dest'));
  const server = await startRedisServer();
  const c = server.client();
  for (const [h, value] of [
    [1, 'one'],
    [2, 'one'],
    [3, 'two'],
  ] as const) {
    await c.set('user:1', value);
    await c.save();
    copyFileSync(server.rdbPath, join(root, 'dest', backupFileName('cache', at(h))));
  }
  await server.stop();
}, 30_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A destination of its own holding the first and last backups, each with its key index beside it. */
async function indexedDest(name: string): Promise<string> {
  const dest = join(root, name);
  mkdirSync(dest);
  const store = new FileBackupStore(dest);
  for (const h of [1, 3]) {
    copyFileSync(join(root, 'dest', backupFileName('cache', at(h))), join(dest, backupFileName('cache', at(h))));
    await writeIndexBeside(store, backupFileName('cache', at(h)));
  }
  return dest;
}

/** A destination of its own holding the backups of `hours`, the one of `corrupt` with a byte flipped (it will not verify). */
function destWithHole(name: string, hours: readonly number[], corrupt: number): string {
  const dest = join(root, name);
  mkdirSync(dest);
  for (const h of hours) {
    const bytes = readFileSync(join(root, 'dest', backupFileName('cache', at(h))));
    if (h === corrupt) bytes[bytes.length - 12]! ^= 0xff;
    writeFileSync(join(dest, backupFileName('cache', at(h))), bytes);
  }
  return dest;
}

describe('redis-dr history', () => {
  it('prints a row per point with the change marked, and the values with --show', async () => {
    const r = await cli('history', 'user:1', '--from', `file://${join(root, 'dest')}`, '--show');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`history of "user:1" in db 0, target cache: 3 point(s) read from file://${join(root, 'dest')}`);
    // These backups were copied in, without the read-back record a backup run writes: named, read all the same.
    expect(lines[1]).toBe(
      `not proven stored (no read-back record beside them: a run stopped before it, a file put there by hand), read and verified here all the same: ${[1, 2, 3].map((h) => backupFileName('cache', at(h))).join(', ')}`,
    );
    expect(lines[2]).toMatch(/^point\s+saved\s+exists\s+type\s+size\s+ttl\s+digest\s+change$/);
    expect(lines.filter((l) => l.startsWith('rdr-')).map((l) => l.split(/\s{2,}/).pop())).toEqual(['first', 'same', 'changed']);
    expect(lines.filter((l) => l.startsWith('    '))).toEqual(['    one', '    one', '    two']);
  }, 30_000);

  it("tells points taken in the same minute apart by their seconds (a by-second backup name), where the name's time is shown", async () => {
    const dest = join(root, 'by-second');
    mkdirSync(dest);
    const first = new Date(Date.UTC(2030, 0, 1, 1, 0));
    const second = new Date(Date.UTC(2030, 0, 1, 1, 0, 31));
    const key = { db: 0, name: 'user:1', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null };
    writeFileSync(join(dest, backupFileName('cache', first)), frameFile('REDIS0010', [key], [], { ctime: undefined }));
    writeFileSync(join(dest, backupFileName('cache', second, true)), frameFile('REDIS0010', [key], [], { ctime: undefined }));
    const r = await inWorker('history', 'user:1', '--from', `file://${dest}`);
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('rdr-'));
    expect(rows.map((l) => l.split(/\s{2,}/)[1])).toEqual(['2030-01-01 01:00 UTC (name)', '2030-01-01 01:00:31 UTC (name)']);
  }, 30_000);

  it("the saved column is the file's save time (ctime), what expiries are judged at; the name's only where the file has none (left35)", async () => {
    const dest = join(root, 'saved-column');
    mkdirSync(dest);
    const key = (name: string) => ({ db: 0, name, type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null });
    // Saved 17 min 5 s after the time its name says (a long BGSAVE): that time is shown, to the second.
    const ctime = (h: number) => ({ ctime: String(at(h).getTime() / 1000 + 17 * 60 + 5) });
    writeFileSync(join(dest, backupFileName('cache', at(1))), frameFile('REDIS0010', [key('other')], [], { ctime: undefined }));
    writeFileSync(join(dest, backupFileName('cache', at(2))), frameFile('REDIS0010', [key('k')], [], ctime(2)));
    writeFileSync(join(dest, backupFileName('cache', at(3))), frameFile('REDIS0010', [key('other')], [], ctime(3)));
    const cells = (out: string) =>
      out
        .split('\n')
        .filter((l) => l.startsWith('rdr-'))
        .map((l) => l.split(/\s{2,}/).slice(1, 3));
    const r = await inWorker('history', 'k', '--from', `file://${dest}`);
    expect(r.stdout).toMatch(/^point\s+saved\s+exists/m);
    // The key absent (first and last points) is absent at the point's save too.
    expect(cells(r.stdout)).toEqual([
      ['2030-01-01 01:00 UTC (name)', 'no'],
      ['2030-01-01 02:17:05 UTC', 'yes'],
      ['2030-01-01 03:17:05 UTC', 'no'],
    ]);
    const j = JSON.parse((await inWorker('history', 'k', '--from', `file://${dest}`, '--json')).stdout) as { rows: { at: string; savedAt?: string }[] };
    expect(j.rows.map((x) => [x.at, x.savedAt])).toEqual([
      [at(1).toISOString(), undefined],
      [at(2).toISOString(), '2030-01-01T02:17:05.000Z'],
      [at(3).toISOString(), '2030-01-01T03:17:05.000Z'],
    ]);
    const m = await inWorker('history', '--match', '*', '--from', `file://${dest}`);
    expect(m.stdout).toMatch(/^point\s+saved\s+change\s+key$/m);
    expect(cells(m.stdout)).toEqual([
      ['2030-01-01 02:17:05 UTC', 'appeared'],
      ['2030-01-01 02:17:05 UTC', 'vanished'],
      ['2030-01-01 03:17:05 UTC', 'vanished'],
      ['2030-01-01 03:17:05 UTC', 'appeared'],
    ]);
    const mj = JSON.parse((await inWorker('history', '--match', '*', '--from', `file://${dest}`, '--json')).stdout) as {
      changes: { at: string; savedAt?: string }[];
    };
    expect(mj.changes.map((c) => c.savedAt)).toEqual([
      '2030-01-01T02:17:05.000Z',
      '2030-01-01T02:17:05.000Z',
      '2030-01-01T03:17:05.000Z',
      '2030-01-01T03:17:05.000Z',
    ]);
  }, 30_000);

  it('exits 1 naming a point it could not read', async () => {
    const dest = destWithHole('bad', [1, 2, 3], 2);
    const r = await inWorker('history', 'user:1', '--from', `file://${dest}`, '--json');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { rows: unknown[]; unreadable: { point: string }[] };
    expect(out.rows).toHaveLength(2);
    expect(out.unreadable.map((u) => u.point)).toEqual([backupFileName('cache', at(2))]);
    expect(r.stderr).toContain('1 point(s) could not be read');
    // As text, the hole is in its place in the table, its reason below it.
    const text = await inWorker('history', 'user:1', '--from', `file://${dest}`);
    expect(text.status).toBe(1);
    const lines = text.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('rdr-')).map((l) => l.split(/\s{2,}/).slice(-1)[0])).toEqual(['first', '(below)', 'changed']);
    expect(lines.filter((l) => l.startsWith('rdr-'))[1]).toMatch(new RegExp(`^${backupFileName('cache', at(2))}\\s+UNREADABLE\\s`));
    expect(lines.at(-1)).toMatch(new RegExp(`^UNREADABLE ${backupFileName('cache', at(2))}: .*is corrupt`));
    // With --match too: the hole is a row in its place, before the change measured across it.
    const matched = await inWorker('history', '--match', 'user:*', '--from', `file://${dest}`);
    expect(matched.status).toBe(1);
    const rows = matched.stdout.split('\n').filter((l) => l.startsWith('rdr-'));
    expect(
      rows.map((l) =>
        l
          .split(/\s{2,}/)
          .slice(-2)
          .join(' '),
      ),
    ).toEqual(['UNREADABLE (below)', 'changed user:1']);
  }, 30_000);

  it('--since: a baseline that cannot be read is replaced by the point before it, and no change is never said across a hole (rev34)', async () => {
    const dest = destWithHole('bad-baseline', [1, 2, 3], 2);
    // From 03:00 on: the baseline (02:00) is corrupt, 01:00 ('one') is read instead, so 03:00's 'two' is a change.
    const since = at(3).toISOString();
    const matched = await inWorker('history', '--match', 'user:*', '--since', since, '--from', `file://${dest}`, '--json');
    expect(matched.status).toBe(1);
    const m = JSON.parse(matched.stdout) as { points: string[]; unreadable: { point: string }[]; changes: { point: string; change: string }[] };
    expect(m.points).toEqual([backupFileName('cache', at(1)), backupFileName('cache', at(3))]);
    expect(m.unreadable.map((u) => u.point)).toEqual([backupFileName('cache', at(2))]);
    expect(m.changes.map((c) => [c.point, c.change])).toEqual([[backupFileName('cache', at(3)), 'changed']]);
    const one = await inWorker('history', 'user:1', '--since', since, '--from', `file://${dest}`, '--json');
    expect(one.status).toBe(1);
    expect((JSON.parse(one.stdout) as { rows: { change: string }[] }).rows.map((r) => r.change)).toEqual(['first', 'changed']);
    // No point before the unreadable baseline: one point read, nothing measured, and said so (not "no change").
    const alone = destWithHole('bad-first', [2, 3], 2);
    const text = await inWorker('history', '--match', 'user:*', '--since', since, '--from', `file://${alone}`);
    expect(text.status).toBe(1);
    expect(text.stdout).not.toContain('no key matching it appeared, changed or vanished');
    expect(text.stdout).toContain('no change seen between the 1 point(s) read; 1 could not be read (below), so a change at or across them is not known');
  }, 30_000);

  it('exits 1 naming a point changed after its key index was written, never reporting the changed value as history', async () => {
    const dest = await indexedDest('indexed');
    const r0 = await inWorker('history', 'user:1', '--from', `file://${dest}`, '--json');
    expect(r0.status).toBe(0);
    // One byte of the newest point's value ("two" -> "twX"), its length and CRC-64 trailer (the index's tie) left alone.
    const newest = join(dest, backupFileName('cache', at(3)));
    const bytes = readFileSync(newest);
    bytes[bytes.indexOf('two') + 2] = 'X'.charCodeAt(0);
    writeFileSync(newest, bytes);
    const r = await inWorker('history', 'user:1', '--from', `file://${dest}`, '--json', '--show');
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('twX');
    const out = JSON.parse(r.stdout) as { rows: { change: string }[]; unreadable: { point: string; why: string }[] };
    expect(out.rows).toHaveLength(1);
    expect(out.unreadable.map((u) => u.point)).toEqual([backupFileName('cache', at(3))]);
    expect(out.unreadable[0]!.why).toMatch(/is corrupt \(the verifier's verdict/);
  }, 30_000);

  it('names a point whose key index does not check out (read whole, right values, exit 0): the index is to be moved (review 20)', async () => {
    const dest = await indexedDest('index-damaged');
    const clean = await inWorker('history', 'user:1', '--from', `file://${dest}`);
    expect(clean.stdout).not.toContain('index not used');
    // A byte of the newest point's index flipped in its first block (past the header): its CRC-64 no longer matches.
    const keys = join(dest, `${backupFileName('cache', at(3))}.keys`);
    const bytes = readFileSync(keys);
    bytes[40]! ^= 0x01;
    writeFileSync(keys, bytes);
    const r = await inWorker('history', 'user:1', '--from', `file://${dest}`, '--show');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('    two');
    const line = r.stdout.split('\n').find((l) => l.startsWith('index not used'));
    expect(line).toMatch(
      new RegExp(`^index not used \\(point ${backupFileName('cache', at(3))}\\): .*read whole and verified \\(.*; move or remove that \\.keys file`),
    );
  }, 30_000);

  it("names a point whose file has no save time (ctime): its expiries judged at the name's time; --json gives each row's savedAt (issue 56)", async () => {
    const dest = join(root, 'untimed');
    mkdirSync(dest);
    const key = { db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: at(1).getTime() + 60_000 };
    writeFileSync(join(dest, backupFileName('cache', at(1))), frameFile('REDIS0010', [key], [], { ctime: undefined }));
    writeFileSync(join(dest, backupFileName('cache', at(2))), frameFile('REDIS0010', [key], [], { ctime: String(at(1).getTime() / 1000) }));
    const r = await inWorker('history', 'k', '--from', `file://${dest}`);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('no save time'))).toEqual([
      `no save time (ctime) in point ${backupFileName('cache', at(1))}: expiries and TTLs there are judged at the time the name says, not when the file was saved`,
    ]);
    // Both judged an hour apart would differ; judged at the save (point 2's ctime is point 1's time) they are the same.
    expect(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('rdr-'))
        .map((l) => l.split(/\s{2,}/).slice(2)),
    ).toEqual([
      ['yes', 'string', '1', '60s', expect.any(String), 'first'],
      ['yes', 'string', '1', '60s', expect.any(String), 'same'],
    ]);
    const j = JSON.parse((await inWorker('history', 'k', '--from', `file://${dest}`, '--json')).stdout) as { rows: { savedAt?: string }[]; untimed: string[] };
    expect([j.rows.map((x) => x.savedAt), j.untimed]).toEqual([[undefined, at(1).toISOString()], [backupFileName('cache', at(1))]]);
  }, 30_000);

  it('a ctime past what a double holds exactly in ms is no save time, as the verifier reads it (it threw "Invalid time value", exit 2)', async () => {
    const dest = join(root, 'huge-ctime');
    mkdirSync(dest);
    const key = { db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: at(1).getTime() + 60_000 };
    writeFileSync(join(dest, backupFileName('cache', at(1))), frameFile('REDIS0010', [key], [], { ctime: '1'.repeat(21) }));
    const r = await inWorker('history', 'k', '--from', `file://${dest}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`no save time (ctime) in point ${backupFileName('cache', at(1))}`);
  }, 30_000);

  it('refuses a key and --match together, and neither, exit 2', async () => {
    for (const args of [['user:1', '--match', 'u*'], ['user:1', '--key-base64', 'dXNlcjox'], []]) {
      const r = await inWorker('history', ...args, '--from', `file://${join(root, 'dest')}`);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('history needs a <key>, --key-base64 <bytes> or --match <pattern>, one of them');
    }
  }, 30_000);

  it('follows a key that is not UTF-8 by --key-base64 (as --json prints keyBase64); refuses one that is not base64, exit 2', async () => {
    const dest = join(root, 'base64-key');
    mkdirSync(dest);
    // The key's bytes ff 00 41 ('\xff\x00A'), a string 'v'.
    writeFileSync(
      join(dest, backupFileName('cache', at(1))),
      frameFile('REDIS0010', [{ db: 0, name: '\xff\x00A', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }]),
    );
    const r = await inWorker('history', '--key-base64', '/wBB', '--from', `file://${dest}`, '--show');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`history of "\\xff\\x00A" in db 0, target cache: 1 point(s) read from file://${dest}`);
    expect(lines.filter((l) => l.startsWith('rdr-')).map((l) => l.split(/\s{2,}/).slice(2, 4))).toEqual([['yes', 'string']]);
    const bad = await inWorker('history', '--key-base64', 'not base64!', '--from', `file://${dest}`);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--key-base64 not base64! is not base64: give the key's bytes in base64");
  }, 30_000);

  it('refuses a --since that is no time, exit 2', async () => {
    const r = await inWorker('history', '--match', '*', '--since', 'yesterday', '--from', `file://${join(root, 'dest')}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--since yesterday is no time');
  }, 30_000);

  it("reads --since as an age or a time with its zone, and refuses a time without one (read in the machine's zone it would move the baseline)", () => {
    const since = sinceTime(() => Date.UTC(2030, 0, 2, 12));
    expect(since('90m').toISOString()).toBe('2030-01-02T10:30:00.000Z');
    expect(since('2030-01-01T03:00Z').toISOString()).toBe('2030-01-01T03:00:00.000Z');
    expect(since('2030-01-01T04:00:00+01:00').toISOString()).toBe('2030-01-01T03:00:00.000Z');
    expect(since('Tue Jan  1 03:00:00 UTC 2030').toISOString()).toBe('2030-01-01T03:00:00.000Z');
    // Date.parse reads these in the zone of the machine the CLI runs on (an operator's laptop in UTC-5: 08:00Z).
    for (const local of ['2030-01-01T03:00', '2030-01-01 03:00:00', 'Jan 1 2030 03:00'])
      expect(() => since(local), local).toThrow(new RegExp(`^--since ${local} is no time.*: write an age .*with its zone`));
    expect(() => since('Tue Jan  1 03:00:00 CET 2030')).toThrow(/the zone CET is ambiguous/);
  });

  it('--help names the --from it takes (file:///dir or s3://), and a bare path gets the usage error that says so, exit 2', async () => {
    const help = await inWorker('history', '--help');
    const from = help.stdout.slice(help.stdout.indexOf('\n  --from <destination>'), help.stdout.indexOf('\n  --plan <name>'));
    expect(from).toContain('file:///');
    expect(from).not.toMatch(/or a\s+path/);
    const r = await inWorker('history', 'user:1', '--from', join(root, 'dest'));
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`redis-dr: --from ${join(root, 'dest')} is not a destination: write file:///absolute/dir or s3://bucket/prefix`);
  }, 30_000);

  it('--match ends with the count of each change, so a FLUSHALL of many keys reads in one line', async () => {
    const r = await inWorker('history', '--match', 'user:*', '--from', `file://${join(root, 'dest')}`);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('rdr-')).map((l) => l.split(/\s{2,}/).slice(2))).toEqual([['changed', 'user:1']]);
    expect(lines.at(-1)).toBe('1 change(s) of 1 key(s) over 3 point(s): 1 changed');
  }, 30_000);

  it('--match after a FLUSHALL of several databases: names the other databases holding keys, which it does not follow, and --db follows one (acc35)', async () => {
    // Before: the keys of database 2 that vanished were not listed, and nothing said database 2 was there.
    const dest = join(root, 'dbs');
    mkdirSync(dest);
    const str = (db: number, name: string, v: string) => ({ db, name, type: 0, object: Uint8Array.from([v.length, ...Buffer.from(v)]), expireAtMs: null });
    writeFileSync(join(dest, backupFileName('cache', at(1))), frameFile('REDIS0010', [str(0, 'user:1', 'a'), str(2, 'order:1', 'b'), str(2, 'order:2', 'c')]));
    writeFileSync(join(dest, backupFileName('cache', at(2))), frameFile('REDIS0010', [str(0, 'marker', 'x')]));
    const r = await inWorker('history', '--match', '*', '--from', `file://${dest}`);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-2)).toBe('2 change(s) of 2 key(s) over 2 point(s): 1 appeared, 1 vanished');
    expect(lines.at(-1)).toBe('database 2 also held keys at a point read, not followed here: --db <n> follows one (as --db 2)');
    const db2 = await inWorker('history', '--match', '*', '--db', '2', '--from', `file://${dest}`);
    expect(db2.status, db2.stderr).toBe(0);
    expect(db2.stdout).toMatch(/vanished\s+order:1\n.*vanished\s+order:2\n/);
    expect(db2.stdout.trim().split('\n').at(-1)).toBe('database 0 also held keys at a point read, not followed here: --db <n> follows one (as --db 0)');
    const json = JSON.parse((await inWorker('history', '--match', '*', '--from', `file://${dest}`, '--json')).stdout);
    expect(json.otherDatabases).toEqual([2]);
  }, 30_000);

  it('shows binary keys and values as the project shows keys (displayKey), never like a string that starts with 0x', async () => {
    const dest = join(root, 'binary');
    mkdirSync(dest);
    const server = await startRedisServer();
    const c = server.client();
    const bin = Buffer.from([0x62, 0x00, 0xff]);
    for (const [h, value] of [
      [1, '0x00ff'],
      [2, Buffer.from([0x00, 0xff])],
    ] as const) {
      await c.set('v', value);
      await c.set(h === 1 ? 'b0xff' : bin, 'x');
      await c.rpush(`l${h}`, value, 'a b');
      await c.save();
      copyFileSync(server.rdbPath, join(dest, backupFileName('cache', at(h))));
    }
    await server.stop();
    const r = await inWorker('history', 'v', '--from', `file://${dest}`, '--show');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('    '))).toEqual(['    0x00ff', '    "\\x00\\xff"']);
    const list = await inWorker('history', 'l2', '--from', `file://${dest}`, '--show');
    expect(list.stdout.split('\n').filter((l) => l.startsWith('    '))).toEqual(['    ["\\x00\\xff", "a b"]']);
    const m = await inWorker('history', '--match', 'b*', '--from', `file://${dest}`);
    expect(
      m.stdout
        .split('\n')
        .filter((l) => l.startsWith('rdr-'))
        .map((l) => l.split(/\s{2,}/).slice(2)),
    ).toEqual([['appeared', '"b\\x00\\xff"']]);
    const j = await inWorker('history', '--match', 'b*', '--from', `file://${dest}`, '--json');
    expect((JSON.parse(j.stdout) as { changes: unknown[] }).changes).toEqual([
      expect.objectContaining({ key: bin.toString('utf8'), keyBase64: bin.toString('base64') }),
    ]);
  }, 30_000);
});
