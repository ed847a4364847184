/**
 * The geo reads of a Redis 7.0 server over a sorted set (src/geo.c):
 * GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEORADIUS_RO and
 * GEORADIUSBYMEMBER_RO, their arguments checked in the server's order and
 * their numbers printed as it prints them (geo.ts). A search answers the
 * members whose decoded position is within the radius or box of the centre
 * among those in the nine geohash cells 7.0 walks (geo.ts searchRanges: a
 * member past them, over the antimeridian, is not found, as on 7.0), in
 * their order, sorted by distance with ASC, DESC or COUNT (7.0's sort is
 * not stable: members at one distance may come in another order).
 */
import { type CommandSpec, isReply, type ServeContext, type Session, typed } from './context.js';
import {
  decodeScore,
  distance,
  fixedExact,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  humanDouble,
  latDistance,
  searchRanges,
  standardGeohash,
  UNITS,
} from './geo.js';
import { firstNot, type Scored, scoreOf, sortedOf } from './member-lookup.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger, strtod } from './reply-text.js';

/** A geo set: each member's score (undefined: not there), and its members in the set's order (score, then member bytes). */
interface GeoSet {
  score(member: Buffer): number | undefined;
  readonly sorted: readonly Scored[];
}

/**
 * The geo set at `key`: null when there is no key, a reply for WRONGTYPE. A member's score and the set's order come
 * from the lookup map and order kept with a held value (member-lookup.ts), not made at each request: GEOPOS or GEODIST
 * of one member built the whole map (120 ms a call at 200,000 members, where 7.0 answers from its dict), and each
 * search sorted the whole set, so a client asking member by member was quadratic.
 */
async function geoSetOf(ctx: ServeContext, s: Session, key: Buffer): Promise<GeoSet | null | Reply> {
  const v = await typed(ctx, s, key, 'zset');
  if (v === null || isReply(v)) return v;
  return {
    score: (member) => scoreOf(ctx, v, member),
    get sorted() {
      return sortedOf(ctx, v);
    },
  };
}

/** A double argument as 7.0's string2d reads it: all of it, no leading space, no NaN, no overflow or underflow. */
function string2d(arg: Buffer): number | undefined {
  const text = arg.toString('latin1');
  if (text === '' || /^[ \t\n\v\f\r]/.test(text)) return undefined;
  const v = strtod(text);
  if (v === undefined) return undefined;
  // strtod's ERANGE: a finite text past a double's range, or a nonzero one below it.
  if (!Number.isFinite(v) && !/inf/i.test(text)) return undefined;
  if (v === 0 && /[1-9]/.test(text.replace(/e.*$/i, '').replace(/p.*$/i, ''))) return undefined;
  return v;
}

const pair = (d: number): Reply => R.array([R.double(humanDouble(decodeScore(d)[0])), R.double(humanDouble(decodeScore(d)[1]))]);
/** A distance as 7.0 prints it (addReplyDoubleDistance, `%.4f`): a bulk string in both protocols. */
const distanceReply = (meters: number): Reply => R.bulk(fixedExact(meters, 4));

/** A unit's meters, or 7.0's error. */
function unitOf(arg: Buffer): number | Reply {
  const m = UNITS[arg.toString('latin1').toLowerCase()];
  return m ?? R.error('ERR unsupported unit provided. please use M, KM, FT, MI');
}

/** `lon lat` as extractLongLatOrReply reads them: floats within Redis's bounds. */
function lonLat(lonArg: Buffer, latArg: Buffer): [number, number] | Reply {
  const lon = string2d(lonArg);
  const lat = string2d(latArg);
  if (lon === undefined || lat === undefined) return R.error('ERR value is not a valid float');
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX)
    return R.error(`ERR invalid longitude,latitude pair ${fixedExact(lon, 6)},${fixedExact(lat, 6)}`);
  return [lon, lat];
}

/** The shape searched: a circle (radius) or a box (width, height), in the unit given (`toMeters` each). */
type Shape =
  | { readonly kind: 'radius'; readonly radius: number; readonly toMeters: number }
  | { readonly kind: 'box'; readonly width: number; readonly height: number; readonly toMeters: number };

/** `radius unit` as extractDistanceOrReply reads them. */
function radiusOf(radiusArg: Buffer, unitArg: Buffer): Shape | Reply {
  const radius = string2d(radiusArg);
  if (radius === undefined) return R.error('ERR need numeric radius');
  if (radius < 0) return R.error('ERR radius cannot be negative');
  const toMeters = unitOf(unitArg);
  return isReply(toMeters) ? toMeters : { kind: 'radius', radius, toMeters };
}

