/**
 * serve against redis-server 7.0, command by command, with generated
 * commands (issue 56: "Replies are byte-for-byte those of the server that
 * wrote the file (unordered ones as sets)"). A fixed seed makes a few
 * thousand read commands over every read command serve answers (test/support/serve-fuzz.ts),
 * sent to serve and to a redis-server loaded from the same file, their raw
 * replies compared in RESP2 and a slice in RESP3; then generated write
 * commands, sent to serve and to a read-only replica (the writer made a
 * replica of a closed port: it keeps its data), which must answer alike
 * (the READONLY line compared by its code: a replica names itself, serve
 * the recovery point) and change nothing. A mismatch names the seed and the
 * command; `REDIS_DR_FUZZ_SEED=<n>` runs another seed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, WRITE_COMMANDS } from '../../../../lambdas/domain/serve/commands.js';
import { RawClient } from '../../../support/resp-raw.js';
import { fuzzPoint, NOT_GENERATED, readGenerator, type Generated } from '../../../support/serve-fuzz.js';
import { mulberry32 } from '../../../../lambdas/domain/keys/prng.js';
import { canonical, randomInvariant, parseTyped, scanned, masked } from '../../../support/serve-fuzz-compare.js';
import { rawReplies, readonlyCode, type ServedBeside } from '../../../support/serve-parity.js';

const SEED = Number(process.env.REDIS_DR_FUZZ_SEED ?? 5606);
const READS = 3_000;
const RESP3_READS = 1_000;

let point: ServedBeside;

beforeAll(async () => {
  point = await fuzzPoint();
}, 60_000);

afterAll(async () => {
  await point?.close();
});

const bytes = (args: readonly string[]): Buffer[] => args.map((a) => Buffer.from(a, 'latin1'));

/** The raw replies of `port` to `cmds` on one connection, the database each was sent in, and when the last was answered. */
async function send(port: number, cmds: readonly Generated[], proto: 2 | 3): Promise<{ replies: string[]; dbs: number[] }> {
  const raw = await RawClient.open(port);
  try {
    if (proto === 3) await raw.call('HELLO', '3');
    const replies: string[] = [];
    const dbs: number[] = [];
    let db = 0;
    for (const g of cmds) {
      dbs.push(db);
      const r = await raw.call(...bytes(g.args));
      if (/^select$/i.test(g.args[0]!) && r === '+OK\r\n') db = Number(g.args[1]);
      replies.push(r);
    }
    return { replies, dbs };
  } finally {
    raw.close();
  }
}

/** One raw reply of `port` to `args` in database `db`, RESP `proto`. */
async function ask(port: number, db: number, proto: 2 | 3, args: readonly string[]): Promise<string> {
  const raw = await RawClient.open(port);
  try {
    if (proto === 3) await raw.call('HELLO', '3');
    await raw.call('SELECT', String(db));
    return await raw.call(...bytes(args));
  } finally {
    raw.close();
  }
}

/**
 * A DUMP payload's value as the reference reads it once restored (in database 15, which no generated command uses): its
 * type, encoding and contents as a set. A hash table's payload lists its members in the table's order, which a
 * server's random hash seed sets: two servers' bytes differ where their values are the same.
 */
async function restored(reply: string): Promise<string> {
  const payload = parseTyped(reply).v;
  if (typeof payload !== 'string') return reply;
  const k = 'fuzz:restored';
  const raw = await RawClient.open(point.reference.port);
  try {
    await raw.call('SELECT', '15');
    const ok = await raw.call(Buffer.from('RESTORE'), Buffer.from(k), Buffer.from('0'), Buffer.from(payload, 'latin1'), Buffer.from('REPLACE'));
    const type = parseTyped(await raw.call('TYPE', k)).v as string;
    const read = {
      string: ['GET'],
      list: ['LRANGE', k, '0', '-1'],
      set: ['SMEMBERS'],
      hash: ['HGETALL'],
      zset: ['ZRANGE', k, '0', '-1', 'WITHSCORES'],
      stream: ['XRANGE', k, '-', '+'],
    }[type] ?? ['TYPE'];
    const name = read[0]!.toLowerCase();
    const got = await raw.call(...(read.length > 1 ? read : [read[0]!, k]));
    const value = name === 'smembers' || name === 'hgetall' ? canonical(name, parseTyped(got)) : got;
    return `${ok} ${type} ${await raw.call('OBJECT', 'ENCODING', k)} ${value}`;
  } finally {
    raw.close();
  }
}

