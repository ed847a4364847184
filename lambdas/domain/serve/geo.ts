/**
 * Redis's geo arithmetic (src/geohash.c, geohash_helper.c, geo.c of 7.0):
 * a sorted-set score as the 52-bit interleaved hash of a position (26 bits
 * of latitude over ±85.05112878°, 26 of longitude), decoded to the centre of
 * its cell; the haversine distance over Redis's Earth radius; the standard
 * 11-character geohash; and the server's number texts (`%.17Lf` trimmed,
 * `%.4f`), printed exactly from the double as glibc prints it.
 */

export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
const STEP = 26;
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const D_R = Math.PI / 180.0;

/** The even bits of a 32-bit word, packed into its low 16 (the magic-mask Morton decode: five shifts, not 16 steps). */
function evenBits(x: number): number {
  let v = x & 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  return (v | (v >>> 8)) & 0x0000ffff;
}

/** The low 16 bits of `x` spread to the even places of a 32-bit word (evenBits undone). */
function spreadBits(x: number): number {
  let v = x & 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  return (v | (v << 1)) & 0x55555555;
}

/**
 * The even bits of `bits` (the latitude's), and the odd ones (the longitude's), each as an integer (deinterleave64):
 * over the two 32-bit halves with masks, not a BigInt shift a bit (that loop was 2.5 CPU-s of the test suite's
 * profile, serve's GEO tests).
 */
function deinterleave(bits: bigint): [lat: number, lon: number] {
  const lo = Number(BigInt.asUintN(32, bits));
  const hi = Number(BigInt.asUintN(32, bits >> 32n));
  return [evenBits(lo) + evenBits(hi) * 0x10000, evenBits(lo >>> 1) + evenBits(hi >>> 1) * 0x10000];
}

