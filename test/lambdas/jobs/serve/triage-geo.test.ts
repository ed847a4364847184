/**
 * The geo reads at a served point (issue 56): GEOPOS, GEODIST, GEOHASH,
 * GEOSEARCH, GEORADIUS_RO and GEORADIUSBYMEMBER_RO against a redis-server
 * 7.0 loaded from the same file. Positions and distances byte for byte (7.0
 * prints coordinates `%.17Lf` and distances `%.4f`); a search without a
 * sort answers in an order a client cannot rely on (7.0's geohash cells'),
 * so those are compared as sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReply, rawReplies, serveBeside, type ServedBeside } from '../../../support/serve-parity.js';

let point: ServedBeside;

/** Cities, and points at the edges: the antimeridian, Redis's latitude bounds, the equator and the prime meridian. */
const PLACES: [number, number, string][] = [
  [13.361389, 38.115556, 'Palermo'],
  [15.087269, 37.502669, 'Catania'],
  [12.758489, 38.788135, 'edge1'],
  [13.583333, 37.316667, 'Agrigento'],
  [2.3522, 48.8566, 'Paris'],
  [-0.1276, 51.5072, 'London'],
  [-74.006, 40.7128, 'New York'],
  [139.6917, 35.6895, 'Tokyo'],
  [179.9999, 0.5, 'east-of-date'],
  [-179.9999, 0.5, 'west-of-date'],
  [0, 0, 'null-island'],
  [-180, -85.05112878, 'south-west-corner'],
  [180, 85.05112878, 'north-east-corner'],
  [151.2093, -33.8688, 'Sydney'],
  [13.4, 38.1, 'near-palermo'],
];

beforeAll(async () => {
  point = await serveBeside(async (c) => {
    await c.geoadd('geo', ...PLACES.flat());
    await c.geoadd('geo:empty-ish', 13.361389, 38.115556, 'only');
    await c.set('str', 'x');
    // Scores no GEOADD writes: 7.0 decodes them all the same (C's cast of the score to 64 bits).
    await c.zadd('notgeo', '-3', 'neg', '1.5', 'frac', 'inf', 'inf', '-inf', 'ninf', '9007199254740993', 'p53', '1e20', 'e20', '0', 'zero');
    // A big set (a skiplist on load): 300 points on a grid around Sicily.
    await c.geoadd('geo:big', ...Array.from({ length: 300 }, (_, i) => [12 + (i % 20) * 0.17, 36.5 + Math.floor(i / 20) * 0.19, `g${i}`]).flat());
  });
}, 60_000);

afterAll(async () => {
  await point?.close();
});

const names = PLACES.map(([, , n]) => n);