/** `width height unit` as extractBoxOrReply reads them. */
function boxOf(w: Buffer, h: Buffer, unitArg: Buffer): Shape | Reply {
  const width = string2d(w);
  if (width === undefined) return R.error('ERR need numeric width');
  const height = string2d(h);
  if (height === undefined) return R.error('ERR need numeric height');
  if (height < 0 || width < 0) return R.error('ERR height or width cannot be negative');
  const toMeters = unitOf(unitArg);
  return isReply(toMeters) ? toMeters : { kind: 'box', width, height, toMeters };
}

/** The distance from the centre of a point within the shape, or undefined (geohashGetDistanceIfInRadius, …InRectangle). */
function within(shape: Shape, [cx, cy]: readonly [number, number], [x, y]: readonly [number, number]): number | undefined {
  if (shape.kind === 'radius') {
    const d = distance(cx, cy, x, y);
    return d <= shape.radius * shape.toMeters ? d : undefined;
  }
  if (latDistance(y, cy) > (shape.height * shape.toMeters) / 2) return undefined;
  if (distance(x, y, cx, y) > (shape.width * shape.toMeters) / 2) return undefined;
  return distance(cx, cy, x, y);
}

/** What a search asked for beyond its centre and shape. */
interface SearchOptions {
  withDist: boolean;
  withHash: boolean;
  withCoord: boolean;
  any: boolean;
  sort: 'none' | 'asc' | 'desc';
  count: number;
  center?: [number, number] | 'missing';
  /** Which of FROMMEMBER and FROMLONLAT gave it (7.0 takes either again, not the other). */
  from?: 'member' | 'lonlat';
  shape?: Shape;
}

/**
 * The options after a search's fixed arguments, in 7.0's order (georadiusGeneric): WITH*, ANY, ASC/DESC, COUNT, and
 * for GEOSEARCH its FROMMEMBER/FROMLONLAT and BYRADIUS/BYBOX (`scores` null: no key, FROMMEMBER then not looked up).
 */
function searchOptions(args: readonly Buffer[], from: number, geosearch: boolean, scores: GeoSet | null): SearchOptions | Reply {
  const o: SearchOptions = { withDist: false, withHash: false, withCoord: false, any: false, sort: 'none', count: 0 };
  for (let i = from; i < args.length; i++) {
    const arg = args[i]!.toString('latin1').toLowerCase();
    const left = args.length - i - 1;
    if (arg === 'withdist') o.withDist = true;
    else if (arg === 'withhash') o.withHash = true;
    else if (arg === 'withcoord') o.withCoord = true;
    else if (arg === 'any') o.any = true;
    else if (arg === 'asc') o.sort = 'asc';
    else if (arg === 'desc') o.sort = 'desc';
    else if (arg === 'count' && left >= 1) {
      const n = parseInteger(args[++i]!);
      if (n === undefined) return R.error(ERR.notInteger);
      if (n <= 0) return R.error('ERR COUNT must be > 0');
      o.count = n;
    } else if (geosearch && arg === 'frommember' && left >= 1 && o.from !== 'lonlat') {
      // The member read first: `scores?.get(args[++i])` would skip the ++ where there is no key.
      const member = args[++i]!;
      const score = scores?.score(member);
      if (scores && score === undefined) return R.error('ERR could not decode requested zset member');
      o.center = score === undefined ? 'missing' : decodeScore(score);
      o.from = 'member';
    } else if (geosearch && arg === 'fromlonlat' && left >= 2 && o.from !== 'member') {
      const c = lonLat(args[i + 1]!, args[i + 2]!);
      if (isReply(c)) return c;
      o.center = c;
      o.from = 'lonlat';
      i += 2;
    } else if (geosearch && arg === 'byradius' && left >= 2 && o.shape?.kind !== 'box') {
      const shape = radiusOf(args[i + 1]!, args[i + 2]!);
      if (isReply(shape)) return shape;
      o.shape = shape;
      i += 2;
    } else if (geosearch && arg === 'bybox' && left >= 3 && o.shape?.kind !== 'radius') {
      const shape = boxOf(args[i + 1]!, args[i + 2]!, args[i + 3]!);
      if (isReply(shape)) return shape;
      o.shape = shape;
      i += 3;
    } else return R.error(ERR.syntax);
  }
  const name = args[0]!.toString('latin1');
  if (geosearch && o.center === undefined) return R.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
  if (geosearch && o.shape === undefined) return R.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
  if (o.any && o.count === 0) return R.error('ERR the ANY argument requires COUNT argument');
  return o;
}