/** Two 32-bit integers interleaved, `lat`'s bits at the even places, `lon`'s at the odd (interleave64). */
function interleave(lat: number, lon: number): bigint {
  const lo = (spreadBits(lat) | (spreadBits(lon) << 1)) >>> 0;
  const hi = (spreadBits(lat >>> 16) | (spreadBits(lon >>> 16) << 1)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** A cell of `step` bits a coordinate: its bounds (geohashDecode over Redis's ranges, or the standard ±90° for GEOHASH). */
interface Area {
  readonly latMin: number;
  readonly latMax: number;
  readonly lonMin: number;
  readonly lonMax: number;
}

function decodeArea(bits: bigint, step: number, latLow = GEO_LAT_MIN, latHigh = GEO_LAT_MAX): Area {
  const [ilat, ilon] = deinterleave(bits);
  const cells = 2 ** step;
  const latScale = latHigh - latLow;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  return {
    latMin: latLow + ((ilat * 1.0) / cells) * latScale,
    latMax: latLow + (((ilat + 1) * 1.0) / cells) * latScale,
    lonMin: GEO_LONG_MIN + ((ilon * 1.0) / cells) * lonScale,
    lonMax: GEO_LONG_MIN + (((ilon + 1) * 1.0) / cells) * lonScale,
  };
}

/** The cell of `step` bits holding a position (geohashEncode: offsets truncated to integers, then interleaved). */
function encode(lon: number, lat: number, step: number, latLow = GEO_LAT_MIN, latHigh = GEO_LAT_MAX): bigint {
  const latOffset = ((lat - latLow) / (latHigh - latLow)) * 2 ** step;
  const lonOffset = ((lon - GEO_LONG_MIN) / (GEO_LONG_MAX - GEO_LONG_MIN)) * 2 ** step;
  return interleave(Math.trunc(latOffset) >>> 0, Math.trunc(lonOffset) >>> 0);
}

const SIGN = 1n << 63n;

/**
 * C's `(uint64_t)score` as x86-64 computes it (a geo score is an integer below 2^52; any other a sorted set holds
 * decodes too): the integer part modulo 2^64, a value past the signed range (infinities) as 2^63 or 0.
 */
function toUint64(x: number): bigint {
  if (x < 2 ** 63) {
    // cvttsd2si: the integer part, or 2^63 (its "indefinite") where it does not fit.
    const t = x >= -(2 ** 63) ? BigInt(Math.trunc(x)) : -SIGN;
    return t & ((1n << 64n) - 1n);
  }
  const y = x - 2 ** 63;
  return (y < 2 ** 63 ? BigInt(Math.trunc(y)) : SIGN) ^ SIGN;
}

/** A score as the position it holds: [longitude, latitude], the centre of its cell (geohashDecodeToLongLatWGS84). */
export function decodeScore(score: number): [lon: number, lat: number] {
  const a = decodeArea(toUint64(score), STEP);
  const lon = Math.min(GEO_LONG_MAX, Math.max(GEO_LONG_MIN, (a.lonMin + a.lonMax) / 2));
  const lat = Math.min(GEO_LAT_MAX, Math.max(GEO_LAT_MIN, (a.latMin + a.latMax) / 2));
  return [lon, lat];
}

const U64 = (1n << 64n) - 1n;
const ODD = 0xaaaaaaaaaaaaaaaan;
const EVEN = 0x5555555555555555n;

/** The cell `d` (±1) along one axis (`odd`: longitude) from `bits`, wrapping at the edges (geohash_move_x, geohash_move_y). */
function move(bits: bigint, step: number, odd: boolean, d: number): bigint {
  if (d === 0) return bits;
  const shift = BigInt(64 - step * 2);
  let mine = bits & (odd ? ODD : EVEN);
  const other = bits & (odd ? EVEN : ODD);
  const zz = (odd ? EVEN : ODD) >> shift;
  if (d > 0) mine = (mine + zz + 1n) & U64;
  else mine = ((mine | zz) - (zz + 1n)) & U64;
  mine &= (odd ? ODD : EVEN) >> shift;
  return mine | other;
}

/** A search's shape in meters, about a centre. */
export interface GeoShape {
  readonly lon: number;
  readonly lat: number;
  /** A circle's radius, or a box's half width and half height (meters). */
  readonly radius?: number;
  readonly halfWidth?: number;
  readonly halfHeight?: number;
}

/** How many bits a coordinate the nine cells of a search have (geohashEstimateStepsByRadius). */
function stepsFor(meters: number, lat: number): number {
  if (meters === 0) return 26;
  let step = 1;
  for (let r = meters; r < 20037726.37; r *= 2) step++;
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/**
 * The score ranges [min, max) a search walks, in 7.0's order (geohashCalculateAreasByShapeWGS84 and geo.c
 * membersOfAllNeighbors): the centre's cell and its eight neighbours at the step the shape's size gives, a step
 * coarser where a neighbour would not reach the shape's bounding box, those wholly outside the box left out, and
 * a cell the same as the one walked before it skipped. Members outside these cells are not found, as on 7.0.
 */
export function searchRanges(shape: GeoShape): [min: number, max: number][] {
  const { lon, lat } = shape;
  const height = shape.radius ?? shape.halfHeight!;
  const width = shape.radius ?? shape.halfWidth!;
  const latDelta = height / EARTH_RADIUS_IN_METERS / D_R;
  const lonDeltaTop = width / EARTH_RADIUS_IN_METERS / Math.cos((lat + latDelta) * D_R) / D_R;
  const lonDeltaBottom = width / EARTH_RADIUS_IN_METERS / Math.cos((lat - latDelta) * D_R) / D_R;
  const south = lat < 0;
  const [minLon, maxLon] = south ? [lon - lonDeltaBottom, lon + lonDeltaBottom] : [lon - lonDeltaTop, lon + lonDeltaTop];
  const [minLat, maxLat] = [lat - latDelta, lat + latDelta];
  const meters = shape.radius ?? Math.sqrt(shape.halfWidth! ** 2 + shape.halfHeight! ** 2);
  let step = stepsFor(meters, lat);
  const around = (st: number) => {
    const hash = encode(lon, lat, st);
    const at = (dx: number, dy: number): bigint => move(move(hash, st, true, dx), st, false, dy);
    return { hash, n: at(0, 1), s: at(0, -1), e: at(1, 0), w: at(-1, 0), ne: at(1, 1), nw: at(-1, 1), se: at(1, -1), sw: at(-1, -1) };
  };
  let c = around(step);
  const area = (bits: bigint): Area => decodeArea(bits, step);
  if (step > 1 && (area(c.n).latMax < maxLat || area(c.s).latMin > minLat || area(c.e).lonMax < maxLon || area(c.w).lonMin > minLon)) {
    step--;
    c = around(step);
  }
  const centre = area(c.hash);
  const drop = new Set<string>();
  if (step >= 2) {
    if (centre.latMin < minLat) for (const k of ['s', 'sw', 'se']) drop.add(k);
    if (centre.latMax > maxLat) for (const k of ['n', 'ne', 'nw']) drop.add(k);
    if (centre.lonMin < minLon) for (const k of ['w', 'sw', 'nw']) drop.add(k);
    if (centre.lonMax > maxLon) for (const k of ['e', 'se', 'ne']) drop.add(k);
  }
  const order = ['hash', 'n', 's', 'e', 'w', 'ne', 'nw', 'se', 'sw'] as const;
  const out: [number, number][] = [];
  // The last cell walked, once it is a neighbour (7.0 compares with it only then: a neighbour the same as the centre is walked again).
  let last: bigint | undefined;
  for (const k of order) {
    if (drop.has(k)) continue;
    const bits = c[k];
    if (last !== undefined && bits === last) continue;
    const align = BigInt(52 - step * 2);
    out.push([Number(bits << align), Number((bits + 1n) << align)]);
    if (k !== 'hash') last = bits;
  }
  return out;
}

/** The haversine distance in meters (geohashGetDistance): along a meridian alone where the longitudes' sine is 0. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = lon1 * D_R;
  const lon2r = lon2 * D_R;
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1, lat2);
  const lat1r = lat1 * D_R;
  const lat2r = lat2 * D_R;
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** The distance along a meridian (geohashGetLatDistance). */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(lat2 * D_R - lat1 * D_R);
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's text of a position: re-encoded over the standard ±90° latitude, 52 bits, the 11th character '0' (geo.c geohashCommand). */
export function standardGeohash(lon: number, lat: number): string {
  const bits = encode(lon, lat, STEP, -90, 90);
  let out = '';
  for (let i = 0; i < 10; i++) out += ALPHABET[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return `${out}0`;
}

/** `d` with exactly `digits` decimals, rounded half to even from its exact binary value (glibc's `%.<digits>f`). */
export function fixedExact(d: number, digits: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : d < 0 ? '-inf' : 'nan';
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, d);
  const raw = dv.getBigUint64(0);
  const negative = raw >> 63n === 1n;
  const exp = Number((raw >> 52n) & 0x7ffn);
  let mant = raw & ((1n << 52n) - 1n);
  let e2: number;
  if (exp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = exp - 1075;
  }
  // |d| = mant × 2^e2; scaled by 10^digits and rounded half to even.
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (e2 >= 0) q = (mant << BigInt(e2)) * scale;
  else {
    const den = 1n << BigInt(-e2);
    const num = mant * scale;
    q = num / den;
    const rem = num % den;
    if (rem * 2n > den || (rem * 2n === den && q % 2n === 1n)) q += 1n;
  }
  const text = q.toString().padStart(digits + 1, '0');
  const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${body}` : body;
}

/** A coordinate as GEOPOS and WITHCOORD print it (addReplyHumanLongDouble: `%.17Lf`, trailing zeros and dot dropped, `-0` as `0`). */
export function humanDouble(d: number): string {
  let s = fixedExact(d, 17);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** The meters in one of each unit Redis takes (geo.c extractUnitOrReply), by lower-case name. */
export const UNITS: Readonly<Record<string, number>> = { m: 1, km: 1000, ft: 0.3048, mi: 1609.34 };
