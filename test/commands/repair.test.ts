// check --fix / --truncate-to-timestamp: byte for byte what redis-check-aof does, made safe;
// check --salvage: recovers what can be recovered, and a real Redis loads the result.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespStreamReader } from '../../src/codec/resp.js';
import { encodeCommand } from '../../src/codec/resp-writer.js';
import { redisAvailable, startRedis, startWithFiles, warnIfNoRedis } from '../helpers/redis-server.js';
import { writeWorkload } from '../helpers/workload.js';
import { rng } from '../helpers/feed.js';
import { runCli } from '../helpers/cli.js';
import { keysOf, readRdbItems } from '../helpers/rdb.js';

const FIX = path.resolve(__dirname, '../../fixtures');
const haveRedis = redisAvailable() && spawnSync('which', ['redis-check-aof']).status === 0;
warnIfNoRedis('repair');

let tmp: string;
let n = 0;
function put(name: string, data: Buffer | string): string {
  const p = path.join(tmp, `${n++}-${name}`);
  fs.writeFileSync(p, data);
  return p;
}
function copyDir(src: string): string {
  const d = path.join(tmp, `${n++}-dir`, path.basename(src));
  fs.mkdirSync(path.dirname(d), { recursive: true });
  fs.cpSync(src, d, { recursive: true });
  for (const f of fs.readdirSync(d)) fs.chmodSync(path.join(d, f), 0o644);
  return d;
}
function listDir(d: string): string[] {
  return fs.readdirSync(d).sort();
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-repair-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveRedis)('check --fix', () => {
  let plain: Buffer;
  let preamble: Buffer;
  beforeAll(async () => {
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'yes' } });
    try {
      await writeWorkload(server, 21, 150);
      await server.rewriteAof();
      await writeWorkload(server, 22, 150);
      await server.shutdown();
      const dir = server.aofDirPath;
      const names = fs.readdirSync(dir);
      plain = fs.readFileSync(path.join(dir, names.find((x) => x.endsWith('.incr.aof'))!));
      preamble = Buffer.concat([fs.readFileSync(path.join(dir, names.find((x) => x.endsWith('.base.rdb'))!)), plain]);
    } finally {
      await server.stop();
    }
  });

  it('cuts exactly where redis-check-aof --fix cuts, for random truncations of single and preamble files', async () => {
    const r = rng(31);
    for (const [label, src] of [
      ['plain', plain],
      ['preamble', preamble],
    ] as const) {
      const rdbEnd = src.length - plain.length;
      for (let i = 0; i < 12; i++) {
        const cut = rdbEnd + 1 + Math.floor(r() * (plain.length - 2));
        const damaged = src.subarray(0, cut);
        const ours = put(`${label}.aof`, damaged);
        const theirs = put(`${label}-ref.aof`, damaged);
        const ref = spawnSync('redis-check-aof', ['--fix', theirs], { input: 'y\n', encoding: 'latin1' });
        const run = await runCli(['check', '--fix', '--yes', '--no-backup', ours]);
        const want = fs.readFileSync(theirs);
        expect({ label, cut, bytes: fs.readFileSync(ours).equals(want) }).toEqual({ label, cut, bytes: true });
        expect(run.code).toBe(ref.status === 0 ? 0 : 1);
      }
    }
  });

  it('cuts the last INCR of a multi-part AOF like redis-check-aof, keeps a backup, and Redis loads the result', async () => {
    const dir = copyDir(path.join(FIX, 'redis-7.0/aof-preamble-yes/appendonlydir'));
    const incr = path.join(dir, 'appendonly.aof.2.incr.aof');
    const orig = fs.readFileSync(incr);
    fs.writeFileSync(incr, orig.subarray(0, orig.length - 7));
    const ref = path.join(tmp, 'ref-incr.aof');
    fs.writeFileSync(ref, orig.subarray(0, orig.length - 7));
    spawnSync('redis-check-aof', ['--fix', ref], { input: 'y\n' });
    const run = await runCli(['--json', 'check', '--fix', '--yes', dir]);
    expect(run.code).toBe(0);
    expect(fs.readFileSync(incr).equals(fs.readFileSync(ref))).toBe(true);
    const doc = run.json() as { changes: { backup: string; fromBytes: number; toBytes: number }[] };
    expect(doc.changes[0]!.fromBytes).toBe(orig.length - 7);
    expect(fs.readFileSync(doc.changes[0]!.backup).equals(orig.subarray(0, orig.length - 7))).toBe(true);
    const server = await startWithFiles({ aofDir: dir });
    try {
      const keys = await server.keysPerDb();
      expect(Object.values(keys).reduce((a, b) => a + b, 0)).toBeGreaterThan(90);
    } finally {
      await server.stop();
    }
  });

  it('refuses without --yes when stdin is not a terminal, and changes nothing', async () => {
    const f = put('t.aof', plain.subarray(0, plain.length - 3));
    const before = listDir(tmp);
    const run = await runCli(['check', '--fix', f]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/--yes/);
    expect(fs.readFileSync(f).length).toBe(plain.length - 3);
    expect(listDir(tmp)).toEqual(before);
  });

  it('asks on a terminal: "n" aborts (exit 4), "y" cuts', async () => {
    const f = put('t.aof', plain.subarray(0, plain.length - 3));
    expect((await runCli(['check', '--fix', f], { stdinTTY: true, answer: 'n' })).code).toBe(4);
    expect(fs.readFileSync(f).length).toBe(plain.length - 3);
    const yes = await runCli(['check', '--fix', '--no-backup', f], { stdinTTY: true, answer: 'y' });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/Successfully truncated AOF/);
    expect(fs.readFileSync(f).length).toBeLessThan(plain.length - 3);
  });

  it('--dry-run says what would change and changes nothing: the file is still damaged (exit 1), the planned cut is in the report', async () => {
    const f = put('t.aof', plain.subarray(0, plain.length - 3));
    const before = listDir(tmp);
    const run = await runCli(['check', '--fix', '--dry-run', f]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/This will shrink the AOF .* from \d+ bytes, with \d+ bytes, to \d+ bytes/);
    expect(fs.readFileSync(f).length).toBe(plain.length - 3);
    expect(listDir(tmp)).toEqual(before);
    const j = (await runCli(['--json', 'check', '--fix', '--yes', '--dry-run', f])).json() as { ok: boolean; exitCode: number; changes: unknown[] };
    expect(j.ok).toBe(false);
    expect(j.exitCode).toBe(1);
    expect(j.changes).toEqual([{ file: f, action: 'truncate', fromBytes: plain.length - 3, toBytes: expect.any(Number), planned: true }]);
    expect(fs.readFileSync(f).length).toBe(plain.length - 3);
  });

  it('refuses to cut a file that is not the last one (exit 4), pointing to --salvage', async () => {
    const dir = copyDir(path.join(FIX, 'redis-7.0/aof-preamble-no/appendonlydir'));
    const base = path.join(dir, 'appendonly.aof.2.base.aof');
    const orig = fs.readFileSync(base);
    fs.writeFileSync(base, orig.subarray(0, orig.length - 5));
    const run = await runCli(['check', '--fix', '--yes', dir]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/not the last file/);
    expect(run.stderr).toMatch(/--salvage/);
    expect(fs.readFileSync(base).length).toBe(orig.length - 5);
  });

  it('never "fixes" a damaged RDB preamble by truncation (exit 4)', async () => {
    const f = put('pre.aof', Buffer.concat([preamble.subarray(0, 200), Buffer.from('garbage')]));
    const run = await runCli(['check', '--fix', '--yes', f]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/RDB .*damaged.*--salvage/s);
    expect(fs.readFileSync(f).length).toBe(207);
  });

  it('an RDB file is not truncated either', async () => {
    const f = put('d.rdb', fs.readFileSync(path.join(FIX, 'redis-7.0/rdb/dump.rdb')).subarray(0, 5000));
    const run = await runCli(['check', '--fix', '--yes', f]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/--salvage/);
  });

  it('a valid file: nothing to fix, exit 0, no backup', async () => {
    const f = put('ok.aof', plain);
    const before = listDir(tmp);
    const run = await runCli(['check', '--fix', '--yes', f]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/nothing to fix/);
    expect(listDir(tmp)).toEqual(before);
  });
});

