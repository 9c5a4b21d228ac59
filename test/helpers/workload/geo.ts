// Geo commands for the engine's differential workload: GEOADD (NX/XX/CH, edge coordinates:
// the poles' limit, the antimeridian, 0,0; invalid pairs), ZADD of odd scores into geo keys,
// and the searches that store: GEORADIUS / GEORADIUSBYMEMBER with STORE/STOREDIST and
// GEOSEARCHSTORE (FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX, ASC/DESC, COUNT [ANY], STOREDIST),
// units m/km/mi/ft, tiny and huge radii, missing sources and empty results.
//
// STOREDIST stores a distance computed with glibc's sin/cos/asin, whose last bit the engine
// cannot know (it refuses such a search: src/engine/handlers/geo.ts), and the differential test
// requires the engine to accept whatever the server accepts. So the searches over the random
// points store members only (STORE), and STOREDIST goes to keys the other generators never
// touch (GM0, GM1: no pool): points on one meridian, searched from that meridian, where the
// server takes its libm-free branch (the latitude distance) and the result is exact.

import { decodeScore, geoScore } from '../../../src/engine/geohash.js';
import type { Family, Gen } from '../workload-gen.js';

const b = (x: string | Buffer | number): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
const cmd = (...a: (string | Buffer | number)[]): Buffer[] => a.map(b);

