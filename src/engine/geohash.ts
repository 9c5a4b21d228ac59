// Geohashes and distances as Redis 7.0 computes them (src/geohash.c, geohash_helper.c, geo.c):
// 52-bit interleaved scores, the 3x3 box search around a centre, the haversine distance with
// the server's earth radius. Written from the algorithms' description, not copied.
//
// The server calls glibc's sin, cos and asin, which are not correctly rounded (within about
// 1 ulp). This module evaluates them in double-double arithmetic (about 100 bits) to know the
// exact value, and from it the set of doubles glibc may have returned (GLIBC_MAX_ULP below);
// geoDistanceRange and searchBoxes propagate those sets exactly, so the handlers can accept
// what is certain and refuse the rest (see handlers/geo.ts). geoDistance is the distance with
// correctly rounded calls: what the server computes for about 99.5% of point pairs.

// ---------------------------------------------------------------------------------------------
// Double-double arithmetic: a value is hi + lo with |lo| <= ulp(hi)/2

type DD = [number, number];
const SPLITTER = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function ddAdd(a: DD, b: DD): DD {
  const s = twoSum(a[0], b[0]);
  const t = twoSum(a[1], b[1]);
  let r = quickTwoSum(s[0], s[1] + t[0]);
  r = quickTwoSum(r[0], r[1] + t[1]);
  return r;
}

function ddMul(a: DD, b: DD): DD {
  const p = twoProd(a[0], b[0]);
  return quickTwoSum(p[0], p[1] + (a[0] * b[1] + a[1] * b[0]));
}

function ddDivD(a: DD, b: number): DD {
  const q1 = a[0] / b;
  const p = twoProd(q1, b);
  const r = ddAdd(a, [-p[0], -p[1]]);
  const q2 = r[0] / b;
  const p2 = twoProd(q2, b);
  const r2 = ddAdd(r, [-p2[0], -p2[1]]);
  const q3 = r2[0] / b;
  return ddAdd(quickTwoSum(q1, q2), [q3, 0]);
}

const neg = (a: DD): DD => [-a[0], -a[1]];

// pi/2 to about 160 bits, as three doubles (from the hexadecimal expansion of pi)
const PI_HEX = '3243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89452821E638D01377BE5466CF34E90C6CC0AC';
const [PIO2_1, PIO2_2, PIO2_3] = (() => {
  // the digits as an integer are pi * 16^(len-1), so pi/2 = that / 2^shift
  let rest = BigInt('0x' + PI_HEX);
  const shift = 4 * (PI_HEX.length - 1) + 1;
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    // the nearest double, taken exactly off the rest
    const d = Number(rest) / 2 ** shift;
    out.push(d);
    const [m, e] = decompose(d);
    rest -= e + shift >= 0 ? m << BigInt(e + shift) : m >> BigInt(-(e + shift));
  }
  return out as [number, number, number];
})();

/** d = m * 2^e with m an integer (BigInt) */
function decompose(d: number): [bigint, number] {
  if (d === 0) return [0n, 0];
  let e = 0;
  let x = Math.abs(d);
  while (!Number.isInteger(x)) {
    x *= 2;
    e--;
  }
  return [BigInt(d < 0 ? -x : x), e];
}

// 1/n! as double-doubles, n = 0..30
const INV_FACT: DD[] = (() => {
  const out: DD[] = [[1, 0]];
  for (let n = 1; n <= 30; n++) out.push(ddDivD(out[n - 1]!, n));
  return out;
})();

/** sin(r) for |r| <= pi/4 (Taylor series to r^29) */
function ddSinSmall(r: DD): DD {
  const r2 = ddMul(r, r);
  let s: DD = [INV_FACT[29]![0], INV_FACT[29]![1]];
  for (let n = 27; n >= 1; n -= 2) {
    s = ddMul(s, r2);
    const c = INV_FACT[n]!;
    s = ddAdd(n % 4 === 1 ? c : neg(c), s);
  }
  return ddMul(s, r);
}