const EXACT: string[][] = [
  ['GEOPOS', 'geo', ...names, 'nope'],
  ['GEOPOS', 'nope', 'a', 'b'],
  ['GEOPOS', 'notgeo', 'neg', 'frac', 'inf', 'ninf', 'p53', 'e20', 'zero'],
  ['GEOHASH', 'notgeo', 'neg', 'frac', 'inf', 'ninf', 'p53', 'e20', 'zero'],
  ['GEODIST', 'notgeo', 'neg', 'inf'],
  ['GEODIST', 'notgeo', 'e20', 'zero', 'km'],
  ['GEOSEARCH', 'notgeo', 'FROMMEMBER', 'zero', 'BYRADIUS', '100', 'km', 'ASC', 'WITHCOORD', 'WITHHASH'],
  ['GEOPOS', 'geo'],
  ['GEOPOS', 'str', 'a'],
  ['GEOHASH', 'geo', ...names, 'nope'],
  ['GEOHASH', 'nope', 'a'],
  ['GEOHASH', 'str', 'a'],
  ...['m', 'km', 'ft', 'mi', 'KM', 'Mi'].flatMap((u) => [
    ['GEODIST', 'geo', 'Palermo', 'Catania', u],
    ['GEODIST', 'geo', 'Paris', 'Sydney', u],
  ]),
  ...names.flatMap((a, i) => names.slice(i + 1).map((b) => ['GEODIST', 'geo', a, b])),
  ['GEODIST', 'geo', 'east-of-date', 'west-of-date'],
  ['GEODIST', 'geo', 'Palermo', 'Palermo'],
  ['GEODIST', 'geo', 'Palermo', 'nope'],
  ['GEODIST', 'nope', 'a', 'b'],
  ['GEODIST', 'str', 'a', 'b'],
  ['GEODIST', 'geo', 'Palermo', 'Catania', 'yd'],
  ['GEODIST', 'geo', 'Palermo', 'Catania', 'km', 'x'],
  ['GEODIST', 'geo', 'Palermo'],
  // Sorted searches: one order.
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'DESC', 'WITHDIST'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '3000', 'km', 'COUNT', '4', 'WITHDIST'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'Paris', 'BYBOX', '2000', '1000', 'km', 'ASC', 'WITHCOORD'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '180', '0', 'BYRADIUS', '100', 'km', 'ASC', 'WITHDIST'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'm', 'ASC', 'WITHDIST', 'WITHCOORD'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '0', 'm', 'ASC'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'Tokyo', 'BYRADIUS', '10', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '100', 'mi', 'COUNT', '1'],
  ['GEOSEARCH', 'geo:big', 'FROMLONLAT', '13.5', '37.5', 'BYRADIUS', '40', 'km', 'COUNT', '7', 'WITHDIST', 'WITHCOORD'],
  ['GEOSEARCH', 'geo:big', 'FROMMEMBER', 'g150', 'BYBOX', '60', '30', 'km', 'DESC', 'COUNT', '5', 'WITHDIST'],
  ['GEORADIUS_RO', 'geo', '15', '37', '200', 'km', 'ASC', 'WITHDIST', 'WITHCOORD'],
  ['GEORADIUS_RO', 'geo', '15', '37', '200', 'km', 'COUNT', '2', 'DESC'],
  ['GEORADIUSBYMEMBER_RO', 'geo', 'Palermo', '200', 'km', 'ASC', 'WITHDIST', 'WITHHASH'],
  ['GEORADIUSBYMEMBER_RO', 'geo:big', 'g42', '25000', 'm', 'COUNT', '6', 'WITHDIST'],
  // Missing keys and empty answers.
  ['GEOSEARCH', 'nope', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'nope', 'FROMMEMBER', 'x', 'BYRADIUS', '200', 'km'],
  ['GEORADIUS_RO', 'nope', '15', '37', '200', 'km'],
  ['GEORADIUSBYMEMBER_RO', 'nope', 'x', 'bad', 'unit'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '-100', '-60', 'BYRADIUS', '10', 'km'],
  // Every error, in 7.0's order.
  ['GEOSEARCH', 'str', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '200', '10', 'BYRADIUS', '10', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '10', '86', 'BYRADIUS', '10', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', 'x', '10', 'BYRADIUS', '10', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', ' 15', '37', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '1e400', '37', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', 'x', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '-1', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'yd'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYBOX', 'x', '1', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYBOX', '1', 'x', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '-1', 'km'],
  ['GeoSearch', 'geo', 'FROMLONLAT', '15', '37', 'WITHDIST'],
  ['GEOSEARCH', 'geo', 'BYRADIUS', '1', 'km', 'WITHDIST'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ANY'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '0'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', 'x'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'nope', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'Palermo', 'FROMMEMBER', 'Catania', 'BYRADIUS', '200', 'km', 'ASC'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'BYBOX', '1', '1', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STORE', 'x'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'],
  ['GEORADIUS_RO', 'geo', '15', '37', '200', 'km', 'STORE', 'x'],
  ['GEORADIUS_RO', 'geo', '15', '37', '200', 'km', 'FROMLONLAT', '1', '2'],
  ['GEORADIUS_RO', 'geo', '215', '37', '200', 'km'],
  ['GEORADIUS_RO', 'geo', '15', '37', '-2', 'km'],
  ['GEORADIUS_RO', 'str', '15', '37', '200', 'km'],
  ['GEORADIUSBYMEMBER_RO', 'geo', 'nope', '200', 'km'],
  ['GEORADIUSBYMEMBER_RO', 'geo', 'Palermo', '200', 'parsec'],
  ['GEORADIUSBYMEMBER_RO', 'geo', 'Palermo', '200', 'km', 'ANY'],
  ['COMMAND', 'INFO', 'geopos', 'geodist', 'geohash', 'geosearch', 'georadius_ro', 'georadiusbymember_ro'],
  ['COMMAND', 'GETKEYS', 'GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
];

/** Searches without a sort: the same members (and what comes with each), in any order. */
const UNORDERED: string[][] = [
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '2000', 'km', 'WITHDIST', 'WITHHASH', 'WITHCOORD'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'east-of-date', 'BYRADIUS', '100', 'km', 'WITHDIST'],
  ['GEOSEARCH', 'geo', 'FROMMEMBER', 'London', 'BYBOX', '1000', '1000', 'km', 'WITHDIST'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '0', '0', 'BYBOX', '40000', '20000', 'km'],
  ['GEOSEARCH', 'geo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '30000', 'km'],
  ['GEOSEARCH', 'geo:big', 'FROMLONLAT', '13.5', '37.5', 'BYRADIUS', '50', 'km', 'WITHDIST'],
  ['GEOSEARCH', 'geo:big', 'FROMMEMBER', 'g0', 'BYBOX', '100', '50', 'km', 'WITHCOORD'],
  ['GEOSEARCH', 'geo:big', 'FROMMEMBER', 'g299', 'BYRADIUS', '120', 'km'],
  ['GEORADIUS_RO', 'geo:big', '13', '37', '70', 'km', 'WITHDIST'],
  ['GEORADIUSBYMEMBER_RO', 'geo:big', 'g77', '33', 'km', 'WITHHASH'],
];

describe('the geo reads, against a redis-server loaded from the same file', () => {
  it.each([2, 3] as const)('positions, hashes, distances, sorted searches and every error byte for byte (RESP%d)', async (proto) => {
    await point.compare(EXACT, proto);
  });

  it.each([2, 3] as const)('unsorted searches: the same members with the same distances, hashes and coordinates (RESP%d)', async (proto) => {
    const asSet = (r: string): string[] => (parseReply(r) as unknown[]).map((x) => JSON.stringify(x)).sort();
    const ref = await rawReplies(point.reference.port, UNORDERED, proto);
    const served = await rawReplies(point.serving.port, UNORDERED, proto);
    let found = 0;
    for (let i = 0; i < UNORDERED.length; i++) {
      const label = UNORDERED[i]!.join(' ');
      expect([label, asSet(served[i]!)]).toEqual([label, asSet(ref[i]!)]);
      found += asSet(ref[i]!).length;
    }
    expect(found).toBeGreaterThan(100);
  });

  it('ANY with COUNT: that many members, each one the full search finds', async () => {
    const all = parseReply(
      (await rawReplies(point.reference.port, [['GEOSEARCH', 'geo:big', 'FROMLONLAT', '13.5', '37.5', 'BYRADIUS', '60', 'km']]))[0]!,
    ) as string[];
    expect(all.length).toBeGreaterThan(20);
    for (const port of [point.reference.port, point.serving.port]) {
      const some = parseReply(
        (await rawReplies(port, [['GEOSEARCH', 'geo:big', 'FROMLONLAT', '13.5', '37.5', 'BYRADIUS', '60', 'km', 'COUNT', '5', 'ANY']]))[0]!,
      ) as string[];
      expect(some.length).toBe(5);
      for (const m of some) expect(all).toContain(m);
    }
  });
});
