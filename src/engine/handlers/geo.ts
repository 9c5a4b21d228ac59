// Geo commands (Redis 7.0 geo.c): GEOADD, and the searches that store their result:
// GEORADIUS / GEORADIUSBYMEMBER (STORE, STOREDIST) and GEOSEARCHSTORE. Written from the
// source's behaviour, not copied.
//
// GEOADD is a ZADD with 52-bit geohash scores (the server rewrites the command, so its AOF
// holds the ZADD). The searches are propagated as they are, so the engine selects the members
// the server selects: the 3x3 geohash boxes around the centre (../geohash.ts), each scanned in
// zset order, the exact distance test, then (with COUNT) the server's partial quicksort
// (pqsort.c, a Bentley-McIlroy quicksort that skips partitions outside the wanted range).
//
// Floating point: exact or refused. The server's distances go through glibc's sin, cos and asin,
// which are not correctly rounded: glibc 2.36 (x86-64, FMA variants) differs from the correct
// rounding in about 0.1-0.3% of calls, and the haversine distance then differs in the last bit
// for 0.08% of point pairs under 1 degree apart and 0.4% up to 50 degrees apart (100,000
// pairs against this machine's glibc 2.36). The engine cannot know those bits, so it models
// them: every glibc result may be any double within GLIBC_MAX_ULP (1 ulp, glibc's
// libm-test-ulps for sin/cos/asin) of the exact value, and ../geohash.ts propagates that
// exactly to an interval [lo, hi] holding every distance the server may have computed
// (checked: glibc's actual distance was inside it for all 100,000 pairs). Then:
//  - membership: a member is in when hi <= radius, out when lo > radius (the server keeps
//    d <= radius); the same for a box's east-west test (its north-south test uses no libm).
//    Anything between is refused (UnsupportedCommandError naming the member). So are the
//    bounding-box comparisons that pick the geohash boxes, when glibc's cos could flip one.
//  - COUNT cuts (which members a partial sort keeps): exact distances run the server's
//    pqsort; otherwise the cut must be certain (each member surely in or surely out), or the
//    pqsort must only ever compare certainly ordered members (or members with identical
//    coordinates, whose distances are the same computation); else refused.
//  - STOREDIST stores the distance: only when lo and hi (divided by the unit) are one double;
//    otherwise refused. Under a 1-ulp bound that is almost never the case: 99.4% of distance
//    intervals are 2-8 doubles wide (the five libm calls each add a candidate); only the
//    server's libm-free branch (centre and member on the same meridian: the latitude
//    distance) is always exact. Measured on the 480 random searches of
//    test/engine/hll-geo.test.ts: 145 of the 248 STOREDIST searches refused (the others stored
//    nothing, or only members whose distance is certain, mostly the centre member itself),
//    0 refusals for membership or COUNT among all 480, and the
//    server's stored distances were inside the engine's intervals every time. Tighter bounds
//    do not rescue STOREDIST: with glibc's own source comments (sin 0.548 ulp, asin ~0.516)
//    a 0.55-ulp model still leaves 19% of distances two or more doubles wide.
// Every search the engine accepts stores exactly the server's result (selection, order and,
// with STOREDIST, every score bit for bit).

import { ERR, EngineError, UnsupportedCommandError } from '../errors.js';
import { commandTable, defineCommand, getLL, isWord, keyOf, type CommandTable, type Engine } from '../engine.js';
import { newZset, zsetInsertNew, zsetMaybeListpack, type ZsetValue } from '../zset.js';
import { parseScore } from './zsets.js';
import { GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, boxScoreRange, decodeScore, distanceInShape, geoScore, searchBoxes, type GeoShape } from '../geohash.js';

// ---------------------------------------------------------------------------------------------
// Arguments

/** getDoubleFromObjectOrReply */
function getDouble(b: Buffer, msg = 'value is not a valid float'): number {
  const v = parseScore(b);
  if (v === undefined) throw new EngineError(`ERR ${msg}`);
  return v;
}

