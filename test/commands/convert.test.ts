// convert against real servers: every output must load in a fresh Redis 7.0 and reproduce the
// original's DEBUG DIGEST and key counts; outputs 7.0 cannot load are read back and compared.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespStreamReader } from '../../src/codec/resp.js';
import { redisAvailable, startRedis, loadedState, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';
import { keysOf, readRdbItems } from '../helpers/rdb.js';

warnIfNoRedis('convert');
const FIX = path.resolve(__dirname, '../../fixtures');
const R70 = path.join(FIX, 'redis-7.0/rdb/dump.rdb');
const R62 = path.join(FIX, 'shared/servers/redis-6.2.16/rdb/dump.rdb');
const R74 = path.join(FIX, 'shared/servers/redis-7.4.1/rdb/dump.rdb');

interface Want {
  digest: string;
  dbsize: Record<string, number>;
}
function want(rdb: string): Want {
  const w =
    rdb === R70
      ? (JSON.parse(fs.readFileSync(path.join(path.dirname(rdb), 'expected.json'), 'utf8')) as Want)
      : (JSON.parse(fs.readFileSync(rdb + '.expected.json', 'utf8')) as { expected: Want }).expected;
  return { digest: w.digest, dbsize: w.dbsize };
}

let tmp: string;
let n = 0;
const out = (name: string) => path.join(tmp, `${n++}-${name}`);
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-convert-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const loaded = loadedState;

describe.skipIf(!redisAvailable())('convert RDB -> AOF / RDB, loaded by a real Redis 7.0', () => {
  for (const src of [R70, R62]) {
    const label = path.relative(FIX, src);
    it(`${label} -> plain AOF: same digest and key counts`, async () => {
      const o = out('plain.aof');
      const run = await runCli(['convert', src, o]);
      expect(run.code).toBe(0);
      expect(await loaded({ aof: o })).toEqual(want(src));
    });

    it(`${label} -> AOF with RESTORE (DUMP version 10): same digest`, async () => {
      const o = out('restore.aof');
      const run = await runCli(['convert', '--restore', '--rdb-version', '10', src, o]);
      expect(run.code).toBe(0);
      expect(fs.readFileSync(o, 'latin1')).toMatch(/RESTORE/);
      expect(await loaded({ aof: o })).toEqual(want(src));
    });

    it(`${label} -> multi-part appendonlydir: same digest`, async () => {
      const o = path.join(fs.mkdtempSync(path.join(tmp, 'mp-')), 'appendonlydir');
      const run = await runCli(['convert', '--multipart', src, o]);
      expect(run.code).toBe(0);
      expect(fs.readdirSync(o).sort()).toEqual(['appendonly.aof.1.base.aof', 'appendonly.aof.1.incr.aof', 'appendonly.aof.manifest']);
      expect(await loaded({ aofDir: o })).toEqual(want(src));
    });

    for (const v of [9, 10]) {
      it(`${label} -> RDB ${v}: same digest`, async () => {
        const o = out(`v${v}.rdb`);
        // RDB 9 has no place for function libraries (the 7.0 dataset has one): --lossy drops it
        const lossy = v === 9 && src === R70;
        const run = await runCli(['--json', 'convert', '--rdb-version', String(v), ...(lossy ? ['--lossy'] : []), src, o]);
        expect(run.code).toBe(0);
        if (lossy) expect((run.json() as { lost: { what: string }[] }).lost).toEqual([expect.objectContaining({ what: 'function' })]);
        expect(fs.readFileSync(o).subarray(0, 9).toString('latin1')).toBe(`REDIS00${String(v).padStart(2, '0')}`);
        expect(await loaded({ rdb: path.resolve(o) })).toEqual(want(src));
      });
    }
  }

  it('RDB 11 and 12 outputs read back key by key equal to the input', async () => {
    for (const src of [R70, R62, R74]) {
      const orig = keysOf(readRdbItems(fs.readFileSync(src)));
      for (const v of [11, 12]) {
        if (src === R74 && v === 11) continue; // hash field TTLs need 12
        const o = out(`v${v}.rdb`);
        expect((await runCli(['convert', '--rdb-version', String(v), src, o])).code).toBe(0);
        const back = keysOf(readRdbItems(fs.readFileSync(o)));
        const byKey = new Map(orig.map((k) => [`${k.db}/${k.key.toString('hex')}`, k.value]));
        const norm = (ks: typeof orig) =>
          ks
            .map((k) => JSON.stringify([k.db, k.key.toString('hex'), k.expireMs, canon(k.value, byKey.get(`${k.db}/${k.key.toString('hex')}`))], (_x, val: unknown) => (typeof val === 'bigint' ? String(val) : val)))
            .sort();
        expect(norm(back)).toEqual(norm(orig));
      }
    }
  });

  it('a 7.4 RDB with hash field TTLs to RDB 10: an error naming the key without --lossy; with --lossy it loads in 7.0', async () => {
    const o = out('hfe.rdb');
    const refused = await runCli(['convert', '--rdb-version', '10', R74, o]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/hfe:/);
    expect(refused.stderr).toMatch(/--lossy .*Or write RDB 12 \(--rdb-version 12\), which holds it/);
    expect(fs.existsSync(o)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('redkit-tmp'))).toEqual([]);
    const lossy = await runCli(['--json', 'convert', '--rdb-version', '10', '--lossy', R74, o]);
    expect(lossy.code).toBe(0);
    const doc = lossy.json() as { lost: { key: string; what: string }[] };
    expect(doc.lost.length).toBeGreaterThan(0);
    expect(doc.lost.every((l) => l.what === 'hash-field-ttl')).toBe(true);
    expect(doc.lost.map((l) => l.key)).toContain('hfe:small');
    const got = await loaded({ rdb: path.resolve(o) });
    expect(got.dbsize).toEqual(want(R74).dbsize);
  });

  it('plain AOF output is the command sequence BGREWRITEAOF writes, up to key order', async () => {
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    let rewritten: Buffer;
    let rdb: string;
    try {
      await server.loadDataset('dataset');
      await server.rewriteAof();
      const d = server.aofDirPath;
      rewritten = fs.readFileSync(path.join(d, fs.readdirSync(d).find((f) => f.endsWith('.base.aof'))!));
      rdb = out('ds.rdb');
      fs.copyFileSync(await server.save(), rdb);
    } finally {
      await server.stop();
    }
    const o = out('ds.aof');
    expect((await runCli(['convert', rdb, o])).code).toBe(0);
    expect(groups(fs.readFileSync(o))).toEqual(groups(rewritten));
  });
});

