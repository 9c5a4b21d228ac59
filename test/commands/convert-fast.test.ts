// convert's RDB -> AOF fast path (convert/transcode.ts: records copied straight into RESP,
// on a second thread for big inputs) must write exactly what the generic path (decode to
// key entries, entryToCommands) writes: byte for byte, on every RDB fixture and on an RDB a
// real Redis 7.0 writes with every shape the fast path copies (LZF and integer keys and
// values, listpack integers of every width, quicklist PLAIN and compressed nodes, intsets of
// 16/32/64 bits, infinite scores, several dbs, TTLs) and the ones it leaves to the generic
// path (streams, functions). The threaded path runs only from the built CLI (the worker is a
// compiled file), so those tests drive dist through bin/redkit.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, loadedState, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';
import { listRdbs } from '../helpers/rdb.js';
import { rng } from '../helpers/feed.js';
import { RdbStreamReader } from '../../src/codec/rdb-reader.js';
import { FAST_TYPES, RecordTranscoder } from '../../src/convert/transcode.js';

warnIfNoRedis('convert fast path');
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/redkit');
const FIX = path.join(ROOT, 'fixtures');

const rdbFixtures = () => listRdbs(FIX);

let tmp: string;
let n = 0;
const out = (name: string) => path.join(tmp, `${n++}-${name}`);
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-convert-fast-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** convert in-process, fast path or (generic) the decode-everything path */
async function convertInProcess(rdb: string, generic: boolean, extra: string[] = []): Promise<{ code: number; bytes: Buffer | undefined; stdout: string }> {
  const o = out('in.aof');
  if (generic) process.env['REDKIT_CONVERT_GENERIC'] = '1';
  try {
    const r = await runCli(['convert', '--no-progress', ...extra, '--to', 'aof', rdb, o]);
    return { code: r.code, bytes: fs.existsSync(o) ? fs.readFileSync(o) : undefined, stdout: r.stdout };
  } finally {
    delete process.env['REDKIT_CONVERT_GENERIC'];
  }
}

/** the built CLI, with the worker for any input size */
function convertThreaded(args: string[]) {
  const json = args[0] === '--json' ? [args.shift()!] : [];
  return spawnSync(process.execPath, [BIN, ...json, 'convert', '--no-progress', ...args], {
    env: { ...process.env, REDKIT_TRANSCODE_WORKER_MIN: '0', NO_COLOR: '1' },
    maxBuffer: 1 << 28,
  });
}