/** printf("%f") of a double (6 decimals, ties to even as glibc prints exact binary values) */
export function formatF(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const neg = x < 0 || Object.is(x, -0);
  let a = Math.abs(x);
  // exact binary value m * 2^e
  let e = 0;
  while (!Number.isInteger(a)) {
    a *= 2;
    e--;
  }
  const m = BigInt(a);
  // value * 10^6, rounded half to even
  let num = m * 1000000n;
  let q: bigint;
  if (e >= 0) q = num << BigInt(e);
  else {
    const den = 1n << BigInt(-e);
    q = num / den;
    const r = num - q * den;
    if (r * 2n > den || (r * 2n === den && q % 2n === 1n)) q++;
  }
  num = q;
  const s = num.toString().padStart(7, '0');
  return `${neg ? '-' : ''}${s.slice(0, -6)}.${s.slice(-6)}`;
}

/** extractLongLatOrReply */
function lonLat(a: Buffer[], i: number): [number, number] {
  const lon = getDouble(a[i]!);
  const lat = getDouble(a[i + 1]!);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new EngineError(`ERR invalid longitude,latitude pair ${formatF(lon)},${formatF(lat)}`);
  }
  return [lon, lat];
}

/** extractUnitOrReply */
function unit(b: Buffer): number {
  if (isWord(b, 'm')) return 1;
  if (isWord(b, 'km')) return 1000;
  if (isWord(b, 'ft')) return 0.3048;
  if (isWord(b, 'mi')) return 1609.34;
  throw new EngineError('ERR unsupported unit provided. please use M, KM, FT, MI');
}

/** extractDistanceOrReply: [radius, conversion] */
function distanceArg(a: Buffer[], i: number): [number, number] {
  const d = getDouble(a[i]!, 'need numeric radius');
  if (d < 0) throw new EngineError('ERR radius cannot be negative');
  return [d, unit(a[i + 1]!)];
}

/** extractBoxOrReply: [width, height, conversion] */
function boxArg(a: Buffer[], i: number): [number, number, number] {
  const w = getDouble(a[i]!, 'need numeric width');
  const h = getDouble(a[i + 1]!, 'need numeric height');
  if (h < 0 || w < 0) throw new EngineError('ERR height or width cannot be negative');
  return [w, h, unit(a[i + 2]!)];
}

// ---------------------------------------------------------------------------------------------
// GEOADD

function geoaddCommand(e: Engine, a: Buffer[]): void {
  let xx = false;
  let nx = false;
  let longidx = 2;
  while (longidx < a.length) {
    const o = a[longidx]!;
    if (isWord(o, 'nx')) nx = true;
    else if (isWord(o, 'xx')) xx = true;
    else if (!isWord(o, 'ch')) break;
    longidx++;
  }
  if ((a.length - longidx) % 3 !== 0 || (xx && nx)) throw new EngineError(ERR.syntax);
  const elements = (a.length - longidx) / 3;
  const argv: Buffer[] = [Buffer.from('ZADD'), ...a.slice(1, longidx)];
  for (let i = 0; i < elements; i++) {
    const [lon, lat] = lonLat(a, longidx + i * 3);
    argv.push(Buffer.from(String(geoScore(lon, lat)!)), a[longidx + i * 3 + 2]!);
  }
  commandTable().get('ZADD')!.handler!(e, argv);
}

// ---------------------------------------------------------------------------------------------
// The searches

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

interface GeoPoint {
  /** the distance from the centre (meters) is one of the doubles in [lo, hi] */
  lo: number;
  hi: number;
  /** the decoded coordinates: equal coordinates, equal distances (same computation) */
  lon: number;
  lat: number;
  score: number;
  member: Buffer;
}

/** the refusal for a search whose result depends on the last bit of a glibc result */
function uncertain(cmd: string, why: string): UnsupportedCommandError {
  return new UnsupportedCommandError(`${cmd.toUpperCase()}: the result depends on the last bit of glibc's sin/cos/asin (within its error bound), which the engine cannot reproduce: ${why}`, cmd.toUpperCase());
}

const showMember = (m: Buffer) => JSON.stringify(m.toString('latin1'));

/** longLatFromMember: undefined when the member is missing */
function memberLonLat(z: ZsetValue, member: Buffer): [number, number] | undefined {
  const score = z.dict.get(member.latin1Slice(0, member.length));
  return score === undefined ? undefined : decodeScore(score);
}

