/**
 * How serve's differential test (differential.test.ts) compares two replies
 * that may rightly differ in bytes: an unordered reply as a set (its type
 * kept), a whole scan by what it returned, a random pick by its invariants,
 * a reply holding idle times with its integers masked.
 */

/** A parsed RESP2/RESP3 reply that keeps each part's type (its leading byte). */
export interface Typed {
  readonly t: string;
  readonly v: string | null | Typed[];
}

/** The first reply of `text` (latin1 bytes) with its types. */
export function parseTyped(text: string): Typed {
  let at = 0;
  const one = (): Typed => {
    const end = text.indexOf('\r\n', at);
    const [t, rest] = [text[at]!, text.slice(at + 1, end)];
    at = end + 2;
    if (t === '$' || t === '=' || t === '!') {
      if (rest === '-1') return { t, v: null };
      const v = text.slice(at, at + Number(rest));
      at += Number(rest) + 2;
      return { t, v };
    }
    if ('*~%>'.includes(t)) return rest === '-1' ? { t, v: null } : { t, v: Array.from({ length: Number(rest) * (t === '%' ? 2 : 1) }, one) };
    return { t, v: rest };
  };
  return one();
}

const text = (x: Typed): string => JSON.stringify(x);

/** Pairs of a flat list (a RESP2 map) or of a RESP3 map; the items of an array of pairs (RESP3 WITHSCORES) kept whole. */
function pairs(items: Typed[]): string[] {
  return Array.from({ length: items.length / 2 }, (_, i) => `${text(items[2 * i]!)}=${text(items[2 * i + 1]!)}`);
}

/** `r` as a set: its items sorted (HGETALL's and a map's in pairs), its type kept. */
export function canonical(name: string, r: Typed): string {
  if (!Array.isArray(r.v)) return text(r);
  const items = r.t === '%' || name === 'hgetall' ? pairs(r.v) : r.v.map(text);
  return `${r.t}${JSON.stringify(items.sort())}`;
}

/** `r` with every integer masked (XPENDING's and XINFO CONSUMERS' idle times move with the clock). */
export function masked(r: string): string {
  return r.replace(/^:-?\d+\r\n/gm, ':#\r\n');
}

type Ask = (port: number, db: number, proto: 2 | 3, args: readonly string[]) => Promise<string>;

/** Everything a scan returns from cursor 0 to its end (a set, pairs for HSCAN and ZSCAN), or its error. */
export async function scanned(ask: Ask, port: number, db: number, proto: 2 | 3, args: readonly string[]): Promise<string> {
  const name = args[0]!.toLowerCase();
  const at = name === 'scan' ? 1 : 2;
  const seen = new Set<string>();
  let cursor = args[at]!;
  for (let i = 0; i < 10_000; i++) {
    const raw = await ask(port, db, proto, [...args.slice(0, at), cursor, ...args.slice(at + 1)]);
    if (raw[0] === '-') return raw;
    const [c, page] = parseTyped(raw).v as [Typed, Typed];
    const items = page.v as Typed[];
    for (const x of name === 'hscan' || name === 'zscan' ? pairs(items) : items.map(text)) seen.add(x);
    cursor = c.v as string;
    if (cursor === '0') return [...seen].sort().join('\n');
  }
  return 'a scan that never ended';
}

/** Pairs as `member=value` texts: from a flat list, or from a list of two-item lists (RESP3). */
function flatPairs(items: Typed[]): string[] {
  const flat = items.every((x) => x.t === '*' && Array.isArray(x.v)) ? items.flatMap((x) => x.v as Typed[]) : items;
  return pairs(flat);
}

/**
 * Why served's random reply to `args` (RANDOMKEY, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER) breaks what the reference's
 * shows: another shape or count, a pick not in the value, a repeat where picks are distinct. `all` asks the reference.
 */
export async function randomInvariant(
  args: readonly string[],
  proto: 2 | 3,
  ref: string,
  served: string,
  all: (args: readonly string[]) => Promise<string>,
): Promise<string | undefined> {
  const name = args[0]!.toLowerCase();
  const head = (r: string): string => (r[0] === '$' ? '$' : r.slice(0, r.indexOf('\r\n')));
  if (head(ref) !== head(served)) return `another shape (${head(ref)} vs ${head(served)})`;
  const s = parseTyped(served);
  if (s.v === null) return undefined;
  const key = args[1]!;
  const paired = args.length > 3 && /^(withvalues|withscores)$/i.test(args[3]!);
  const whole = await all(
    name === 'randomkey'
      ? ['KEYS', '*']
      : name === 'srandmember'
        ? ['SMEMBERS', key]
        : name === 'hrandfield'
          ? ['HGETALL', key]
          : ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
  );
  const w = parseTyped(whole).v as Typed[];
  const members = new Set(name === 'randomkey' || name === 'srandmember' ? w.map(text) : flatPairs(w).map((p) => p.split('=')[0]!));
  const pairsOf = new Set(name === 'hrandfield' || name === 'zrandmember' ? flatPairs(w) : []);
  if (!Array.isArray(s.v)) return members.has(text(s)) ? undefined : `${text(s)} is not in the value`;
  const picks = paired ? flatPairs(s.v) : s.v.map(text);
  for (const p of picks) if (!(paired ? pairsOf : members).has(p)) return `${p} is not in the value`;
  const count = Number(args[2]);
  if (count > 0 && new Set(picks).size !== picks.length) return 'a pick repeated';
  return proto === 3 || proto === 2 ? undefined : 'unreachable';
}