/** cos(r) for |r| <= pi/4 (Taylor series to r^28) */
function ddCosSmall(r: DD): DD {
  const r2 = ddMul(r, r);
  let s: DD = [INV_FACT[28]![0], INV_FACT[28]![1]];
  for (let n = 26; n >= 0; n -= 2) {
    s = ddMul(s, r2);
    const c = INV_FACT[n]!;
    s = ddAdd(n % 4 === 0 ? c : neg(c), s);
  }
  return s;
}

/** x - k*pi/2 as a double-double, |k| small */
function reduce(x: number, k: number): DD {
  if (k === 0) return [x, 0];
  const p1 = twoProd(k, PIO2_1);
  // x and k*PIO2_1 are within a factor of two of each other: the difference is exact
  const s = x - p1[0];
  let r = twoSum(s, -p1[1]);
  r = ddAdd(r, neg(twoProd(k, PIO2_2)));
  r = ddAdd(r, [-k * PIO2_3, 0]);
  return r;
}

const TWO_OVER_PI = 0.6366197723675814;
/** beyond this the engine never needs an exact result (see geohashBoundingBox) */
const EXACT_LIMIT = 12;

function sinCosDD(x: number, wantSin: boolean): DD {
  const k = Math.round(x * TWO_OVER_PI);
  const r = reduce(x, k);
  const q = ((k % 4) + 4) % 4;
  const useSin = wantSin ? q % 2 === 0 : q % 2 === 1;
  const v = useSin ? ddSinSmall(r) : ddCosSmall(r);
  const negate = wantSin ? q >= 2 : q === 1 || q === 2;
  return negate ? neg(v) : v;
}

/** asin of a double-double w, 0 <= w <= 0.5: one Newton step from Math.asin */
function asinDD(w: DD): DD {
  const t0 = Math.asin(w[0]);
  const s = sinCosDD(t0, true);
  const c = sinCosDD(t0, false);
  const diff = ddAdd(w, neg(s));
  const delta = (diff[0] + diff[1]) / (c[0] + c[1]);
  return quickTwoSum(t0, delta);
}

/** sin(x) as a double-double (about 100 bits), |x| <= 12 */
function sinTrue(x: number): DD {
  if (x === 0) return [x, 0];
  return sinCosDD(x, true);
}

/** cos(x) as a double-double (about 100 bits), |x| <= 12 */
function cosTrue(x: number): DD {
  return sinCosDD(x, false);
}

/** asin(y) as a double-double (about 100 bits), 0 <= y <= 1 */
function asinTrue(y: number): DD {
  if (y === 0) return [y, 0];
  if (y <= 0.5) return asinDD([y, 0]);
  // asin(y) = pi/2 - 2 asin(sqrt((1 - y) / 2)); 1 - y and the halving are exact here
  const z = (1 - y) / 2;
  if (z === 0) return ddAdd([PIO2_1, 0], [PIO2_2, 0]);
  const w0 = Math.sqrt(z);
  const sq = twoProd(w0, w0);
  const w1 = (z - sq[0] - sq[1]) / (2 * w0);
  const a = asinDD(quickTwoSum(w0, w1));
  return ddAdd(ddAdd([PIO2_1, 0], [PIO2_2, 0]), [-2 * a[0], -2 * a[1]]);
}

/** sin, correctly rounded, for |x| <= 12 (what glibc returns for most arguments) */
export function sin(x: number): number {
  if (!(Math.abs(x) <= EXACT_LIMIT)) return Math.sin(x);
  const v = sinTrue(x);
  return v[0] + v[1];
}

/** cos, correctly rounded, for |x| <= 12 (what glibc returns for most arguments) */
export function cos(x: number): number {
  if (!(Math.abs(x) <= EXACT_LIMIT)) return Math.cos(x);
  const v = cosTrue(x);
  return v[0] + v[1];
}