describe('convert RDB -> AOF: the fast path writes what the generic path writes', () => {
  const fixtures = rdbFixtures();

  it('finds the fixtures', () => {
    expect(fixtures.length).toBeGreaterThan(60);
  });

  it('every RDB fixture, in-process: same exit code, same bytes (or nothing written by both)', async () => {
    let compared = 0;
    for (const f of fixtures) {
      const fast = await convertInProcess(f, false);
      const gen = await convertInProcess(f, true);
      expect(fast.code, f).toBe(gen.code);
      expect(fast.bytes === undefined, f).toBe(gen.bytes === undefined);
      if (gen.bytes) {
        expect(fast.bytes!.equals(gen.bytes), f).toBe(true);
        compared++;
      }
      if (gen.code !== 0) {
        // module values: --lossy drops them on both paths alike
        const fl = await convertInProcess(f, false, ['--lossy']);
        const gl = await convertInProcess(f, true, ['--lossy']);
        expect(fl.code, f).toBe(gl.code);
        if (gl.bytes) expect(fl.bytes!.equals(gl.bytes), f).toBe(true);
      }
    }
    expect(compared).toBeGreaterThan(60);
  });

  it('with --db, --type and --drop-expired (applied by the fast path from the validate-only items): same bytes', async () => {
    const filters = [['--db', '0'], ['--type', 'string,hash'], ['--type', 'list,zset,set,stream'], ['--drop-expired', '--now', '1700000000000'], ['--db', '1,2', '--type', 'set']];
    let compared = 0;
    for (const f of fixtures.filter((x) => /redis-7\.0|redis-6\.2|redis-7\.4|multiple_databases|keys_with_expiry|expiration/.test(x))) {
      for (const extra of filters) {
        const fast = await convertInProcess(f, false, extra);
        const gen = await convertInProcess(f, true, extra);
        expect(fast.code, `${f} ${extra.join(' ')}`).toBe(gen.code);
        if (gen.bytes) {
          expect(fast.bytes!.equals(gen.bytes), `${f} ${extra.join(' ')}`).toBe(true);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('the worker file is built', () => {
    expect(fs.existsSync(path.join(ROOT, 'dist/convert/transcode-worker.js'))).toBe(true);
  });

  it('every RDB fixture through the built CLI with the worker: the generic path\'s bytes', async () => {
    for (const f of fixtures) {
      const gen = await convertInProcess(f, true);
      if (!gen.bytes) continue;
      const o = out('thr.aof');
      const r = convertThreaded([f, o]);
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(fs.readFileSync(o).equals(gen.bytes), f).toBe(true);
    }
  });
});

describe.skipIf(!redisAvailable())('convert RDB -> AOF fast path on an RDB of Redis 7.0 with every shape', () => {
  let rdb: string;
  let want: { digest: string; dbsize: Record<string, number> };

  beforeAll(async () => {
    // small listpack limits and compressed quicklist nodes, so that every encoding appears
    const r = await startRedis({ config: { 'list-compress-depth': 1, 'list-max-listpack-size': 32 } });
    try {
      const ints = [0, 1, -1, 127, 128, -128, 4095, -4096, 4096, 32767, -32768, 32768, 8388607, -8388608, 8388608, 2147483647, -2147483648, 2147483648, '9223372036854775807', '-9223372036854775808', '9007199254740993'];
      const text = (i: number, len: number) => `value-${i}-`.padEnd(len, 'abcabcabc');
      const rnd = (len: number) => Buffer.from(Array.from({ length: len }, (_, k) => (k * 131 + len * 7) % 251));
      for (const db of [0, 1, 5]) {
        await r.call('SELECT', db);
        for (let i = 0; i < 400; i++) {
          await r.call('SET', `s:${db}:${i}`, i % 4 === 0 ? String(i * 1000) : i % 4 === 1 ? text(i, 200) : i % 4 === 2 ? rnd(30 + (i % 90)) : `short${i}`);
          if (i % 10 === 0) await r.call('PEXPIREAT', `s:${db}:${i}`, 4102444800000 + i);
        }
        // keys that are integers, and keys long and repetitive enough to be LZF-compressed
        for (let i = 0; i < 50; i++) await r.call('SET', String(100000 + i), `int key ${i}`);
        for (let i = 0; i < 20; i++) await r.call('SET', `${'k'.repeat(60)}${i}`, text(i, 120));
        await r.call('HSET', `${'h'.repeat(50)}x`, 'f', 'v');
      }
      await r.call('SELECT', 0);
      // lists: listpack, quicklist with compressed nodes, PLAIN nodes (> 8 KB), every int width
      await r.call('RPUSH', 'l:small', 'a', 'b', ...ints.map(String));
      for (let i = 0; i < 40; i++) await r.call('RPUSH', 'l:big', ...Array.from({ length: 50 }, (_, k) => (k % 3 === 0 ? String(i * 50 + k) : text(k, 40 + k))));
      await r.call('RPUSH', 'l:plain', 'x', 'y'.repeat(9000), 'z', rnd(20000), 'w');
      await r.call('PEXPIREAT', 'l:big', 4102444800000);
      // sets: intsets of 16/32/64 bits, listpack, hashtable
      await r.call('SADD', 'i16', ...Array.from({ length: 40 }, (_, k) => String(k * 7 - 100)));
      await r.call('SADD', 'i32', '1', '100000', '-2000000000');
      await r.call('SADD', 'i64', '1', '9223372036854775807', '-9223372036854775808', '5000000000');
      await r.call('SADD', 'set:lp', 'a', 'b', 'c', '12', '-5');
      await r.call('SADD', 'set:ht', ...Array.from({ length: 300 }, (_, k) => text(k, 30)));
      // sorted sets: listpack and skiplist, with infinities and fractions
      await r.call('ZADD', 'z:lp', '1', 'a', '-inf', 'b', 'inf', 'c', '1.5', 'd', '-0.25', 'e', '3e-7', 'f', '123456789012', 'g');
      await r.call('ZADD', 'z:sl', ...Array.from({ length: 200 }, (_, k) => [k % 50 === 0 ? 'inf' : String(k / 3), text(k, 25)]).flat());
      // hashes: listpack and hashtable (LZF values)
      await r.call('HSET', 'h:lp', 'a', '1', 'b', 'two', 'c', '-3', 'n', '9223372036854775807');
      await r.call('HSET', 'h:ht', ...Array.from({ length: 300 }, (_, k) => [`f${k}`, k % 2 ? text(k, 100) : String(k)]).flat());
      // streams (transcoded from their nodes): several nodes, deleted entries, entries with
      // and without the master's fields, groups with pending entries, a consumer with none,
      // a stream trimmed to nothing that keeps its groups, an empty one, a big LZF node
      await r.call('SELECT', 2);
      await r.call('XADD', 'st', '1-1', 'a', '1');
      await r.call('XADD', 'st', '2-1', 'b', '2');
      await r.call('XGROUP', 'CREATE', 'st', 'g', '0');
      for (let k = 0; k < 260; k++) {
        const fields = k % 5 === 0 ? ['x', String(k), 'y', text(k, 30), 'z', '-7'] : ['temp', String(k * 3), 'msg', text(k, k % 40)];
        await r.call('XADD', 'st:many', `${1_700_000_000_000 + k * 7}-${k % 4}`, ...fields);
      }
      for (let k = 0; k < 260; k += 9) await r.call('XDEL', 'st:many', `${1_700_000_000_000 + k * 7}-${k % 4}`);
      await r.call('XGROUP', 'CREATE', 'st:many', 'g1', '0');
      await r.call('XGROUP', 'CREATE', 'st:many', 'g2', '$');
      await r.call('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '30', 'STREAMS', 'st:many', '>');
      await r.call('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '4', 'STREAMS', 'st:many', '>');
      await r.call('XGROUP', 'CREATECONSUMER', 'st:many', 'g2', 'carol');
      await r.call('XADD', 'st:trimmed', '*', 'a', '1');
      await r.call('XGROUP', 'CREATE', 'st:trimmed', 'g', '0');
      await r.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'st:trimmed', '>');
      await r.call('XTRIM', 'st:trimmed', 'MAXLEN', '0');
      await r.call('XGROUP', 'CREATE', 'st:empty', 'g', '$', 'MKSTREAM');
      await r.call('XADD', 'st:big', '*', 'blob', text(7, 30000));
      await r.call('PEXPIRE', 'st:big', '86400000');
      // left to the generic path: a function
      await r.call('FUNCTION', 'LOAD', "#!lua name=fastlib\nredis.register_function('ff', function() return 1 end)");
      want = { digest: await r.digest(), dbsize: await r.keysPerDb() };
      const saved = await r.save();
      rdb = out('every-shape.rdb');
      fs.copyFileSync(saved, rdb);
    } finally {
      await r.stop();
    }
  });

  it('in-process and threaded outputs equal the generic path\'s, and load in Redis 7.0 with the digest', async () => {
    const gen = await convertInProcess(rdb, true);
    const fast = await convertInProcess(rdb, false);
    expect(gen.code).toBe(0);
    expect(fast.bytes!.equals(gen.bytes!)).toBe(true);
    const o = out('thr.aof');
    const r = convertThreaded(['--json', rdb, o]);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect((JSON.parse(r.stdout.toString()) as { transcoder: string }).transcoder).toBe('thread');
    expect(fs.readFileSync(o).equals(gen.bytes!)).toBe(true);
    expect(await loadedState({ aof: o })).toEqual(want);
  });

  it('to stdout: the same bytes, and the summary on stderr (a line after the commands would reach redis-cli --pipe)', async () => {
    const gen = await convertInProcess(rdb, true);
    const r = convertThreaded(['--to', 'aof', rdb, '-']);
    expect(r.status).toBe(0);
    expect(r.stdout.equals(gen.bytes!)).toBe(true);
    expect(r.stderr.toString()).toMatch(/^Converted \d+ of \d+ keys/m);
  });

  it('a damaged copy (checksum, cut short): exit 1, nothing written, on both paths', async () => {
    const src = fs.readFileSync(rdb);
    const flipped = Buffer.from(src);
    flipped[flipped.length - 1]! ^= 0x40;
    for (const bad of [flipped, src.subarray(0, Math.floor(src.length * 0.6))]) {
      const f = out('bad.rdb');
      fs.writeFileSync(f, bad);
      const o = out('bad.aof');
      const r = convertThreaded([f, o]);
      expect(r.status).toBe(1);
      expect(fs.existsSync(o)).toBe(false);
      expect(r.stderr.toString()).toMatch(/Nothing was written/);
      expect(r.stderr.toString()).not.toMatch(/\n\s+at /);
      const inProc = await convertInProcess(f, false);
      expect(inProc.code).toBe(1);
      expect(inProc.bytes).toBeUndefined();
    }
  });
});

describe.skipIf(!redisAvailable())('convert of RDB versions 2 to 5 (files of Redis 2.x-3.x from other tools\' test suites)', () => {
  it('to AOF and to RDB (6, the oldest the writer writes): Redis 7.0 loads each with the digest it gets from the original', async () => {
    const old = rdbFixtures().filter((f) => /^REDIS000[2-5]/.test(fs.readFileSync(f).subarray(0, 9).toString('latin1')));
    expect(old.length).toBeGreaterThan(20);
    let loadedOk = 0;
    for (const f of old) {
      let orig: { digest: string; dbsize: Record<string, number> };
      try {
        orig = await loadedState({ rdb: f });
      } catch {
        continue; // Redis itself refuses it (zipmap_big_len): nothing to compare with
      }
      const aof = out('old.aof');
      const r = await runCli(['convert', '--no-progress', f, aof]);
      if (r.code === 3) continue; // a module value: plain commands cannot carry it
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      expect(await loadedState({ aof }), f).toEqual(orig);
      const rdb6 = out('old.rdb');
      expect((await runCli(['convert', '--no-progress', f, rdb6])).code, f).toBe(0);
      expect(fs.readFileSync(rdb6).subarray(0, 9).toString('latin1')).toBe('REDIS0006');
      expect(await loadedState({ rdb: rdb6 }), f).toEqual(orig);
      loadedOk++;
    }
    expect(loadedOk).toBeGreaterThan(20);
  });
});

describe('output to stdout carries the data alone (the summary and --json report go to stderr)', () => {
  const AOF_DIR = path.join(FIX, 'redis-7.0/aof-plain/appendonlydir');
  const RDB = path.join(FIX, 'redis-7.0/rdb/dump.rdb');
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 28 });

  it('convert --json ... -: stdout is the file output byte for byte; stderr is the JSON report', () => {
    const o = out('c.aof');
    expect(run(['convert', RDB, o]).status).toBe(0);
    const r = run(['--json', 'convert', '--to', 'aof', RDB, '-']);
    expect(r.status).toBe(0);
    expect(r.stdout.equals(fs.readFileSync(o))).toBe(true);
    const doc = JSON.parse(r.stderr.toString()) as { command: string; ok: boolean; bytes: number };
    expect(doc).toMatchObject({ command: 'convert', ok: true, bytes: r.stdout.length });
  });

  it('rewrite -o -: stdout is what -o <file> writes; the summary is on stderr', () => {
    const o = out('rw.aof');
    expect(run(['rewrite', AOF_DIR, '-o', o]).status).toBe(0);
    const r = run(['rewrite', AOF_DIR, '-o', '-']);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.equals(fs.readFileSync(o))).toBe(true);
    expect(r.stderr.toString()).toMatch(new RegExp(`^Rewrote .* to - \\(${r.stdout.length} bytes, commands\\)`));
    const j = run(['--json', 'rewrite', AOF_DIR, '-o', '-']);
    expect(j.status).toBe(0);
    expect(j.stdout.equals(r.stdout)).toBe(true);
    expect(JSON.parse(j.stderr.toString())).toMatchObject({ command: 'rewrite', ok: true, bytesAfter: r.stdout.length });
  });
});

describe('fast and generic paths agree on damaged input (seeded mutations, checksum disabled)', () => {
  // The fast path trusts the validate-only reader for structure; the generic path decodes
  // everything. On a mutated file (stored CRC zeroed, so that the structure decides) they must
  // give the same exit code, and the same bytes when both succeed: otherwise one of them
  // would accept what the other refuses, or read it differently.
  const FILES = ['redis-7.0/rdb/dump.rdb', 'shared/servers/redis-7.4.1/rdb/dump.rdb', 'shared/servers/redis-6.2.16/rdb/dump.rdb', 'shared/peers/hdt3213/quicklist.rdb', 'shared/peers/rdb-tools/ziplist_with_integers.rdb'];

  it('300 mutations over five files', async () => {
    const r = rng(20261122);
    const outcomes = new Map<number, number>();
    for (let k = 0; k < 300; k++) {
      const src = fs.readFileSync(path.join(FIX, FILES[k % FILES.length]!));
      const d = Buffer.from(src);
      d.fill(0, d.length - 8); // a zero checksum is not checked
      const flips = 1 + Math.floor(r() * 3);
      for (let i = 0; i < flips; i++) {
        const at = 9 + Math.floor(r() * (d.length - 18));
        if (r() < 0.5) d[at]! ^= 1 << Math.floor(r() * 8);
        else d[at] = Math.floor(r() * 256);
      }
      const f = out('mut.rdb');
      fs.writeFileSync(f, d);
      const fast = await convertInProcess(f, false);
      const gen = await convertInProcess(f, true);
      const what = `mutation ${k} of ${FILES[k % FILES.length]}`;
      expect(fast.code, what).toBe(gen.code);
      expect(fast.bytes === undefined, what).toBe(gen.bytes === undefined);
      if (gen.bytes) expect(fast.bytes!.equals(gen.bytes), what).toBe(true);
      outcomes.set(gen.code, (outcomes.get(gen.code) ?? 0) + 1);
    }
    // both kinds of outcome occur (otherwise the test would prove little)
    expect(outcomes.get(0) ?? 0).toBeGreaterThan(20);
    expect((outcomes.get(1) ?? 0) + (outcomes.get(3) ?? 0)).toBeGreaterThan(20);
  });
});

describe('the fast path copies every record of the types it claims (no silent fallback)', () => {
  it('on every RDB fixture, the generic path writes exactly the records of other types', () => {
    let fast = 0;
    for (const f of listRdbs(FIX)) {
      let t: RecordTranscoder | undefined;
      let others = 0;
      let rec = 0;
      const reader: RdbStreamReader = new RdbStreamReader(
        (item) => {
          if (item.kind === 'header') t = new RecordTranscoder(item.version, item.magic, true);
          if (item.kind !== 'key') return;
          const raw = reader.raw();
          if (!FAST_TYPES.has(item.entry.rdbType) || (item.entry.value.type as string) === 'module') others++;
          rec++;
          t!.record(raw, 0, raw.length, item.entry.db, false, item.entry.offset);
        },
        { validateOnly: true, borrow: true },
      );
      try {
        reader.push(fs.readFileSync(f));
        reader.finish();
      } catch {
        continue; // damaged on purpose (zipmap_big_len), or a module the generic path refuses
      }
      expect(t!.generic, f).toBe(others);
      fast += rec - others;
    }
    expect(fast).toBeGreaterThan(500);
  });
});

describe('an interrupted conversion leaves nothing behind', () => {
  // stdin input: the process writes the head of an RDB, opens its temp output, and waits for
  // more; then it gets the signal a Ctrl-C sends
  const RDB = path.join(FIX, 'redis-7.0/rdb/dump.rdb');
  const interrupt = async (args: string[], sig: NodeJS.Signals) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'int-'));
    const { spawn } = await import('node:child_process');
    const cp = spawn(process.execPath, [BIN, 'convert', '--no-progress', ...args.map((a) => a.replace('@', dir))], { stdio: ['pipe', 'ignore', 'pipe'] });
    cp.stdin.write(fs.readFileSync(RDB).subarray(0, 200));
    const deadline = Date.now() + 10_000;
    while (!fs.readdirSync(dir).some((f) => f.includes('.redkit-tmp-')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const during = fs.readdirSync(dir);
    const code = await new Promise<number | null>((resolve) => {
      cp.on('exit', (c) => resolve(c));
      cp.kill(sig);
    });
    return { during, after: fs.readdirSync(dir), code };
  };

  it('SIGINT while writing a file: exit 130, the temp file removed, no output', async () => {
    const r = await interrupt(['--to', 'aof', '-', '@/out.aof'], 'SIGINT');
    expect(r.during.some((f) => f.includes('.redkit-tmp-'))).toBe(true);
    expect(r.code).toBe(130);
    expect(r.after).toEqual([]);
  });

  it('SIGTERM while writing a multi-part directory: exit 143, the temp directory removed', async () => {
    const r = await interrupt(['--multipart', '-', '@/appendonlydir'], 'SIGTERM');
    expect(r.during.some((f) => f.includes('.redkit-tmp-'))).toBe(true);
    expect(r.code).toBe(143);
    expect(r.after).toEqual([]);
  });
});

describe('the output must not be the input or one of its files (exit 2, input untouched)', () => {
  it('rewrite / convert into a file of a multi-part input, through a symlink, or onto the input itself', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'self-'));
    const ad = path.join(dir, 'appendonlydir');
    fs.cpSync(path.join(FIX, 'redis-7.0/aof-preamble-yes/appendonlydir'), ad, { recursive: true });
    const snapshot = () => Object.fromEntries(fs.readdirSync(ad).map((f) => [f, fs.readFileSync(path.join(ad, f)).toString('base64')]));
    const before = snapshot();
    const incr = fs.readdirSync(ad).find((f) => f.includes('.incr.'))!;
    const base = fs.readdirSync(ad).find((f) => f.includes('.base.'))!;
    const cases: string[][] = [
      ['rewrite', path.join(ad, 'appendonly.aof.manifest'), '-o', path.join(ad, incr)],
      ['rewrite', ad, '-o', path.join(ad, 'appendonly.aof.manifest')],
      ['convert', ad, path.join(ad, incr)],
      ['convert', '--to', 'rdb', ad, path.join(ad, base)],
    ];
    for (const args of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/must not be (the input|a file of the input)/);
    }
    expect(snapshot()).toEqual(before);
    // an RDB reached through a symlink
    const rdb = path.join(dir, 'in.rdb');
    fs.copyFileSync(path.join(FIX, 'redis-7.0/rdb/dump.rdb'), rdb);
    fs.symlinkSync(rdb, path.join(dir, 'link.rdb'));
    const bytes = fs.readFileSync(rdb);
    const r = await runCli(['convert', '--to', 'rdb', path.join(dir, 'link.rdb'), rdb]);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(rdb).equals(bytes)).toBe(true);
  });

  it('a new file inside a multi-part input\'s directory, or a --multipart output that holds the input: exit 2, nothing added', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'inside-'));
    const ad = path.join(dir, 'appendonlydir');
    fs.cpSync(path.join(FIX, 'redis-7.0/aof-preamble-yes/appendonlydir'), ad, { recursive: true });
    const names = fs.readdirSync(ad).sort();
    for (const args of [
      ['rewrite', ad, '-o', path.join(ad, 'x.aof')],
      ['convert', ad, path.join(ad, 'out.rdb')],
      ['convert', '--multipart', ad, path.join(ad, 'sub')],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/must not be inside the input/);
    }
    const rdb = path.join(dir, 'in.rdb');
    fs.copyFileSync(path.join(FIX, 'redis-7.0/rdb/dump.rdb'), rdb);
    const holds = await runCli(['convert', '--multipart', rdb, dir]);
    expect(holds.code).toBe(2);
    expect(holds.stderr).toMatch(/must not contain the input|already exists/);
    expect(fs.readdirSync(ad).sort()).toEqual(names);
    expect(fs.existsSync(rdb)).toBe(true);
  });
});