/** Why the replies to `g` differ (seed and command named), or undefined when they agree as its kind says. */
async function mismatch(seed: number, g: Generated, db: number, proto: 2 | 3, ref: string, served: string, slackMs: number): Promise<string | undefined> {
  const label = `seed ${seed}, RESP${proto}, db ${db}: ${JSON.stringify(g.args)}`;
  const differ = (why: string): string =>
    `${label}: ${why}\n  reference ${JSON.stringify(ref.slice(0, 400))}\n  served    ${JSON.stringify(served.slice(0, 400))}`;
  if (ref === served) return undefined;
  if (ref.startsWith('-') || served.startsWith('-')) return differ('an error on one side, or a different one');
  const name = g.args[0]!.toLowerCase();
  if (g.kind === 'set') return canonical(name, parseTyped(ref)) === canonical(name, parseTyped(served)) ? undefined : differ('not the same set');
  if (g.kind === 'idle') return masked(ref) === masked(served) ? undefined : differ('not the same (idle times aside)');
  if (g.kind === 'ttl') {
    const [a, b] = [Number(ref.slice(1)), Number(served.slice(1))];
    const unit = name === 'ttl' ? 1000 : 1;
    const ok = ref[0] === ':' && served[0] === ':' && a > 0 && b > 0 && b <= a && (a - b) * unit <= slackMs + 1000;
    return ok ? undefined : differ(`not the same TTL within the ${slackMs} ms between the two asks`);
  }
  if (g.kind === 'scan') {
    // From a cursor other than 0 a page depends on the server's table layout: only its shape is held.
    if (g.args[name === 'scan' ? 1 : 2] !== '0') return ref.slice(0, 5) === served.slice(0, 5) ? undefined : differ('another shape');
    const [r, s] = [await scanned(ask, point.reference.port, db, proto, g.args), await scanned(ask, point.serving.port, db, proto, g.args)];
    return r === s ? undefined : differ(`a whole scan differs:\n  ${r.slice(0, 300)}\n  ${s.slice(0, 300)}`);
  }
  if (g.kind === 'dump') return (await restored(ref)) === (await restored(served)) ? undefined : differ('not the same value once restored');
  if (g.kind === 'random') {
    const why = await randomInvariant(g.args, proto, ref, served, (args) => ask(point.reference.port, db, proto, args));
    return why === undefined ? undefined : differ(why);
  }
  return differ('not the same bytes');
}

async function compareReads(seed: number, count: number, proto: 2 | 3): Promise<number> {
  const gen = readGenerator(seed);
  const cmds = Array.from({ length: count }, () => gen.next());
  const started = Date.now();
  const ref = await send(point.reference.port, cmds, proto);
  const served = await send(point.serving.port, cmds, proto);
  const slack = Date.now() - started;
  const found: string[] = [];
  for (let i = 0; i < cmds.length && found.length < 60; i++) {
    const why = await mismatch(seed, cmds[i]!, ref.dbs[i]!, proto, ref.replies[i]!, served.replies[i]!, slack);
    if (why) found.push(why);
  }
  expect(found.join('\n')).toBe('');
  return cmds.length;
}