/** asin, correctly rounded, on [0, 1]; NaN above 1 */
export function asin(y: number): number {
  if (!(y >= 0 && y <= 1)) return Math.asin(y);
  const r = asinTrue(y);
  return r[0] + r[1];
}

// ---------------------------------------------------------------------------------------------
// What glibc may return
//
// glibc does not round sin/cos/asin correctly: its results are within a bounded error of the
// exact value. The doubles the server may have got from a call are then exactly the doubles
// within that bound of the exact value, which the engine knows to about 100 bits. The bound
// used (in ulps of the exact value, for every argument the engine meets):
//  - glibc's libm-test-ulps for x86_64 (2.36 and later) lists 1 ulp for sin, cos and asin
//    (double, round to nearest): the largest error its test suite has seen, rounded up.
//  - glibc 2.36's sources state tighter maxima: sin 0.548 ulp, cos 0.51/0.518 ulp
//    (s_sin.c), asin "~0.516 based on random sampling" (e_asin.c); measured on this
//    machine's glibc 2.36 (FMA variants): see the header of handlers/geo.ts.
// The engine uses GLIBC_MAX_ULP below; everything downstream is exact interval propagation.

/** the error bound assumed for glibc's sin, cos and asin, in ulps of the exact value */
export const GLIBC_MAX_ULP = 1;
/** slack for the engine's own error on the exact value (about 2^-48 ulp) */
const DD_SLACK = 1e-9;

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** the next double towards +Infinity (finite x) */
export function nextUp(x: number): number {
  if (x === 0) return 5e-324;
  f64[0] = x;
  i64[0] = x > 0 ? i64[0]! + 1n : i64[0]! - 1n;
  return f64[0]!;
}

/** the next double towards -Infinity (finite x) */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** the spacing of the doubles in x's binade (the larger one at a power of two) */
function ulpOf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.2250738585072014e-308) return 5e-324;
  return nextUp(a) - a;
}

/** [lo, hi]: the smallest and largest double within GLIBC_MAX_ULP of the exact value t */
function glibcRange(t: DD): [number, number] {
  const c = t[0] + t[1];
  if (c === 0 && t[1] === 0) return [c, c];
  const limit = (GLIBC_MAX_ULP + DD_SLACK) * ulpOf(c);
  // t[0] - g is exact for g near t[0] (Sterbenz)
  const dist = (g: number) => Math.abs(t[0] - g + t[1]);
  let lo = c;
  for (let g = nextDown(lo); dist(g) <= limit; g = nextDown(g)) lo = g;
  let hi = c;
  for (let g = nextUp(hi); dist(g) <= limit; g = nextUp(g)) hi = g;
  return [lo, hi];
}

/** the doubles glibc's sin(x) may return: [lo, hi] */
export function sinRange(x: number): [number, number] {
  if (!(Math.abs(x) <= EXACT_LIMIT)) return [-1, 1];
  return glibcRange(sinTrue(x));
}

/** the doubles glibc's cos(x) may return: [lo, hi] */
export function cosRange(x: number): [number, number] {
  if (!(Math.abs(x) <= EXACT_LIMIT)) return [-1, 1];
  return glibcRange(cosTrue(x));
}

/** the doubles glibc's asin(y) may return, 0 <= y <= 1: [lo, hi] */
export function asinRange(y: number): [number, number] {
  return glibcRange(asinTrue(y));
}

// ---------------------------------------------------------------------------------------------
// Geohash

export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const GEO_STEP_MAX = 26;

const D_R = Math.PI / 180.0;
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;

const degRad = (a: number) => a * D_R;
const radDeg = (a: number) => a / D_R;

export interface GeoHashBits {
  bits: bigint;
  step: number;
}

const ZERO_HASH: GeoHashBits = { bits: 0n, step: 0 };
const isZeroHash = (h: GeoHashBits) => h.bits === 0n && h.step === 0;

