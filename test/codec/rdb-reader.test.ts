import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, TruncatedError, UnsupportedError } from '../../src/model/errors.js';
import { Crc64 } from '../../src/codec/crc64.js';
import { rdbTypeEncoding } from '../../src/codec/rdb-types.js';
import { FEED_MODES, rng } from '../helpers/feed.js';
import { keysOf, readRdbItems, snapshot, valueLength } from '../helpers/rdb.js';
import { listRdbs } from '../helpers/rdb.js';

const FIX = path.resolve(__dirname, '../../fixtures');


const ALL_RDBS = listRdbs(FIX);
const REFUSED = new Set(['zipmap_big_len.rdb']);

describe('RDB header version', () => {
  // the 7.0 fixture with its 4 version characters replaced (nothing else depends on them:
  // the checksum covers them, so it is rewritten)
  const withVersion = (v: string): Buffer => {
    const b = Buffer.from(fs.readFileSync(path.join(FIX, 'redis-7.0/rdb/dump.rdb')));
    b.write(v, 5, 'latin1');
    const c = new Crc64();
    c.update(b, 0, b.length - 8);
    b.write(c.hex().match(/../g)!.reverse().join(''), b.length - 8, 'hex');
    return b;
  };

  it("is read with atoi() as Redis reads it: '001a' is 1, ' 010' is 10", () => {
    expect(readRdbItems(withVersion('001a'))[0]).toMatchObject({ kind: 'header', version: 1 });
    expect(readRdbItems(withVersion(' 010'))[0]).toMatchObject({ kind: 'header', version: 10 });
    expect(readRdbItems(withVersion('0010'))[0]).toMatchObject({ kind: 'header', version: 10 });
  });

  it('no digits is version 0, which Redis refuses', () => {
    expect(() => readRdbItems(withVersion('abcd'))).toThrow(/Can't handle RDB format version 0 \(the header's version is 'abcd'\)/);
    expect(() => readRdbItems(withVersion('-001'))).toThrow(/Can't handle RDB format version -1/);
  });
});

describe('RDB reader on real files', () => {
  it('finds the fixtures', () => {
    expect(ALL_RDBS.length).toBeGreaterThan(60);
  });

  for (const file of ALL_RDBS) {
    const name = path.relative(FIX, file);
    if (REFUSED.has(path.basename(file))) continue;
    it(`reads ${name} identically whole, byte by byte and in random splits`, () => {
      const data = fs.readFileSync(file);
      const whole = readRdbItems(data, 'whole');
      expect(whole[0]!.kind).toBe('header');
      expect(whole[whole.length - 1]!.kind).toBe('eof');
      const ref = snapshot(whole);
      for (const mode of FEED_MODES.slice(1)) {
        expect(snapshot(readRdbItems(data, mode, data.length))).toBe(ref);
      }
    });
  }

  it('refuses zipmap_big_len.rdb as Redis 7 does, but reads it leniently', () => {
    const data = fs.readFileSync(path.join(FIX, 'shared/peers/hdt3213/zipmap_big_len.rdb'));
    expect(() => readRdbItems(data)).toThrow(FormatError);
    const keys = keysOf(readRdbItems(data, 'whole', 1, { strict: false }));
    expect(keys.length).toBe(1);
    expect(keys[0]!.value.type).toBe('hash');
  });
});

interface SharedExpected {
  expected: {
    dbsize: Record<string, number>;
    keys: Record<string, { keys: { key?: string; key_hex?: string; type: string; expire_ms: number; len: number; field_expire_ms?: Record<string, number> }[] }>;
  };
}

describe('RDB reader against what the server held (shared fixtures from Redis 6.2 and 7.4)', () => {
  for (const rel of ['shared/servers/redis-6.2.16/rdb/dump.rdb', 'shared/servers/redis-7.4.1/rdb/dump.rdb']) {
    it(`every key of ${rel}: type, expiry, length, field TTLs`, () => {
      const exp = (JSON.parse(fs.readFileSync(path.join(FIX, rel + '.expected.json'), 'utf8')) as SharedExpected).expected;
      const keys = keysOf(readRdbItems(fs.readFileSync(path.join(FIX, rel)), 'random', 99));
      const got = new Map(keys.map((k) => [`${k.db}/${k.key.toString('hex')}`, k]));
      let n = 0;
      for (const [db, { keys: list }] of Object.entries(exp.keys)) {
        for (const want of list) {
          const hex = want.key_hex ?? Buffer.from(want.key!, 'utf8').toString('hex');
          const k = got.get(`${db}/${hex}`);
          expect(k, `${db}/${want.key ?? want.key_hex}`).toBeDefined();
          expect(k!.value.type).toBe(want.type);
          expect(k!.expireMs).toBe(want.expire_ms);
          expect(valueLength(k!.value)).toBe(want.len);
          if (want.field_expire_ms && k!.value.type === 'hash') {
            const ttl = Object.fromEntries(k!.value.entries.filter((e) => e.expireMs !== undefined).map((e) => [e.field.toString('utf8'), e.expireMs]));
            expect(ttl).toEqual(want.field_expire_ms);
          }
          n++;
        }
      }
      expect(keys.length).toBe(n);
      expect(Object.values(exp.dbsize).reduce((a, b) => a + b, 0)).toBe(n);
    });
  }
});

interface SevenExpected {
  dbsize: Record<string, number>;
  keys: Record<string, Record<string, { type: string; encoding: string; expireMs: number; length: number }>>;
}