/** The members within the shape, in the cells 7.0 walks (geo.ts searchRanges), sorted as asked (COUNT without ANY: ascending), each with what was asked for. */
function searchReply(scores: GeoSet, center: readonly [number, number], shape: Shape, o: SearchOptions): Reply {
  const m = shape.toMeters;
  const ranges = searchRanges(
    shape.kind === 'radius'
      ? { lon: center[0], lat: center[1], radius: shape.radius * m }
      : { lon: center[0], lat: center[1], halfWidth: (shape.width * m) / 2, halfHeight: (shape.height * m) / 2 },
  );
  // The set in its order (score, then member bytes), as its range walks go: each range from its first member on.
  const members = scores.sorted;
  let found: { member: Buffer; score: number; dist: number }[] = [];
  walk: for (const [min, max] of ranges) {
    // ANY: the first COUNT found, in the cells' order.
    if (o.any && found.length >= o.count) break;
    for (let i = firstNot(members, ([, score]) => score < min); i < members.length; i++) {
      const [member, score] = members[i]!;
      if (score >= max) break;
      const dist = within(shape, center, decodeScore(score));
      if (dist !== undefined) found.push({ member, score, dist });
      if (o.any && found.length >= o.count) break walk;
    }
  }
  const sort = o.count > 0 && o.sort === 'none' && !o.any ? 'asc' : o.sort;
  if (sort !== 'none') found.sort((a, b) => (sort === 'asc' ? a.dist - b.dist : b.dist - a.dist));
  if (o.count > 0) found = found.slice(0, o.count);
  const plain = !o.withDist && !o.withHash && !o.withCoord;
  return R.array(
    found.map(({ member, score, dist }) => {
      const name = R.bulk(member);
      if (plain) return name;
      const items = [name];
      if (o.withDist) items.push(distanceReply(dist / shape.toMeters));
      if (o.withHash) items.push(R.int(Math.trunc(score)));
      if (o.withCoord) items.push(pair(score));
      return R.array(items);
    }),
  );
}

/** GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC] [COUNT n [ANY]] [WITH…]. */
async function geosearch(ctx: ServeContext, s: Session, args: Buffer[]): Promise<Reply> {
  const scores = await geoSetOf(ctx, s, args[1]!);
  if (isReply(scores)) return scores;
  const o = searchOptions(args, 2, true, scores);
  if (isReply(o)) return o;
  if (!scores) return R.array([]);
  return searchReply(scores, o.center as [number, number], o.shape!, o);
}

/** GEORADIUS_RO key lon lat radius unit […] and GEORADIUSBYMEMBER_RO key member radius unit […] (their STORE options: none here). */
function georadius(byMember: boolean): CommandSpec {
  return {
    arity: byMember ? -5 : -6,
    async run(ctx, s, args) {
      const scores = await geoSetOf(ctx, s, args[1]!);
      if (isReply(scores)) return scores;
      let center: [number, number] | undefined;
      let shape: Shape | undefined;
      if (!byMember) {
        const c = lonLat(args[2]!, args[3]!);
        if (isReply(c)) return c;
        center = c;
      } else if (scores) {
        const score = scores.score(args[2]!);
        if (score === undefined) return R.error('ERR could not decode requested zset member');
        center = decodeScore(score);
      }
      // A missing key by member: its radius not read (7.0 goes on to the options, then answers empty).
      if (center) {
        const r = radiusOf(args[byMember ? 3 : 4]!, args[byMember ? 4 : 5]!);
        if (isReply(r)) return r;
        shape = r;
      }
      const o = searchOptions(args, byMember ? 5 : 6, false, scores);
      if (isReply(o)) return o;
      if (!scores) return R.array([]);
      return searchReply(scores, center!, shape!, o);
    },
  };
}

/** GEOPOS and GEOHASH: per member asked, `each` of its score, or `missing` (a member or the key not there). */
function perMember(missing: Reply, each: (score: number) => Reply): CommandSpec {
  return {
    arity: -2,
    async run(ctx, s, [, key, ...members]) {
      const scores = await geoSetOf(ctx, s, key!);
      if (isReply(scores)) return scores;
      return R.array(
        members.map((m) => {
          const score = scores?.score(m);
          return score === undefined ? missing : each(score);
        }),
      );
    },
  };
}

export const GEO_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  geopos: perMember(R.nullArray, pair),
  geohash: perMember(R.null, (score) => R.bulk(standardGeohash(...decodeScore(score)))),
  geodist: {
    arity: -4,
    async run(ctx, s, args) {
      let toMeters = 1;
      if (args.length === 5) {
        const u = unitOf(args[4]!);
        if (isReply(u)) return u;
        toMeters = u;
      } else if (args.length > 5) return R.error(ERR.syntax);
      const scores = await geoSetOf(ctx, s, args[1]!);
      if (scores === null || isReply(scores)) return scores ?? R.null;
      const a = scores.score(args[2]!);
      const b = scores.score(args[3]!);
      if (a === undefined || b === undefined) return R.null;
      return distanceReply(distance(...decodeScore(a), ...decodeScore(b)) / toMeters);
    },
  },
  geosearch: { arity: -7, run: geosearch },
  georadius_ro: georadius(false),
  georadiusbymember_ro: georadius(true),
};