/** the even bits of a 32-bit number, packed into its low 16 bits */
function compactEven(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** x in the even bits, y in the odd bits (x, y: uint32; only their low 32 bits spread) */
function interleave(x: number, y: number): bigint {
  let r = 0n;
  const spread = (v: number): bigint => {
    let out = 0n;
    for (let i = 0; i < 32; i++) if ((v >>> i) & 1) out |= 1n << BigInt(2 * i);
    return out;
  };
  r = spread(x >>> 0) | (spread(y >>> 0) << 1n);
  return r;
}

/** geohashEncode over the WGS84 ranges: undefined outside them */
export function geohashEncode(longitude: number, latitude: number, step: number): GeoHashBits | undefined {
  if (step > 32 || step === 0) return undefined;
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return undefined;
  let latOffset = (latitude - GEO_LAT_MIN) / (GEO_LAT_MAX - GEO_LAT_MIN);
  let longOffset = (longitude - GEO_LONG_MIN) / (GEO_LONG_MAX - GEO_LONG_MIN);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  // the conversion to uint32_t truncates
  return { bits: interleave(Math.trunc(latOffset), Math.trunc(longOffset)), step };
}

/** geohashAlign52Bits */
export function align52(h: GeoHashBits): bigint {
  return BigInt.asUintN(64, h.bits << BigInt(52 - h.step * 2));
}

/** the score GEOADD gives a point (52-bit geohash) */
export function geoScore(longitude: number, latitude: number): bigint | undefined {
  const h = geohashEncode(longitude, latitude, GEO_STEP_MAX);
  return h === undefined ? undefined : align52(h);
}

interface Area {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

/** geohashDecode from the two de-interleaved halves */
function decodeParts(ilato: number, ilono: number, step: number): Area {
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const longScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const div = 2 ** step;
  return {
    latMin: GEO_LAT_MIN + (ilato / div) * latScale,
    latMax: GEO_LAT_MIN + (((ilato + 1) >>> 0) / div) * latScale,
    lonMin: GEO_LONG_MIN + (ilono / div) * longScale,
    lonMax: GEO_LONG_MIN + (((ilono + 1) >>> 0) / div) * longScale,
  };
}

function decode(h: GeoHashBits): Area {
  const lo = Number(h.bits & 0xffffffffn);
  const hi = Number((h.bits >> 32n) & 0xffffffffn);
  const ilato = (compactEven(lo) | (compactEven(hi) << 16)) >>> 0;
  const ilono = (compactEven(lo >>> 1) | (compactEven(hi >>> 1) << 16)) >>> 0;
  return decodeParts(ilato, ilono, h.step);
}

/** (uint64_t) of a double as x86-64 code converts it: [hi, lo] 32-bit halves */
function doubleToU64(d: number): [number, number] {
  const TWO63 = 9223372036854775808;
  let v: bigint;
  if (!(d < TWO63)) {
    // d - 2^63 converted as int64 (the indefinite value when out of range), top bit flipped
    const t = d - TWO63;
    v = t < TWO63 ? BigInt(Math.trunc(t)) ^ (1n << 63n) : 0n;
  } else if (d >= -TWO63) {
    v = BigInt.asUintN(64, BigInt(Math.trunc(d)));
  } else {
    v = 1n << 63n;
  }
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** decodeGeohash: a zset score -> [longitude, latitude], clamped to the valid ranges */
export function decodeScore(score: number): [number, number] {
  const [hi, lo] = doubleToU64(score);
  const ilato = (compactEven(lo) | (compactEven(hi) << 16)) >>> 0;
  const ilono = (compactEven(lo >>> 1) | (compactEven(hi >>> 1) << 16)) >>> 0;
  const a = decodeParts(ilato, ilono, GEO_STEP_MAX);
  let x = (a.lonMin + a.lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (a.latMin + a.latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

/** move the cell d (-1, 0, 1) along one axis: its bits are those of `axis` (ODD for x, EVEN
 * for y), interleaved with the other axis's, which stay */
function moveAxis(h: GeoHashBits, d: number, axis: bigint, other: bigint): GeoHashBits {
  if (d === 0) return h;
  let v = h.bits & axis;
  const rest = h.bits & other;
  const zz = other >> BigInt(64 - h.step * 2);
  if (d > 0) v = v + (zz + 1n);
  else {
    v = v | zz;
    v = v - (zz + 1n);
  }
  v = BigInt.asUintN(64, v) & (axis >> BigInt(64 - h.step * 2));
  return { bits: v | rest, step: h.step };
}

const move = (h: GeoHashBits, dx: number, dy: number) => moveAxis(moveAxis(h, dx, ODD, EVEN), dy, EVEN, ODD);

// ---------------------------------------------------------------------------------------------
// Distances

function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

/** geohashGetDistance: haversine, in meters, with correctly rounded sin/cos/asin */
export function geoDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = sin((lon2r - lon1r) / 2);
  if (v === 0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = sin((lat2r - lat1r) / 2);
  const a = u * u + cos(lat1r) * cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asin(Math.sqrt(a));
}

/** [smallest, largest] absolute value over the doubles in [lo, hi] */
function absRange(lo: number, hi: number): [number, number] {
  if (lo >= 0) return [lo, hi];
  if (hi <= 0) return [-hi, -lo];
  return [0, Math.max(-lo, hi)];
}

/**
 * geohashGetDistance as the server may have computed it: [lo, hi], the smallest and largest
 * double it can return when each sin/cos/asin result may be any double within GLIBC_MAX_ULP
 * of the exact value. [NaN, NaN]: certainly NaN; [-Infinity, Infinity]: unknown.
 *
 * Why two evaluations suffice: the arguments of the libm calls are computed without libm
 * (the same doubles as the server's). Then a = u*u + ((c1*c2)*v)*v with c1, c2 > 0 (cosines
 * of latitudes within +-85.06 degrees): every rounded product and sum is a non-decreasing
 * function of |u|, |v|, c1 and c2, so a over all the combinations lies between a evaluated at
 * the smallest magnitudes and a at the largest. sqrt is correctly rounded (monotone), asin
 * is increasing, so glibc's asin of anything in [sqrt(aLo), sqrt(aHi)] is at least the lowest
 * double within the bound of asin(sqrt(aLo)) and at most the highest within the bound of
 * asin(sqrt(aHi)); the final product by 2R is monotone. Only when sin(dlon/2) may be 0 does
 * the server take the other branch (the latitude distance, no libm), added to the range.
 */
export function geoDistanceRange(lon1d: number, lat1d: number, lon2d: number, lat2d: number): [number, number] {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const [vLo, vHi] = sinRange((lon2r - lon1r) / 2);
  let lo = Infinity;
  let hi = -Infinity;
  if (vLo <= 0 && vHi >= 0) {
    // v == 0 possible: the latitude-only branch
    const d = latDistance(lat1d, lat2d);
    if (vLo === 0 && vHi === 0) return [d, d];
    lo = hi = d;
  }
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const [uLo, uHi] = sinRange((lat2r - lat1r) / 2);
  const [c1Lo, c1Hi] = cosRange(lat1r);
  const [c2Lo, c2Hi] = cosRange(lat2r);
  if (!(c1Lo > 0 && c2Lo > 0)) return [-Infinity, Infinity];
  const [ua, ub] = absRange(uLo, uHi);
  const [va, vb] = absRange(vLo, vHi);
  const aLo = ua * ua + c1Lo * c2Lo * va * va;
  const aHi = ub * ub + c1Hi * c2Hi * vb * vb;
  const sLo = Math.sqrt(aLo);
  const sHi = Math.sqrt(aHi);
  if (sHi > 1) {
    // asin of more than 1 is NaN
    if (sLo > 1 && lo === Infinity) return [NaN, NaN];
    return [-Infinity, Infinity];
  }
  const dLo = 2.0 * EARTH_RADIUS_IN_METERS * asinRange(sLo)[0];
  const dHi = 2.0 * EARTH_RADIUS_IN_METERS * asinRange(sHi)[1];
  return [Math.min(lo, dLo), Math.max(hi, dHi)];
}

// ---------------------------------------------------------------------------------------------
// Search shapes

export type GeoShape =
  | { type: 'radius'; lon: number; lat: number; conversion: number; radius: number }
  | { type: 'box'; lon: number; lat: number; conversion: number; width: number; height: number };

/** whether x > limit for every x in [lo, hi] (true), for none (false), or it depends (undefined) */
function above(r: [number, number], limit: number): boolean | undefined {
  const a = r[0] > limit;
  const b = r[1] > limit;
  return a === b ? a : undefined;
}

/** The result of geoWithinShape for a point, over every value glibc may return: out of the
 * shape (undefined), in it with its distance from the centre somewhere in [lo, hi] (meters),
 * or a string saying why the engine cannot tell. */
export function distanceInShape(s: GeoShape, lon: number, lat: number): [number, number] | undefined | string {
  if (s.type === 'radius') {
    const d = geoDistanceRange(s.lon, s.lat, lon, lat);
    const out = above(d, s.radius * s.conversion);
    if (out === undefined) return `its distance from the centre is ${fmtRange(d)} m depending on the last bit of glibc's sin/cos/asin, the radius ${s.radius * s.conversion} m`;
    return out ? undefined : d;
  }
  const widthM = s.width * s.conversion;
  const heightM = s.height * s.conversion;
  if (latDistance(lat, s.lat) > heightM / 2) return undefined;
  const w = geoDistanceRange(lon, lat, s.lon, lat);
  const out = above(w, widthM / 2);
  if (out === undefined) return `its east-west distance from the centre is ${fmtRange(w)} m depending on the last bit of glibc's sin/cos/asin, the half width ${widthM / 2} m`;
  if (out) return undefined;
  return geoDistanceRange(s.lon, s.lat, lon, lat);
}

function fmtRange(r: [number, number]): string {
  return r[0] === r[1] ? String(r[0]) : `between ${r[0]} and ${r[1]}`;
}

function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** [min_lon, min_lat, max_lon, max_lat] (geohashBoundingBox), given the values of its two
 * cos calls (the one of the north edge, the one of the south edge) */
function boundingBox(s: GeoShape, cosTop: number, cosBottom: number): [number, number, number, number] {
  const { lon, lat } = s;
  const height = s.conversion * (s.type === 'radius' ? s.radius : s.height / 2);
  const width = s.conversion * (s.type === 'radius' ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cosTop);
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cosBottom);
  const south = lat < 0;
  return [south ? lon - longDeltaBottom : lon - longDeltaTop, lat - latDelta, south ? lon + longDeltaBottom : lon + longDeltaTop, lat + latDelta];
}

function cosArgs(s: GeoShape): [number, number] {
  const height = s.conversion * (s.type === 'radius' ? s.radius : s.height / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  return [degRad(s.lat + latDelta), degRad(s.lat - latDelta)];
}

/** The boxes to scan, in the server's order (centre, N, S, E, W, NE, NW, SE, SW), with the
 * ones it leaves out as undefined (geohashCalculateAreasByShapeWGS84); or a string saying why
 * the engine cannot tell which boxes the server scans.
 *
 * The bounding box's longitudes come from a cos (glibc, last bit uncertain). Every comparison
 * that depends on them is monotone in the cos value (the longitude delta decreases as the cos
 * grows), so the outcomes at the lowest and the highest double glibc may return bound all the
 * others: equal outcomes at both ends mean the same boxes whatever glibc returned. */
export function searchBoxes(s: GeoShape): (GeoHashBits | undefined)[] | string {
  const [argTop, argBottom] = cosArgs(s);
  const top = cosRange(argTop);
  const bottom = cosRange(argBottom);
  const a = areas(s, top[0], bottom[0]);
  // at step 1 (radii from about 5000 km) the bounding box decides nothing
  if (a.outcomes === '' || (top[0] === top[1] && bottom[0] === bottom[1])) return a.boxes;
  // the longitude delta is monotone on either side of 0 only
  if ((top[0] <= 0 && top[1] >= 0) || (bottom[0] <= 0 && bottom[1] >= 0)) return 'a bounding box cos may be 0';
  const b = areas(s, top[1], bottom[1]);
  if (a.outcomes !== b.outcomes) return 'an edge of the bounding box is within the last bit of glibc\'s cos of a geohash box edge, which decides the boxes scanned';
  return a.boxes;
}

function areas(s: GeoShape, cosTop: number, cosBottom: number): { boxes: (GeoHashBits | undefined)[]; outcomes: string } {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s, cosTop, cosBottom);
  const radiusMeters = (s.type === 'radius' ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2))) * s.conversion;
  let steps = estimateSteps(radiusMeters, s.lat);
  const steps0 = steps;
  let hash = geohashEncode(s.lon, s.lat, steps)!;
  let area = decode(hash);
  const north0 = decode(move(hash, 0, 1));
  const south0 = decode(move(hash, 0, -1));
  const east0 = decode(move(hash, 1, 0));
  const west0 = decode(move(hash, -1, 0));
  const c = [north0.latMax < maxLat, south0.latMin > minLat, east0.lonMax < maxLon, west0.lonMin > minLon];
  const decrease = c.some((x) => x);
  if (steps > 1 && decrease) {
    steps--;
    hash = geohashEncode(s.lon, s.lat, steps)!;
    area = decode(hash);
  }
  const n: GeoHashBits[] = [
    hash,
    move(hash, 0, 1), // north
    move(hash, 0, -1), // south
    move(hash, 1, 0), // east
    move(hash, -1, 0), // west
    move(hash, 1, 1), // north east
    move(hash, -1, 1), // north west
    move(hash, 1, -1), // south east
    move(hash, -1, -1), // south west
  ];
  const N = 1;
  const S = 2;
  const E = 3;
  const W = 4;
  const NE = 5;
  const NW = 6;
  const SE = 7;
  const SW = 8;
  const z = [area.latMin < minLat, area.latMax > maxLat, area.lonMin < minLon, area.lonMax > maxLon];
  if (steps >= 2) {
    const zero = (...ix: number[]) => ix.forEach((i) => (n[i] = ZERO_HASH));
    if (z[0]) zero(S, SW, SE);
    if (z[1]) zero(N, NE, NW);
    if (z[2]) zero(W, SW, NW);
    if (z[3]) zero(E, SE, NE);
  }
  // leave out zeroed boxes and a box equal to the last one scanned
  const out: (GeoHashBits | undefined)[] = [];
  let last = 0;
  for (let i = 0; i < n.length; i++) {
    const h = n[i]!;
    if (isZeroHash(h)) {
      out.push(undefined);
      continue;
    }
    if (last && h.bits === n[last]!.bits && h.step === n[last]!.step) {
      out.push(undefined);
      continue;
    }
    out.push(h);
    last = i;
  }
  // the comparisons that decided something
  const used = [...(steps0 > 1 ? c : []), ...(steps >= 2 ? z : [])];
  const outcomes = used.map((x) => (x ? '1' : '0')).join('');
  return { boxes: out, outcomes };
}

/** scoresOfGeoHashBox: [min, max) of the scores inside a box */
export function boxScoreRange(h: GeoHashBits): [number, number] {
  const min = align52(h);
  const max = align52({ bits: h.bits + 1n, step: h.step });
  return [Number(min), Number(max)];
}