describe('RDB reader against what Redis 7.0 held (fixtures/redis-7.0)', () => {
  for (const variant of ['rdb', 'rdb-nocompress', 'rdb-nochecksum', 'rdb-lfu', 'rdb-lru']) {
    it(`${variant}: every key with its type, encoding, expiry and length`, () => {
      const dir = path.join(FIX, 'redis-7.0', variant);
      const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as SevenExpected;
      const items = readRdbItems(fs.readFileSync(path.join(dir, 'dump.rdb')), 'random', 5);
      const keys = keysOf(items);
      let n = 0;
      for (const k of keys) {
        const want = exp.keys[String(k.db)]?.[k.key.toString('latin1')];
        expect(want, `db${k.db} ${k.key.toString('latin1')}`).toBeDefined();
        expect(k.value.type).toBe(want!.type);
        expect(k.expireMs).toBe(want!.expireMs);
        expect(valueLength(k.value)).toBe(want!.length);
        if (k.value.type !== 'string') expect(rdbTypeEncoding(k.rdbType)).toBe(want!.encoding);
        if (variant === 'rdb-lfu') expect(k.freq).toBeTypeOf('number');
        if (variant === 'rdb-lru') expect(k.idle).toBeTypeOf('number');
        n++;
      }
      expect(n).toBe(Object.values(exp.dbsize).reduce((a, b) => a + b, 0));
      const eof = items[items.length - 1]!;
      expect(eof.kind === 'eof' && eof.checksum).toBe(variant === 'rdb-nochecksum' ? 'disabled' : 'ok');
    });
  }
});

describe('RDB reader errors', () => {
  const base = fs.readFileSync(path.join(FIX, 'redis-7.0/rdb/dump.rdb'));

  it('reports a newer RDB version as unsupported', () => {
    const d = Buffer.from(base);
    d.write('0013', 5, 'latin1');
    const e = captureError(() => readRdbItems(d));
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as FormatError).offset).toBe(0);
    expect((e as Error).message).toMatch(/version 13/);
  });

  it('reports an unknown type byte as unsupported with its offset', () => {
    const d = Buffer.concat([Buffer.from('REDIS0011\xfe\x00', 'latin1'), Buffer.from([30, 1, 0x61, 0]), Buffer.from([0xff])]);
    const e = captureError(() => readRdbItems(d));
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as FormatError).offset).toBe(11);
  });

  it('catches a CRC mismatch and reports it at the checksum', () => {
    const d = Buffer.from(base);
    d[d.length - 1]! ^= 0x40;
    const e = captureError(() => readRdbItems(d));
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).doing).toBe('check-sum');
  });

  it('computes the CRC Redis stores', () => {
    const c = new Crc64();
    c.update(base, 0, base.length - 8);
    expect(c.matchesLE(base, base.length - 8)).toBe(true);
  });

  it('reports truncation anywhere as TruncatedError with the last complete record', () => {
    const r = rng(77);
    for (let i = 0; i < 200; i++) {
      const cut = Math.floor(r() * base.length);
      const e = captureError(() => readRdbItems(base.subarray(0, cut), 'random', i));
      expect(e, `cut at ${cut}`).toBeInstanceOf(TruncatedError);
      const t = e as TruncatedError;
      expect(t.okUpTo).toBeLessThanOrEqual(cut);
      expect(t.okUpTo).toBeGreaterThanOrEqual(0);
    }
  });

  it('in a file saved without checksum, a flipped bit that breaks structure is still caught', () => {
    const d = Buffer.from(fs.readFileSync(path.join(FIX, 'redis-7.0/rdb-nochecksum/dump.rdb')));
    // the first key's type byte becomes an unknown type
    const items = readRdbItems(d);
    const first = keysOf(items)[0]!;
    d[first.offset + (d[first.offset]! >= 0xf8 ? 9 : 0)] = 0x1e;
    expect(() => readRdbItems(d)).toThrow(FormatError);
  });
});

describe('RDB reader robustness (seeded mutations of real files)', () => {
  const files = ['redis-7.0/rdb/dump.rdb', 'shared/servers/redis-6.2.16/rdb/dump.rdb', 'shared/servers/redis-7.4.1/rdb/dump.rdb', 'shared/peers/rdb-tools/redis_50_with_streams.rdb', 'shared/peers/hdt3213/valkey_hash2_with_hfe.rdb', 'shared/peers/rdb-tools/redis_40_with_module.rdb'];
  for (const rel of files) {
    it(`only our errors escape, no hang, no giant allocation: ${rel}`, () => {
      const src = fs.readFileSync(path.join(FIX, rel));
      const r = rng(src.length);
      let failures = 0;
      for (let i = 0; i < 300; i++) {
        const d = Buffer.from(src);
        const kind = i % 3;
        let data: Buffer = d;
        if (kind === 0) {
          for (let f = 0; f < 1 + Math.floor(r() * 3); f++) d[Math.floor(r() * d.length)]! ^= 1 << Math.floor(r() * 8);
        } else if (kind === 1) {
          data = d.subarray(0, Math.floor(r() * d.length));
        } else {
          // a huge declared length: 0x80 + u32 or 0x81 + u64 at a random spot
          const at = 9 + Math.floor(r() * (d.length - 20));
          d[at] = r() < 0.5 ? 0x80 : 0x81;
          d.fill(0x7f, at + 1, at + 5);
        }
        const before = process.memoryUsage().rss;
        try {
          readRdbItems(data, r() < 0.2 ? 'random' : 'whole', i);
        } catch (e) {
          if (!(e instanceof FormatError)) throw new Error(`mutation ${i} of ${rel}: ${String(e)}\n${(e as Error).stack}`);
          failures++;
        }
        expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
      }
      expect(failures).toBeGreaterThan(100);
    });
  }
});

function captureError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