describe(`generated read commands, seed ${SEED}`, () => {
  it('every read command serve answers is generated, and most replies are values, not errors (negative: the generator is not all errors)', async () => {
    const gen = readGenerator(SEED);
    const cmds = Array.from({ length: READS }, () => gen.next());
    const names = new Set(cmds.map((c) => c.args[0]!.toLowerCase()));
    expect([...names, ...NOT_GENERATED].sort()).toEqual(Object.keys(COMMANDS).sort());
    const { replies } = await send(point.reference.port, cmds.slice(0, 400), 2);
    const errors = replies.filter((r) => r.startsWith('-')).length;
    expect(errors).toBeGreaterThan(20);
    expect(errors).toBeLessThan(200);
  });

  it('negative: each way of comparing reports a reply that differs (and an unordered one reordered is the same)', async () => {
    const g = (kind: Generated['kind'], ...args: string[]): Generated => ({ args, kind });
    const ask2 = (args: string[]): Promise<string> => ask(point.reference.port, 0, 2, args);
    const members = await ask2(['SMEMBERS', 'set:small']);
    const shuffled = `*5\r\n${(parseTyped(members).v as { v: string }[])
      .map((x) => `$${x.v.length}\r\n${x.v}\r\n`)
      .reverse()
      .join('')}`;
    const cases: [Generated, string, string, boolean][] = [
      [g('exact', 'GET', 's:embstr'), '$1\r\na\r\n', '$1\r\nb\r\n', true],
      [g('exact', 'GET', 's:embstr'), '$1\r\na\r\n', '-ERR x\r\n', true],
      [g('set', 'SMEMBERS', 'set:small'), members, shuffled, false],
      [g('set', 'SMEMBERS', 'set:small'), members, shuffled.replace('$1\r\nz\r\n', '$1\r\nq\r\n'), true],
      [g('set', 'HGETALL', 'h:small'), '*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n', '*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n1\r\n', true],
      [g('random', 'SRANDMEMBER', 'set:small', '2'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n', '*2\r\n$1\r\nz\r\n$1\r\nx\r\n', false],
      [g('random', 'SRANDMEMBER', 'set:small', '2'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n', '*2\r\n$1\r\nx\r\n$1\r\nq\r\n', true],
      [g('random', 'SRANDMEMBER', 'set:small', '2'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n', '*2\r\n$1\r\nx\r\n$1\r\nx\r\n', true],
      [g('random', 'SRANDMEMBER', 'set:small', '2'), '*2\r\n$1\r\nx\r\n$1\r\ny\r\n', '*1\r\n$1\r\nx\r\n', true],
      [g('random', 'HRANDFIELD', 'h:small', '1', 'WITHVALUES'), '*2\r\n$1\r\na\r\n$1\r\n1\r\n', '*2\r\n$1\r\na\r\n$1\r\n2\r\n', true],
      [g('ttl', 'TTL', 'ttl:s'), ':100\r\n', ':99\r\n', false],
      [g('ttl', 'TTL', 'ttl:s'), ':100\r\n', ':50\r\n', true],
      [g('ttl', 'TTL', 'ttl:s'), ':-1\r\n', ':99\r\n', true],
      [g('idle', 'XPENDING', 'x:g', 'g', '-', '+', '1'), '*1\r\n$3\r\n1-0\r\n:5\r\n', '*1\r\n$3\r\n1-0\r\n:9\r\n', false],
      [g('idle', 'XPENDING', 'x:g', 'g', '-', '+', '1'), '*1\r\n$3\r\n1-0\r\n:5\r\n', '*1\r\n$3\r\n2-0\r\n:5\r\n', true],
      [g('dump', 'DUMP', 'set:small'), await ask2(['DUMP', 'set:small']), await ask2(['DUMP', 'set:other']), true],
      [g('scan', 'SSCAN', 'set:small', '7'), '*2\r\n$1\r\n0\r\n*0\r\n', '*2\r\n$1\r\n9\r\n*0\r\n', false],
      [g('scan', 'SSCAN', 'set:small', '7'), '*2\r\n$1\r\n0\r\n*0\r\n', '*3\r\n$1\r\n0\r\n*0\r\n', true],
    ];
    const told = [];
    for (const [gen, ref, served, differs] of cases) told.push([gen.args.join(' '), (await mismatch(0, gen, 0, 2, ref, served, 1000)) !== undefined, differs]);
    expect(told.map(([c, got]) => [c, got])).toEqual(told.map(([c, , want]) => [c, want]));
  });

  it(`${READS} commands in RESP2, byte for byte (unordered as sets, random by invariants)`, async () => {
    expect(await compareReads(SEED, READS, 2)).toBe(READS);
  }, 60_000);

  it(`${RESP3_READS} commands in RESP3 after HELLO 3`, async () => {
    expect(await compareReads(SEED + 1, RESP3_READS, 3)).toBe(RESP3_READS);
  }, 60_000);
});

/** Every key of databases 0, 1 and 5 served, with its DUMP: what a write could have changed. */
async function snapshot(): Promise<string> {
  const out: string[] = [];
  for (const db of [0, 1, 5]) {
    const keys = parseTyped(await ask(point.serving.port, db, 2, ['KEYS', '*'])) as { v: { v: string }[] };
    for (const k of keys.v.map((x) => x.v).sort()) out.push(`${db} ${JSON.stringify(k)} ${await ask(point.serving.port, db, 2, ['DUMP', k])}`);
  }
  return out.join('\n');
}

describe(`generated write commands, seed ${SEED}`, () => {
  it('each answered as a read-only redis-server 7.0 replica answers it (its arity first, then READONLY), and nothing changes', async () => {
    const rnd = mulberry32(SEED + 2);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const replica = point.writer.client();
    type Doc = [string, number, string[], unknown, unknown, unknown, unknown, unknown, unknown, Doc[]?];
    const docs = (await replica.call('COMMAND')) as Doc[];
    // Only what the replica refuses unrun (its `write` flag); the others (EVAL, SAVE, SHUTDOWN…) it would run. A container
    // (XGROUP, FUNCTION) by its write subcommands, and one it does not have (not HELP: 7.0 answers it, serve refuses it).
    const subsOf = new Map(docs.map((d) => [d[0], (d[9] ?? []).filter((sub) => sub[2].includes('write')).map((sub) => sub[0].split('|')[1]!)]));
    const names = [...WRITE_COMMANDS].filter((n) => docs.some((d) => d[0] === n && (d[2].includes('write') || subsOf.get(n)!.length > 0)));
    expect(names.length).toBeGreaterThan(90);
    expect(names).toEqual(expect.arrayContaining(['xgroup', 'function', 'set']));
    const words = ['s:int', 'h:small', 'x:g', 'k', '1', '0', '-1', 'x', '', 'EX', '10', 'CREATE', 'g', '$', 'FIELDS', 'NX'];
    const cmds = Array.from({ length: 800 }, () => {
      const n = pick(names);
      const subs = subsOf.get(n)!;
      const sub = subs.length > 0 && rnd() < 0.9 ? [pick([...subs, 'nosuch'])] : [];
      return [rnd() < 0.5 ? n.toUpperCase() : n, ...sub, ...Array.from({ length: Math.floor(rnd() * 5) }, () => pick(words))];
    });
    const before = await snapshot();
    const run = async (port: number): Promise<string[]> => (await rawReplies(port, cmds.map(bytes))).map(readonlyCode);
    const [ref, served] = [await run(point.writer.port), await run(point.serving.port)];
    const found = cmds.flatMap((c, i) =>
      ref[i] === served[i] ? [] : [`seed ${SEED + 2}: ${JSON.stringify(c)}: replica ${JSON.stringify(ref[i])}, served ${JSON.stringify(served[i])}`],
    );
    expect(found.slice(0, 10).join('\n')).toBe('');
    expect(ref.filter((r) => r === '-READONLY\r\n').length).toBeGreaterThan(100); // negative: not all arity errors
    expect(await snapshot()).toBe(before);
  }, 60_000);
});