/** the zset's members with min <= score < max, in order; each tested against the shape */
function pointsInRange(cmd: string, z: ZsetValue, min: number, max: number, shape: GeoShape, out: GeoPoint[], limit: number): void {
  let n = z.zsl.firstWhere((x) => x.score >= min);
  while (n) {
    if (!(n.score < max)) break;
    const [lon, lat] = decodeScore(n.score);
    const d = distanceInShape(shape, lon, lat);
    if (typeof d === 'string') throw uncertain(cmd, `cannot tell whether member ${showMember(n.member)} is in the search area: ${d}`);
    if (d !== undefined) out.push({ lo: d[0], hi: d[1], lon, lat, score: n.score, member: n.member });
    if (out.length && limit && out.length >= limit) break;
    n = n.fwd[0] ?? null;
  }
}

/** sort_gp_asc on exactly known distances */
function cmpAsc(a: GeoPoint, b: GeoPoint): number {
  if (a.lo > b.lo) return 1;
  if (a.lo === b.lo) return 0;
  return -1;
}

class UncertainOrder extends Error {}

/** sort_gp_asc where it is certain whatever glibc returned; throws UncertainOrder otherwise */
function cmpAscCertain(a: GeoPoint, b: GeoPoint): number {
  if (a.hi < b.lo) return -1;
  if (a.lo > b.hi) return 1;
  if (a.lo === a.hi && b.lo === b.hi && a.lo === b.lo) return 0;
  // the same arguments to the same libm calls: the server got the same double twice
  if (Object.is(a.lon, b.lon) && Object.is(a.lat, b.lat) && !Number.isNaN(a.lo)) return 0;
  throw new UncertainOrder(`members ${showMember(a.member)} (${a.lo}..${a.hi} m) and ${showMember(b.member)} (${b.lo}..${b.hi} m)`);
}

/** The members among the first `k` in the server's (partially) sorted array, when they do not
 * depend on the sort's tie breaking: member i is certainly among them when fewer than k others
 * can sort before or equal to it, certainly not when k others are certainly smaller. undefined
 * when some member is neither. (Ascending; pass negated ranges for descending.) */
function certainTopK(ranges: [number, number][], k: number): boolean[] | undefined {
  const los = ranges.map((r) => r[0]).sort((x, y) => x - y);
  const his = ranges.map((r) => r[1]).sort((x, y) => x - y);
  // number of values in a sorted array <= x (or < x)
  const count = (arr: number[], x: number, strict: boolean): number => {
    let l = 0;
    let h = arr.length;
    while (l < h) {
      const m = (l + h) >> 1;
      if (strict ? arr[m]! < x : arr[m]! <= x) l = m + 1;
      else h = m;
    }
    return l;
  };
  const out: boolean[] = [];
  for (const [lo, hi] of ranges) {
    // others whose lowest value is <= my highest (myself included, as lo <= hi)
    const mayPrecede = count(los, hi, false) - 1;
    const surelyPrecede = count(his, lo, true);
    if (mayPrecede < k) out.push(true);
    else if (surelyPrecede >= k) out.push(false);
    else return undefined;
  }
  return out;
}

/** pqsort: the server's partial quicksort; afterwards [lrange, rrange] holds what a full sort
 * would put there (positions elsewhere are only partitioned) */
export function pqsort<T>(arr: T[], cmp: (a: T, b: T) => number, lrange: number, rrange: number): void {
  const swap = (i: number, j: number) => {
    const t = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (a: number, b: number, c: number): number =>
    cmp(arr[a]!, arr[b]!) < 0 ? (cmp(arr[b]!, arr[c]!) < 0 ? b : cmp(arr[a]!, arr[c]!) < 0 ? c : a) : cmp(arr[b]!, arr[c]!) > 0 ? b : cmp(arr[a]!, arr[c]!) < 0 ? a : c;
  const outside = (start: number, count: number) => (lrange < start && rrange < start) || (lrange >= start + count && rrange >= start + count);
  const sort = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        for (let pm = base + 1; pm < base + n; pm++) {
          for (let pl = pm; pl > base && cmp(arr[pl - 1]!, arr[pl]!) > 0; pl--) swap(pl, pl - 1);
        }
        return;
      }
      let pm = base + Math.floor(n / 2);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(base, pm);
      let pa = base + 1;
      let pb = pa;
      let pc = base + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(arr[pb]!, arr[base]!)) <= 0) {
          if (r === 0) {
            swap(pa, pb);
            pa++;
          }
          pb++;
        }
        while (pb <= pc && (r = cmp(arr[pc]!, arr[base]!)) >= 0) {
          if (r === 0) {
            swap(pc, pd);
            pd--;
          }
          pc--;
        }
        if (pb > pc) break;
        swap(pb, pc);
        pb++;
        pc--;
      }
      const pn = base + n;
      let r = Math.min(pa - base, pb - pa);
      vecswap(base, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      if ((r = pb - pa) > 1 && !outside(base, r)) sort(base, r);
      if ((r = pd - pc) > 1) {
        base = pn - r;
        n = r;
        if (!outside(base, n)) continue;
      }
      return;
    }
  };
  sort(0, arr.length);
}