export const geoFamily: Family = (ctx) => {
  const { r, int, chance, pick, key, addPool } = ctx;
  addPool('geo', ['G0', 'G1', 'G2', Buffer.from('G\x00bin', 'latin1')]);
  addPool('geodst', ['GD0', 'GD1', 'GD2']);
  // points cluster around a few centres, so searches find members
  const CENTRES: [number, number][] = [
    [13.361389, 38.115556],
    [0, 0],
    [179.99, 10],
    [-179.99, 10],
    [10, 85.05],
    [-70, -85.05],
  ];
  const members = (): Buffer => (chance(0.9) ? b(`p${int(60)}`) : pick([Buffer.from([0, 0xff]), b(''), b('M'.repeat(70)), b(int(10))]));
  const coord = (): [string, string] => {
    const k = int(40);
    if (k === 0) return pick([['0', '0'], ['180', '85.05112878'], ['-180', '-85.05112878'], ['-0', '-0'], ['179.9999999', '0']] as [string, string][]);
    if (k === 1) return pick([['180.0000001', '0'], ['0', '85.05112879'], ['nan', '0'], ['x', '1'], ['inf', '0'], ['1', '']] as [string, string][]);
    const [cx, cy] = pick(CENTRES);
    const spread = pick([0.0001, 0.01, 0.5, 3]);
    const lon = Math.max(-180, Math.min(180, cx + (r() * 2 - 1) * spread));
    const lat = Math.max(-85.05112878, Math.min(85.05112878, cy + (r() * 2 - 1) * spread));
    return [String(lon), String(lat)];
  };
  const centre = (): [string, string] => {
    const [cx, cy] = pick(CENTRES);
    const lon = Math.max(-180, Math.min(180, cx + (r() * 2 - 1) * pick([0, 0.01, 1])));
    const lat = Math.max(-85.05112878, Math.min(85.05112878, cy + (r() * 2 - 1) * pick([0, 0.01, 1])));
    return chance(0.97) ? [String(lon), String(lat)] : pick([['200', '0'], ['0', '-86'], ['x', '0']] as [string, string][]);
  };
  const UNITS = ['m', 'km', 'mi', 'ft', 'KM', 'Mi'];
  const unit = () => (chance(0.98) ? pick(UNITS) : pick(['yd', 'meters', '']));
  const radius = (): string => {
    const k = int(30);
    if (k === 0) return pick(['0', '1e-9', 'inf', '1e300', '-1', 'x', '20037']);
    return String(Math.round(pick([0.001, 0.1, 1, 10, 50, 300, 5000]) * r() * 1000) / 1000);
  };
  const opts = (): string[] => {
    const o: string[] = [];
    if (chance(0.3)) o.push(pick(['ASC', 'DESC', 'asc']));
    if (chance(0.35)) {
      o.push('COUNT', chance(0.95) ? String(1 + int(12)) : pick(['0', '-1', 'x']));
      if (chance(0.3)) o.push('ANY');
    } else if (chance(0.02)) o.push('ANY');
    if (chance(0.02)) o.push(pick(['WITHDIST', 'WITHCOORD', 'BOGUS']));
    return o;
  };
  const member = () => (chance(0.95) ? b(`p${int(60)}`) : b('nope'));
  const gens: [number, Gen][] = [
    [4, () => {
      const flags: string[] = [];
      if (chance(0.1)) flags.push(pick(['NX', 'XX', 'nx']));
      if (chance(0.1)) flags.push(pick(['CH', 'ch']));
      if (chance(0.02)) flags.push(pick(['NX', 'XX', 'GT']));
      const n = 1 + int(4);
      const els: (string | Buffer)[] = [];
      for (let i = 0; i < n; i++) els.push(...coord(), members());
      // a missing member (syntax error); keep the arity valid, MULTI blocks need it
      if (n > 1 && chance(0.05)) els.pop();
      return cmd('GEOADD', key('geo'), ...flags, ...els);
    }],
    [0.3, () => cmd('ZADD', key('geo'), pick(['-1', '1e300', '4503599627370496', '0', '3.5', '9007199254740993']), members())],
    [2, () => {
      const [lon, lat] = centre();
      return cmd('GEORADIUS', key('geo'), lon, lat, radius(), unit(), ...opts(), pick(['STORE', 'store']), key('geodst'));
    }],
    [2, () => cmd('GEORADIUSBYMEMBER', key('geo'), member(), radius(), unit(), ...opts(), 'STORE', key('geodst'))],
    [0.3, () => {
      const [lon, lat] = centre();
      return cmd('GEORADIUS', key('geo'), lon, lat, radius(), unit(), ...opts());
    }],
    [3, () => {
      const from = chance(0.5) ? ['FROMMEMBER', member()] : ['FROMLONLAT', ...centre()];
      const by = chance(0.5) ? ['BYRADIUS', radius(), unit()] : ['BYBOX', radius(), radius(), unit()];
      const parts: (string | Buffer)[][] = [from, by, opts()];
      if (chance(0.03)) parts.push([pick(['FROMMEMBER', 'BYRADIUS', 'STORE'])]);
      if (chance(0.3)) parts.reverse();
      // FROM... or BY... missing (an error at run time; the arity stays valid for MULTI)
      if (chance(0.03)) parts[int(2)] = ['ASC', 'ASC', 'ASC'];
      return cmd('GEOSEARCHSTORE', key('geodst'), key('geo'), ...parts.flat());
    }],
  ];
  // STOREDIST on one meridian: GM0 at 13.361389, GM1 at -70 (near the pole limit)
  const MERIDIANS: [string, number, number][] = [
    ['GM0', 13.361389, 38.115556],
    ['GM1', -70, -84.5],
  ];
  // the longitude the server decodes for a point of the meridian (a geohash cell's centre)
  const decodedLon = (lon: number): number => decodeScore(Number(geoScore(lon, 0)!))[0];
  const merLat = (cy: number): string => String(Math.max(-85.05112878, Math.min(85.05112878, cy + (r() * 2 - 1) * pick([0.0001, 0.01, 0.5]))));
  gens.push(
    [1, () => {
      const [k, lon, cy] = pick(MERIDIANS);
      const els: string[] = [];
      for (let i = 0, n = 1 + int(4); i < n; i++) els.push(String(lon), merLat(cy), `m${int(30)}`);
      return cmd('GEOADD', k, ...els);
    }],
    [1.5, () => {
      const [k, lon, cy] = pick(MERIDIANS);
      const m = `m${int(30)}`;
      const rad = radius();
      const c = int(3);
      if (c === 0) return cmd('GEORADIUSBYMEMBER', k, m, rad, unit(), ...opts(), 'STOREDIST', key('geodst'));
      if (c === 1) return cmd('GEORADIUS', k, String(decodedLon(lon)), merLat(cy), rad, unit(), ...opts(), 'STOREDIST', key('geodst'));
      const from = chance(0.5) ? ['FROMMEMBER', m] : ['FROMLONLAT', String(decodedLon(lon)), merLat(cy)];
      const by = chance(0.5) ? ['BYRADIUS', rad, unit()] : ['BYBOX', radius(), rad, unit()];
      return cmd('GEOSEARCHSTORE', key('geodst'), k, ...from, ...by, ...opts(), 'STOREDIST');
    }],
  );
  // half weight: the family shares the workload with every other command
  return gens.map(([w, g]) => [w / 2, g]);
};