describe.skipIf(!haveRedis)('check --truncate-to-timestamp', () => {
  const src = path.join(FIX, 'redis-7.0/aof-timestamp/appendonlydir');
  const incrName = 'appendonly.aof.2.incr.aof';
  const stamps = (buf: Buffer) => [...buf.toString('latin1').matchAll(/#TS:(\d+)\r\n/g)].map((m) => ({ ts: Number(m[1]), at: m.index }));

  it('cuts the last file byte for byte as redis-check-aof does', async () => {
    const incr = fs.readFileSync(path.join(src, incrName));
    const ts = stamps(incr);
    expect(ts.length).toBeGreaterThanOrEqual(3);
    for (const t of ts.slice(1)) {
      const dir = copyDir(src);
      const ref = put('ref.aof', incr);
      const target = t.ts - 1;
      const r = spawnSync('redis-check-aof', ['--truncate-to-timestamp', String(target), ref], { encoding: 'latin1' });
      expect(r.stdout).toMatch(/Successfully truncated/);
      const run = await runCli(['check', '--truncate-to-timestamp', String(target), '--yes', '--no-backup', dir]);
      expect(run.code).toBe(0);
      expect(fs.readFileSync(path.join(dir, incrName)).equals(fs.readFileSync(ref))).toBe(true);
    }
  });

  it('nothing later than the target: "Truncate nothing", exit 0, file untouched', async () => {
    const dir = copyDir(src);
    const before = fs.readFileSync(path.join(dir, incrName));
    const run = await runCli(['check', '--truncate-to-timestamp', '4102444800', '--yes', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Truncate nothing/);
    expect(fs.readFileSync(path.join(dir, incrName)).equals(before)).toBe(true);
  });

  it('a target before the base: refused, not the last file (exit 4)', async () => {
    const dir = copyDir(src);
    const run = await runCli(['check', '--truncate-to-timestamp', '1000', '--yes', dir]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/has nothing before timestamp|not the last file/);
  });

  it('--dry-run and the refusal without --yes leave the file alone', async () => {
    const incr = fs.readFileSync(path.join(src, incrName));
    const t = stamps(incr)[2]!;
    const dir = copyDir(src);
    expect((await runCli(['check', '--truncate-to-timestamp', String(t.ts - 1), '--dry-run', dir])).code).toBe(0);
    expect((await runCli(['check', '--truncate-to-timestamp', String(t.ts - 1), dir])).code).toBe(4);
    expect(fs.readFileSync(path.join(dir, incrName)).equals(incr)).toBe(true);
  });
});

describe.skipIf(!haveRedis)('check --salvage', () => {
  it('AOF with a corrupted byte: loads in Redis, equal to the original minus exactly the dropped commands', async () => {
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    let aof: Buffer;
    try {
      await writeWorkload(server, 41, 300);
      await server.shutdown();
      const dir = server.aofDirPath;
      aof = fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((x) => x.endsWith('.incr.aof'))!));
    } finally {
      await server.stop();
    }
    // the original's commands with their byte ranges
    const cmds: { offset: number; end: number; args: Buffer[] }[] = [];
    const rd = new RespStreamReader({ command: (rec) => void cmds.push({ offset: rec.offset, end: rec.end, args: rec.args() }) });
    rd.push(aof);
    rd.finish();
    const r = rng(5);
    for (let trial = 0; trial < 4; trial++) {
      // corrupt a framing byte ('*', '$', a digit or CR/LF) in the middle third
      let at: number;
      do at = Math.floor(aof.length / 3 + r() * (aof.length / 3));
      while (!/[*$0-9\r\n]/.test(String.fromCharCode(aof[at]!)));
      const damaged = Buffer.from(aof);
      damaged[at] = 0x58; // 'X'
      const f = put('damaged.aof', damaged);
      const out = path.join(tmp, `salvaged-${trial}.aof`);
      const run = await runCli(['--json', 'check', '--salvage', '-o', out, f]);
      expect(run.code).toBe(0);
      const doc = run.json() as { changes: { droppedRanges: { start: number; end: number }[]; commandsKeptAfterFirstDamage: number }[] };
      const dropped = doc.changes[0]!.droppedRanges;
      expect(dropped.length).toBeGreaterThan(0);
      expect(doc.changes[0]!.commandsKeptAfterFirstDamage).toBeGreaterThan(0);
      // the input is never modified
      expect(fs.readFileSync(f).equals(damaged)).toBe(true);
      // lost: only the command (or transaction) around the damage
      const lost = cmds.filter((c) => dropped.some((d) => c.offset < d.end && c.end > d.start));
      const hit = cmds.find((c) => c.offset <= at && at < c.end)!;
      expect(lost.some((c) => c === hit)).toBe(true);
      const txLen = (() => {
        let s = cmds.indexOf(hit);
        let e = s;
        while (s > 0 && cmds[s]!.args[0]!.toString().toUpperCase() !== 'MULTI' && cmds[s - 1]!.args[0]!.toString().toUpperCase() !== 'EXEC') s--;
        while (e < cmds.length - 1 && cmds[e]!.args[0]!.toString().toUpperCase() !== 'EXEC') e++;
        return e - s + 1;
      })();
      expect(lost.length).toBeLessThanOrEqual(Math.max(1, txLen));
      // oracle: a server fed the original commands minus the lost ones
      const expectedAof = put('expected.aof', Buffer.concat(cmds.filter((c) => !lost.includes(c)).map((c) => encodeCommand(c.args))));
      const a = await startWithFiles({ aof: out });
      const b = await startWithFiles({ aof: expectedAof });
      try {
        expect(await a.digest()).toBe(await b.digest());
        expect(await a.keysPerDb()).toEqual(await b.keysPerDb());
      } finally {
        await a.stop();
        await b.stop();
      }
    }
  });

  it('RDB with a damaged value: every other key recovered, the lost key named, Redis loads the output', async () => {
    const src = fs.readFileSync(path.join(FIX, 'redis-7.0/rdb/dump.rdb'));
    const keys = keysOf(readRdbItems(src));
    // damage the listpack inside a small hash: its blob header's total-bytes field
    const victim = keys.find((k) => k.rdbType === 16)!;
    const d = Buffer.from(src);
    // find the listpack header (u32 total bytes equal to the blob length) inside the record
    let lpAt = -1;
    for (let i = victim.offset; i < victim.offset + victim.size - 6; i++) {
      const total = d.readUInt32LE(i);
      if (total > 6 && i + total <= victim.offset + victim.size && d[i + total - 1] === 0xff) {
        lpAt = i;
        break;
      }
    }
    expect(lpAt).toBeGreaterThan(0);
    d[lpAt + 6] = 0xf7; // an invalid listpack encoding byte
    const f = put('d.rdb', d);
    expect((await runCli(['check', f])).code).toBe(1);
    const out = path.join(tmp, 'salvaged.rdb');
    const run = await runCli(['--json', 'check', '--salvage', '-o', out, f]);
    expect(run.code).toBe(0);
    const doc = run.json() as { changes: { keysLost: { key: string }[]; keysKept: number }[] };
    expect(doc.changes[0]!.keysLost.map((k) => k.key)).toEqual([victim.key.toString('latin1')]);
    const got = keysOf(readRdbItems(fs.readFileSync(out)));
    expect(got.length).toBe(keys.length - 1);
    const byKey = new Map(keys.map((k) => [`${k.db}/${k.key.toString('hex')}`, k]));
    for (const k of got) {
      const o = byKey.get(`${k.db}/${k.key.toString('hex')}`)!;
      expect(JSON.stringify(k.value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(
        JSON.stringify(o.value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      );
      expect(k.expireMs).toBe(o.expireMs);
    }
    const server = await startWithFiles({ rdb: out });
    try {
      const per = await server.keysPerDb();
      expect(Object.values(per).reduce((a, b) => a + b, 0)).toBe(keys.length - 1);
    } finally {
      await server.stop();
    }
  });

  it('refuses to overwrite an existing output and never writes over the input', async () => {
    const f = put('x.aof', Buffer.concat([encodeCommand(['SET', 'a', '1']), Buffer.from('junk')]));
    const out = put('exists.aof', 'keep me');
    expect((await runCli(['check', '--salvage', '-o', out, f])).code).toBe(4);
    expect(fs.readFileSync(out, 'latin1')).toBe('keep me');
    expect((await runCli(['check', '--salvage', '-o', f, f])).code).toBe(2);
  });

  it('a failing write (file size limit) leaves no partial output and no temp file', () => {
    const big = Buffer.concat(Array.from({ length: 2000 }, (_, i) => encodeCommand(['SET', `k${i}`, 'v'.repeat(500)])));
    const f = put('big.aof', Buffer.concat([big, Buffer.from('*3\r\n$3\r\nSE')]));
    const outDir = fs.mkdtempSync(path.join(tmp, 'out-'));
    const out = path.join(outDir, 'rescued.aof');
    const bin = path.resolve(__dirname, '../../bin/redkit');
    const r = spawnSync('bash', ['-c', `ulimit -f 200; exec node "${bin}" check --salvage -o "${out}" "${f}"`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(fs.readdirSync(outDir)).toEqual([]);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