function georadiusGeneric(e: Engine, a: Buffer[], srcKeyIndex: number, flags: number): void {
  let storeKey: Buffer | undefined;
  let storedist = false;
  const z = e.lookupTyped(keyOf(a[srcKeyIndex]!), 'zset');

  let baseArgs: number;
  let lon = 0;
  let lat = 0;
  let radius = 0;
  let width = 0;
  let height = 0;
  let conversion = 0;
  let type: 'radius' | 'box' | undefined;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    type = 'radius';
    [lon, lat] = lonLat(a, 2);
    [radius, conversion] = distanceArg(a, baseArgs - 2);
  } else if (flags & RADIUS_MEMBER && z === undefined) {
    baseArgs = 5;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    type = 'radius';
    const xy = memberLonLat(z!, a[2]!);
    if (xy === undefined) throw new EngineError('ERR could not decode requested zset member');
    [lon, lat] = xy;
    [radius, conversion] = distanceArg(a, baseArgs - 2);
  } else {
    baseArgs = 3;
    storeKey = a[1]!;
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0n;
  const remaining = a.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const arg = a[baseArgs + i]!;
    if (isWord(arg, 'withdist')) withdist = true;
    else if (isWord(arg, 'withhash')) withhash = true;
    else if (isWord(arg, 'withcoord')) withcoords = true;
    else if (isWord(arg, 'any')) any = true;
    else if (isWord(arg, 'asc')) sort = SORT_ASC;
    else if (isWord(arg, 'desc')) sort = SORT_DESC;
    else if (isWord(arg, 'count') && i + 1 < remaining) {
      count = getLL(a[baseArgs + i + 1]!);
      if (count <= 0n) throw new EngineError('ERR COUNT must be > 0');
      i++;
    } else if ((isWord(arg, 'store') || isWord(arg, 'storedist')) && i + 1 < remaining && !(flags & GEOSEARCH)) {
      storeKey = a[baseArgs + i + 1]!;
      storedist = isWord(arg, 'storedist');
      i++;
    } else if (isWord(arg, 'storedist') && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storedist = true;
    } else if (isWord(arg, 'frommember') && i + 1 < remaining && flags & GEOSEARCH && !fromloc) {
      if (z !== undefined) {
        const xy = memberLonLat(z, a[baseArgs + i + 1]!);
        if (xy === undefined) throw new EngineError('ERR could not decode requested zset member');
        [lon, lat] = xy;
      }
      frommember = true;
      i++;
    } else if (isWord(arg, 'fromlonlat') && i + 2 < remaining && flags & GEOSEARCH && !frommember) {
      [lon, lat] = lonLat(a, baseArgs + i + 1);
      fromloc = true;
      i += 2;
    } else if (isWord(arg, 'byradius') && i + 2 < remaining && flags & GEOSEARCH && !bybox) {
      [radius, conversion] = distanceArg(a, baseArgs + i + 1);
      type = 'radius';
      byradius = true;
      i += 2;
    } else if (isWord(arg, 'bybox') && i + 3 < remaining && flags & GEOSEARCH && !byradius) {
      [width, height, conversion] = boxArg(a, baseArgs + i + 1);
      type = 'box';
      bybox = true;
      i += 3;
    } else throw new EngineError(ERR.syntax);
  }

  const cmdName = a[0]!.toString('latin1');
  if (storeKey && (withdist || withhash || withcoords)) {
    throw new EngineError(`ERR ${flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (flags & GEOSEARCH && !(frommember || fromloc)) throw new EngineError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cmdName}`);
  if (flags & GEOSEARCH && !(byradius || bybox)) throw new EngineError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${cmdName}`);
  if (any && !count) throw new EngineError('ERR the ANY argument requires COUNT argument');

  if (z === undefined) {
    if (storeKey) e.del(keyOf(storeKey));
    return;
  }
  // without a destination nothing changes
  if (storeKey === undefined) return;

  if (count !== 0n && sort === SORT_NONE && !any) sort = SORT_ASC;
  const shape: GeoShape = type === 'box' ? { type: 'box', lon, lat, conversion, width, height } : { type: 'radius', lon, lat, conversion, radius };

  const points: GeoPoint[] = [];
  const limit = any ? Number(count) : 0;
  const boxes = searchBoxes(shape);
  if (typeof boxes === 'string') throw uncertain(cmdName, boxes);
  for (const box of boxes) {
    if (box === undefined) continue;
    if (points.length && limit && points.length >= limit) break;
    const [min, max] = boxScoreRange(box);
    pointsInRange(cmdName, z, min, max, shape, points, limit);
  }

  const resultLength = points.length;
  const returned = count === 0n || BigInt(resultLength) < count ? resultLength : Number(count);
  let chosen = points;
  if (sort !== SORT_NONE && returned < resultLength) {
    // which members make the cut depends on the partial sort (ties included); a full sort
    // keeps every member, so its order does not matter for the stored zset
    const exact = points.every((p) => p.lo === p.hi);
    const sign = sort === SORT_ASC ? 1 : -1;
    if (exact) {
      pqsort(points, sort === SORT_ASC ? cmpAsc : (x: GeoPoint, y: GeoPoint) => -cmpAsc(x, y), 0, returned - 1);
    } else {
      const finite = points.every((p) => !Number.isNaN(p.lo) && !Number.isNaN(p.hi));
      const inTop = finite ? certainTopK(points.map((p) => (sign === 1 ? [p.lo, p.hi] : [-p.hi, -p.lo])), returned) : undefined;
      if (inTop !== undefined && inTop.filter((x) => x).length === returned) {
        chosen = points.filter((_, i) => inTop[i]);
      } else {
        // the server's sort, as long as every comparison it makes is certain
        try {
          pqsort(points, sort === SORT_ASC ? cmpAscCertain : (x: GeoPoint, y: GeoPoint) => -cmpAscCertain(x, y), 0, returned - 1);
        } catch (err) {
          if (!(err instanceof UncertainOrder)) throw err;
          throw uncertain(cmdName, `COUNT ${returned} keeps the ${sort === SORT_ASC ? 'nearest' : 'farthest'} members and the order of ${err.message} is not certain`);
        }
      }
    }
  }

  const dst = keyOf(storeKey);
  if (returned === 0) {
    e.del(dst);
    return;
  }
  let res = newZset(false);
  const seen = new Set<string>();
  for (let i = 0; i < returned; i++) {
    const p = chosen[i]!;
    let score = p.score;
    if (storedist) {
      score = p.lo / conversion;
      const hi = p.hi / conversion;
      if (!Object.is(score, hi)) {
        throw uncertain(cmdName, `STOREDIST: the distance of member ${showMember(p.member)} may be any double from ${score} to ${hi} (the server stores one of them)`);
      }
    }
    const k = p.member.latin1Slice(0, p.member.length);
    if (seen.has(k)) throw new UnsupportedCommandError('the search found a member twice (the server would abort)');
    if (Number.isNaN(score)) throw new UnsupportedCommandError('a stored distance is NaN (the server would abort)');
    seen.add(k);
    zsetInsertNew(res, Buffer.from(p.member), score);
  }
  res = zsetMaybeListpack(res);
  e.setKey(dst, res, false);
}

export function registerGeoCommands(t: CommandTable): void {
  defineCommand(t, 'GEOADD', -5, geoaddCommand);
  defineCommand(t, 'GEORADIUS', -6, (e, a) => georadiusGeneric(e, a, 1, RADIUS_COORDS));
  defineCommand(t, 'GEORADIUSBYMEMBER', -5, (e, a) => georadiusGeneric(e, a, 1, RADIUS_MEMBER));
  defineCommand(t, 'GEOSEARCHSTORE', -8, (e, a) => georadiusGeneric(e, a, 2, GEOSEARCH | GEOSEARCHSTORE));
}