describe('convert to JSON Lines, filters and errors', () => {
  it('one object per key, binary-safe, functions first', async () => {
    const o = out('all.jsonl');
    const run = await runCli(['convert', R70, o]);
    expect(run.code).toBe(0);
    const lines = fs.readFileSync(o, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const keys = lines.filter((l) => l['type'] !== 'function');
    expect(keys.length).toBe(Object.values(want(R70).dbsize).reduce((a, b) => a + b, 0));
    expect(lines[0]).toMatchObject({ type: 'function', library: 'mylib' });
    // a key that is not UTF-8 carries the explicit marker and round-trips
    const bin = keys.find((k) => typeof k['key'] === 'object')!;
    expect(Buffer.from((bin['key'] as { base64: string }).base64, 'base64').length).toBeGreaterThan(0);
    for (const k of keys) expect(Object.keys(k).slice(0, 6)).toEqual(['db', 'key', 'type', 'encoding', 'expireMs', 'value']);
    const stream = keys.find((k) => k['type'] === 'stream' && (k['value'] as { groups: unknown[] }).groups.length > 0)!;
    expect(stream['value']).toMatchObject({ lastId: expect.stringMatching(/^\d+-\d+$/) });
  });

  it('--db, --key, --type and --drop-expired select keys', async () => {
    const count = async (...args: string[]) => {
      const o = out('f.jsonl');
      const r = await runCli(['convert', ...args, R70, o]);
      expect(r.code).toBe(0);
      return fs.readFileSync(o, 'utf8').trimEnd().split('\n').filter((l) => l && !l.includes('"type":"function"')).map((l) => JSON.parse(l) as { db: number; key: string; type: string; expireMs: number | null });
    };
    const db1 = await count('--db', '1');
    expect(db1.length).toBe(want(R70).dbsize['1']);
    expect(db1.every((k) => k.db === 1)).toBe(true);
    const hashes = await count('--type', 'hash');
    expect(hashes.length).toBeGreaterThan(0);
    expect(hashes.every((k) => k.type === 'hash')).toBe(true);
    const pat = await count('--key', 'list:*');
    expect(pat.length).toBeGreaterThan(0);
    expect(pat.every((k) => typeof k.key === 'string' && k.key.startsWith('list:'))).toBe(true);
    const all = await count();
    const ttl = all.filter((k) => k.expireMs !== null);
    expect(ttl.length).toBeGreaterThan(0);
    const last = Math.max(...ttl.map((k) => k.expireMs!));
    const later = await count('--drop-expired', '--now', String(last + 1));
    expect(later.length).toBe(all.length - ttl.length);
    // a key whose expiry is exactly --now is not expired yet (Redis: expired when now > when)
    const atLast = await count('--drop-expired', '--now', String(last));
    expect(atLast.length).toBe(all.length - ttl.length + ttl.filter((k) => k.expireMs === last).length);
  });

  it('--key matches the UTF-8 bytes of a non-ASCII pattern, as redis-cli would send it', async () => {
    const count = async (pattern: string) => {
      const o = out('u.jsonl');
      const r = await runCli(['convert', '--key', pattern, R70, o]);
      expect(r.code).toBe(0);
      return fs.readFileSync(o, 'utf8').trimEnd().split('\n').filter((l) => l && !l.includes('"type":"function"')).map((l) => (JSON.parse(l) as { key: unknown }).key);
    };
    // the fixture holds the key "café" (its UTF-8 bytes)
    expect(await count('café')).toEqual(['café']);
    expect(await count('caf?')).toEqual([]); // é is two bytes: ? matches one
    expect(await count('caf??')).toEqual(['café']);
  });

  it('a damaged RDB is exit 1 with nothing written; an unknown output format is exit 2', async () => {
    const bad = out('bad.rdb');
    const d = Buffer.from(fs.readFileSync(R70));
    d[d.length - 3]! ^= 0xff;
    fs.writeFileSync(bad, d);
    const o = out('never.aof');
    const r = await runCli(['convert', bad, o]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/offset \d+/);
    expect(fs.existsSync(o)).toBe(false);
    expect((await runCli(['convert', R70, out('x.txt')])).code).toBe(2);
  });
});

/** A canonical form of a value for comparisons (order-insensitive where Redis is). Stream
 * metadata a version-1 source lacks (first id, max deleted id, entries added/read, consumer
 * active time) is derived by the writer as Redis derives it, so it is compared only when the
 * source has it. */
function canon(v: import('../../src/model/value.js').RedisValue, source?: import('../../src/model/value.js').RedisValue): unknown {
  const hex = (b: Buffer) => b.toString('hex');
  switch (v.type) {
    case 'string':
      return hex(v.value);
    case 'list':
      return v.items.map(hex);
    case 'set':
      return v.members.map(hex).sort();
    case 'zset':
      return v.entries.map((e) => [hex(e.member), e.score]).sort();
    case 'hash':
      return v.entries.map((e) => [hex(e.field), hex(e.value), e.expireMs ?? null]).sort();
    case 'stream': {
      const src = source?.type === 'stream' ? source : v;
      return {
        entries: v.entries.map((e) => ({ id: e.id, fields: e.fields.map(hex) })),
        length: v.length,
        lastId: v.lastId,
        firstId: src.firstId && v.firstId,
        maxDeletedId: src.maxDeletedId && v.maxDeletedId,
        entriesAdded: src.entriesAdded !== undefined ? v.entriesAdded : undefined,
        groups: v.groups.map((g, gi) => ({
          name: hex(g.name),
          lastId: g.lastId,
          entriesRead: src.groups[gi]?.entriesRead !== undefined ? g.entriesRead : undefined,
          pending: g.pending,
          consumers: g.consumers.map((c) => ({ name: hex(c.name), seenTime: c.seenTime, pending: c.pending })),
        })),
      };
    }
    case 'module':
      return hex(v.raw);
  }
}

/** AOF commands grouped per (db, key): sorted, ZADD scores compared as numbers. */
function groups(aof: Buffer): string[] {
  const out = new Map<string, string[]>();
  let db = 0;
  const r = new RespStreamReader({
    command(rec) {
      const args = rec.args();
      const name = rec.name;
      if (name === 'SELECT') {
        db = Number(args[1]!.toString());
        return;
      }
      let k: string;
      let text: string;
      if (name === 'FUNCTION') {
        k = 'functions';
        text = args.map((a) => a.toString('hex')).join(' ');
      } else {
        const keyIdx = name === 'XGROUP' ? 2 : 1;
        k = `${db}/${args[keyIdx]!.toString('hex')}`;
        text = args
          .map((a, i) => {
            if (name === 'ZADD' && i >= 2 && i % 2 === 0) return String(Number(a.toString() === 'inf' ? Infinity : a.toString() === '-inf' ? -Infinity : a.toString()));
            return a.toString('hex');
          })
          .join(' ');
      }
      if (name === 'ZADD') {
        // a skiplist zset is rewritten in hash-table order, which an RDB does not keep:
        // compare the (score, member) pairs and the number of batches
        const l = out.get(k) ?? ['ZADD batches: 0'];
        l[0] = `ZADD batches: ${Number(l[0]!.split(': ')[1]) + 1}`;
        const parts = text.split(' ').slice(2);
        for (let i = 0; i < parts.length; i += 2) l.push(`${parts[i]} ${parts[i + 1]}`);
        l.sort((a, b) => (a.startsWith('ZADD') ? -1 : b.startsWith('ZADD') ? 1 : a < b ? -1 : a > b ? 1 : 0));
        out.set(k, l);
        return;
      }
      const l = out.get(k) ?? [];
      l.push(text);
      out.set(k, l);
    },
  });
  r.push(aof);
  r.finish();
  return [...out.entries()].map(([k, v]) => `${k}: ${v.join(' | ')}`).sort();
}

describe('JSON Lines encoder', () => {
  it('writes exactly what JSON.stringify of the documented object gives, for every key of every fixture', async () => {
    const { JsonLinesWriter, entryToJsonObject } = await import('../../src/convert/json.js');
    let n = 0;
    for (const src of [R70, R62, R74]) {
      const w = new JsonLinesWriter();
      for (const k of keysOf(readRdbItems(fs.readFileSync(src)))) {
        w.entry(k);
        expect(w.take().toString('utf8')).toBe(JSON.stringify(entryToJsonObject(k)) + '\n');
        n++;
      }
    }
    expect(n).toBeGreaterThan(200);
  });
});
