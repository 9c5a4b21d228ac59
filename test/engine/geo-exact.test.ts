// Geo searches whose result depends on the last bit of glibc's sin/cos/asin: the engine must
// refuse them (UnsupportedCommandError), and the server's actual answer must be one the
// engine's interval allowed. Crafted from the server's own numbers: a radius equal to the
// distance the server computes (read back exactly through STOREDIST + ZSCORE), a STOREDIST
// whose interval is two doubles wide, a COUNT cut between two members whose distances
// overlap; and the cases that stay exact (one meridian, equal coordinates, certain margins).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { EngineError, UnsupportedCommandError } from '../../src/engine/errors.js';
import { GLIBC_MAX_ULP, asinRange, cosRange, decodeScore, geoDistance, geoDistanceRange, nextDown, nextUp, sinRange } from '../../src/engine/geohash.js';
import { redisAvailable, startRedis, warnIfNoRedis, type RedisServer } from '../helpers/redis-server.js';
import { rng } from '../helpers/feed.js';

const HAVE_REDIS = redisAvailable();
warnIfNoRedis('test/engine/geo-exact.test.ts (geo refusals against a real Redis)');

const B = (x: string | Buffer | number): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));

let server: RedisServer;
let engine: Engine;

beforeAll(async () => {
  if (!HAVE_REDIS) return;
  server = await startRedis();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

/** send to both; the server must accept; returns the engine's refusal, if any */
async function send(...args: (string | Buffer | number)[]): Promise<UnsupportedCommandError | undefined> {
  const a = args.map(B);
  await server.call(...a);
  try {
    engine.apply(a.map((x) => Buffer.from(x)));
  } catch (e) {
    if (e instanceof UnsupportedCommandError) return e;
    if (e instanceof EngineError) throw new Error(`engine: ${e.message}`);
    throw e;
  }
  return undefined;
}

async function fresh(): Promise<void> {
  await server.call(B('FLUSHALL'));
  engine = new Engine({ loading: false });
}

async function serverZset(key: string): Promise<Map<string, number>> {
  const s = (await server.call(B('ZRANGE'), B(key), B('0'), B('-1'), B('WITHSCORES'))) as Buffer[];
  const m = new Map<string, number>();
  for (let i = 0; i < s.length; i += 2) m.set(s[i]!.toString('latin1'), Number(s[i + 1]!.toString('latin1')));
  return m;
}

function engineZset(key: string): Map<string, number> {
  const en = engine.entry(0, B(key));
  if (en === undefined) return new Map();
  if (en.value.type !== 'zset') throw new Error('not a zset');
  return new Map(en.value.entries.map((x) => [x.member.toString('latin1'), x.score]));
}

async function same(key: string): Promise<void> {
  expect([...engineZset(key)].sort()).toEqual([...(await serverZset(key))].sort());
}

const coordsOf = (member: string, key = 'g'): [number, number] => decodeScore(engineZset(key).get(member)!);

describe('glibc result ranges', () => {
  it('contain the correctly rounded value and span the error bound', () => {
    expect(GLIBC_MAX_ULP).toBeGreaterThanOrEqual(1);
    const r = rng(11);
    let wide = 0;
    for (let i = 0; i < 20000; i++) {
      const x = (r() * 2 - 1) * 1.5;
      for (const [lo, hi] of [sinRange(x), cosRange(x), asinRange(Math.abs(x) / 1.5)]) {
        expect(lo).toBeLessThanOrEqual(hi);
        // at most three doubles (1 ulp either side of the exact value)
        expect(nextUp(nextUp(lo)) >= hi).toBe(true);
        if (lo !== hi) wide++;
      }
      const [lo, hi] = sinRange(x);
      expect(Math.sin(x) >= nextDown(lo) && Math.sin(x) <= nextUp(hi)).toBe(true);
    }
    // with a 1-ulp bound nearly every result has two candidates (the doubles around it)
    expect(wide).toBeGreaterThan(50000);
    expect(sinRange(0)).toEqual([0, 0]);
  });
});

describe.runIf(HAVE_REDIS)('geo searches the engine refuses', () => {
  it('a radius equal to the server\'s own distance: refused, then certain just outside the interval', async () => {
    await fresh();
    await send('GEOADD', 'g', '13.361389', '38.115556', 'a', '15.087269', '37.502669', 'b');
    // the server's exact distance a-b (meters), read back bit for bit
    await server.call(B('GEOSEARCHSTORE'), B('tmp'), B('g'), B('FROMMEMBER'), B('a'), B('BYRADIUS'), B('1000000'), B('m'), B('STOREDIST'));
    const d = (await serverZset('tmp')).get('b')!;
    const [lo, hi] = geoDistanceRange(...coordsOf('a'), ...coordsOf('b'));
    expect(lo).toBeLessThan(hi);
    expect(d >= lo && d <= hi).toBe(true);
    // (this pair: the server's value is not the top of the interval)
    expect(d).toBeLessThan(hi);

    // radius = d: the server keeps b (d > radius is false); the engine cannot tell
    let refusal = await send('GEORADIUSBYMEMBER', 'g', 'a', String(d), 'm', 'STORE', 'r1');
    expect(refusal?.message).toMatch(/cannot tell whether member "b" is in the search area/);
    expect([...(await serverZset('r1')).keys()].sort()).toEqual(['a', 'b']);
    // radius just below d: the server drops b; the engine cannot tell unless d is the bottom
    // of the interval (then every value glibc may give is above the radius)
    refusal = await send('GEORADIUSBYMEMBER', 'g', 'a', String(nextDown(d)), 'm', 'STORE', 'r2');
    expect(refusal === undefined).toBe(d === lo);
    expect([...(await serverZset('r2')).keys()]).toEqual(['a']);
    if (refusal === undefined) await same('r2');
    // the same test in GEOSEARCHSTORE and GEORADIUS
    refusal = await send('GEOSEARCHSTORE', 'r3', 'g', 'FROMMEMBER', 'a', 'BYRADIUS', String(d), 'm');
    expect(refusal).toBeInstanceOf(UnsupportedCommandError);
    const [alon, alat] = coordsOf('a');
    refusal = await send('GEORADIUS', 'g', String(alon), String(alat), String(d), 'm', 'STORE', 'r4');
    expect(refusal).toBeInstanceOf(UnsupportedCommandError);
    expect([...(await serverZset('r4')).keys()].sort()).toEqual(['a', 'b']);
    // at hi (every value glibc may give is <= hi) and below lo: certain, and the server agrees
    expect(await send('GEORADIUSBYMEMBER', 'g', 'a', String(hi), 'm', 'STORE', 'r5')).toBeUndefined();
    await same('r5');
    expect(engineZset('r5').size).toBe(2);
    expect(await send('GEORADIUSBYMEMBER', 'g', 'a', String(nextDown(lo)), 'm', 'STORE', 'r6')).toBeUndefined();
    await same('r6');
    expect(engineZset('r6').size).toBe(1);
  });

  it('a box edge at the server\'s own east-west distance: refused', async () => {
    await fresh();
    await send('GEOADD', 'g', '2.35', '48.85', 'c', '2.5', '48.9', 'p');
    const [clon] = coordsOf('c');
    const [plon, plat] = coordsOf('p');
    // the box test computes geohashGetDistance(p, (c's longitude, p's latitude)) against the
    // half width: its interval
    const [lo, hi] = geoDistanceRange(plon, plat, clon, plat);
    expect(lo).toBeLessThan(hi);
    // half width = each end of the interval: the engine refuses, whatever the server did
    // half width = lo or just below hi: some values glibc may give are above it, some not
    for (const w of [lo, nextDown(hi)]) {
      const refusal = await send('GEOSEARCHSTORE', 'b', 'g', 'FROMMEMBER', 'c', 'BYBOX', String(2 * w), '100000', 'm');
      expect(refusal?.message).toMatch(/east-west distance/);
    }
    // well inside and well outside: certain
    expect(await send('GEOSEARCHSTORE', 'b1', 'g', 'FROMMEMBER', 'c', 'BYBOX', String(2 * hi * 1.000001), '100000', 'm')).toBeUndefined();
    await same('b1');
    expect(engineZset('b1').has('p')).toBe(true);
    expect(await send('GEOSEARCHSTORE', 'b2', 'g', 'FROMMEMBER', 'c', 'BYBOX', String(2 * lo * 0.999999), '100000', 'm')).toBeUndefined();
    await same('b2');
    expect(engineZset('b2').has('p')).toBe(false);
  });

  it('STOREDIST: refused when a distance is two doubles wide; the server stored one of them', async () => {
    await fresh();
    const r = rng(77);
    const pts: string[] = [];
    for (let i = 0; i < 3000; i++) pts.push(String(10 + (r() * 2 - 1) * 20), String(40 + (r() * 2 - 1) * 20), `q${i}`);
    for (let i = 0; i < pts.length; i += 1500) await send('GEOADD', 'g', ...pts.slice(i, i + 1500));
    const centre: [number, number] = [10, 40];
    // a member whose interval is exactly two doubles, found with the engine's own code
    let twoWide: string | undefined;
    for (const m of engineZset('g').keys()) {
      const [lo, hi] = geoDistanceRange(...centre, ...coordsOf(m));
      if (hi === nextUp(lo)) {
        twoWide = m;
        break;
      }
    }
    expect(twoWide).toBeDefined();
    // just that member and the centre in a key of their own
    await send('GEOADD', 'one', ...coordsOf(twoWide!).map(String), twoWide!);
    const refusal = await send('GEORADIUS', 'one', '10', '40', '5000000', 'm', 'STOREDIST', 'd1');
    expect(refusal?.message).toMatch(new RegExp(`STOREDIST: the distance of member "${twoWide}" may be any double from`));
    const [lo, hi] = geoDistanceRange(...centre, ...coordsOf(twoWide!, 'one'));
    const got = (await serverZset('d1')).get(twoWide!)!;
    expect([lo, hi]).toContain(got);
    console.log(`two-wide STOREDIST: ${twoWide} in [${lo}, ${hi}], the server stored ${got} (${got === geoDistance(...centre, ...coordsOf(twoWide!, 'one')) ? 'the correctly rounded value' : 'not the correctly rounded value'})`);
    expect(engine.entry(0, B('d1'))).toBeUndefined();

    // all 3000: every distance the server stored is inside the engine's interval, and some of
    // them are not the correctly rounded value (what the engine used to store)
    const all = await send('GEORADIUS', 'g', '10', '40', '20000', 'km', 'STOREDIST', 'd2');
    expect(all).toBeInstanceOf(UnsupportedCommandError);
    const stored = await serverZset('d2');
    expect(stored.size).toBe(3000);
    let notCorrectlyRounded = 0;
    let wide = 0;
    for (const [m, got] of stored) {
      const [lo, hi] = geoDistanceRange(...centre, ...coordsOf(m));
      expect(got >= lo / 1000 && got <= hi / 1000, `${m}: ${got} not in [${lo / 1000}, ${hi / 1000}]`).toBe(true);
      if (lo !== hi) wide++;
      if (got !== geoDistance(...centre, ...coordsOf(m)) / 1000) notCorrectlyRounded++;
    }
    console.log(`STOREDIST of 3000 points: ${wide} intervals wider than one double, ${notCorrectlyRounded} server distances not the correctly rounded value`);
    expect(notCorrectlyRounded).toBeGreaterThan(0);
    expect(wide).toBeGreaterThan(2900);
  }, 60_000);

  it('a COUNT cut between two members whose distances overlap: refused; the server kept one of them', async () => {
    await fresh();
    const r = rng(5);
    // two points mirrored across the centre's meridian (longitude 0): they decode to opposite
    // longitudes, so their distances have the same interval (the server computes sin(x) and
    // sin(-x)); the engine cannot order them
    let found: [string, string, string] | undefined;
    for (let t = 0; t < 500 && !found; t++) {
      const x = 0.01 + r() * 2;
      const lat = String(10 + (r() * 2 - 1));
      await send('GEOADD', 'g', String(x), lat, `e${t}`, String(-x), lat, `w${t}`);
      const [elon] = coordsOf(`e${t}`);
      const [wlon] = coordsOf(`w${t}`);
      const e = geoDistanceRange(0, 10, ...coordsOf(`e${t}`));
      if (elon === -wlon && e[0] !== e[1]) found = [String(x), String(-x), lat];
    }
    expect(found).toBeDefined();
    const [el, wl, lat] = found!;
    const [e, w] = ['east', 'west'];
    await fresh();
    await send('GEOADD', 'p', el, lat, e, wl, lat, w);
    await send('GEOADD', 'pair', el, lat, e, wl, lat, w);
    const refusal = await send('GEORADIUS', 'p', '0', '10', '5000', 'km', 'COUNT', '1', 'STORE', 'c1');
    expect(refusal?.message).toMatch(/COUNT 1 keeps the nearest members and the order of members/);
    const kept = [...(await serverZset('c1')).keys()];
    expect(kept.length).toBe(1);
    expect([e, w]).toContain(kept[0]);
    // the same members without a cut (COUNT 2, or none): certain
    expect(await send('GEORADIUS', 'p', '0', '10', '5000', 'km', 'COUNT', '2', 'STORE', 'c2')).toBeUndefined();
    await same('c2');
    // a third member much nearer: COUNT 1 keeps it whatever the order of the other two
    await send('GEOADD', 'p', '0.001', '10', 'near');
    expect(await send('GEORADIUS', 'p', '0', '10', '5000', 'km', 'COUNT', '1', 'STORE', 'c3')).toBeUndefined();
    await same('c3');
    expect([...engineZset('c3').keys()]).toEqual(['near']);
    // DESC, COUNT 1 over the pair alone: refused too
    expect(await send('GEORADIUS', 'pair', '0', '10', '5000', 'km', 'COUNT', '1', 'DESC', 'STORE', 'c4')).toBeInstanceOf(UnsupportedCommandError);
    expect((await serverZset('c4')).size).toBe(1);
  });
});

describe.runIf(HAVE_REDIS)('geo searches that stay exact', () => {
  it('STOREDIST along one meridian (the server\'s libm-free branch) is stored bit for bit', async () => {
    await fresh();
    const r = rng(9);
    const els: string[] = [];
    for (let i = 0; i < 200; i++) els.push('13.361389', String(38 + (r() * 2 - 1) * 5), `m${i}`);
    await send('GEOADD', 'g', ...els);
    for (const [i, [unit, conv]] of ([['m', 1], ['km', 1000], ['mi', 1609.34], ['ft', 0.3048]] as [string, number][]).entries()) {
      expect(await send('GEORADIUSBYMEMBER', 'g', 'm7', String(400000 / conv), unit, 'STOREDIST', `d${i}`)).toBeUndefined();
      await same(`d${i}`);
      expect(engineZset(`d${i}`).size).toBeGreaterThan(10);
      expect(await send('GEOSEARCHSTORE', `s${i}`, 'g', 'FROMMEMBER', 'm9', 'BYBOX', '100', String(400000 / conv), unit, 'COUNT', '20', 'DESC', 'STOREDIST')).toBeUndefined();
      await same(`s${i}`);
    }
  });

  it('equal coordinates sort equal (the same computation): COUNT cuts between them are the server\'s', async () => {
    await fresh();
    const r = rng(21);
    for (let t = 0; t < 30; t++) {
      await server.call(B('DEL'), B('g'));
      engine.apply([B('DEL'), B('g')]);
      const els: string[] = [];
      const n = 5 + Math.floor(r() * 20);
      const spots = Array.from({ length: 4 }, () => [String(20 + (r() * 2 - 1)), String(10 + (r() * 2 - 1))]);
      for (let i = 0; i < n; i++) els.push(...spots[Math.floor(r() * spots.length)]!, `k${i}`);
      await send('GEOADD', 'g', ...els);
      const count = 1 + Math.floor(r() * n);
      expect(await send('GEORADIUS', 'g', '20', '10', '500', 'km', 'COUNT', String(count), r() < 0.5 ? 'ASC' : 'DESC', 'STORE', 'c')).toBeUndefined();
      await same('c');
    }
  });
});
