// `redkit rewrite`: an offline BGREWRITEAOF. Every output (commands, RDB preamble, multi-part
// directory) must load in a fresh Redis 7.0 with the digest and key counts the server that wrote
// the AOF had; the input is never touched; bad input writes nothing.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, loadedState, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';
import { rng } from '../helpers/feed.js';

warnIfNoRedis('rewrite');
const FIX = path.resolve(__dirname, '../../fixtures');
const NOW = '1700000000000';

interface Want {
  digest: string;
  dbsize: Record<string, number>;
}
const AOF_DIR = path.join(FIX, 'redis-7.0/aof-preamble-no/appendonlydir');
const WANT: Want = (() => {
  const w = JSON.parse(fs.readFileSync(path.join(FIX, 'redis-7.0/aof-preamble-no/expected.json'), 'utf8')) as Want;
  return { digest: w.digest, dbsize: w.dbsize };
})();

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-rewrite-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const loaded = loadedState;

function treeHash(dir: string): string {
  const h = crypto.createHash('sha1');
  for (const f of fs.readdirSync(dir).sort()) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

describe.skipIf(!redisAvailable())('rewrite, loaded by a real Redis 7.0', () => {
  it('commands: loads with the original digest, smaller than the input, input untouched', async () => {
    const before = treeHash(AOF_DIR);
    const o = path.join(tmp, 'rewritten.aof');
    const r = await runCli(['rewrite', '--now', NOW, AOF_DIR, '-o', o]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /\((\d+) bytes\) to .* \((\d+) bytes, commands\): (\d+) keys/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![2])).toBe(fs.statSync(o).size);
    expect(Number(m![3])).toBe(Object.values(WANT.dbsize).reduce((a, b) => a + b, 0));
    expect(fs.readFileSync(o).subarray(0, 1).toString()).toBe('*');
    expect(await loaded({ aof: o })).toEqual(WANT);
    expect(treeHash(AOF_DIR)).toBe(before);
  });

  it('--preamble: an RDB image as the AOF (aof-base 1), loads with the original digest', async () => {
    const o = path.join(tmp, 'preamble.aof');
    const r = await runCli(['rewrite', '--preamble', '--now', NOW, AOF_DIR, '-o', o]);
    expect(r.code).toBe(0);
    const bytes = fs.readFileSync(o);
    expect(bytes.subarray(0, 5).toString()).toBe('REDIS');
    expect(bytes.includes(Buffer.from('aof-base'))).toBe(true);
    expect(await loaded({ aof: o })).toEqual(WANT);
  });

  for (const preamble of [false, true]) {
    it(`--multipart${preamble ? ' --preamble' : ''}: a complete appendonlydir with a fresh manifest`, async () => {
      const o = path.join(fs.mkdtempSync(path.join(tmp, 'mp-')), 'appendonlydir');
      const r = await runCli(['rewrite', '--multipart', ...(preamble ? ['--preamble'] : []), '--now', NOW, AOF_DIR, '-o', o]);
      expect(r.code).toBe(0);
      const base = preamble ? 'appendonly.aof.1.base.rdb' : 'appendonly.aof.1.base.aof';
      expect(fs.readdirSync(o).sort()).toEqual([base, 'appendonly.aof.1.incr.aof', 'appendonly.aof.manifest']);
      expect(fs.readFileSync(path.join(o, 'appendonly.aof.manifest'), 'utf8')).toBe(`file ${base} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n`);
      expect(await loaded({ aofDir: o })).toEqual(WANT);
    });
  }

  it('an AOF full of overwrites shrinks to one command per key (plus batches), like BGREWRITEAOF', async () => {
    const s = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    let want: Want;
    try {
      for (let i = 0; i < 300; i++) await s.call('SET', `k${i % 10}`, `v${i}`);
      for (let i = 0; i < 100; i++) await s.call('INCR', 'counter');
      for (let i = 0; i < 50; i++) await s.call('RPUSH', 'list', `e${i}`);
      await s.call('LTRIM', 'list', '0', '9');
      want = { digest: await s.digest(), dbsize: await s.keysPerDb() };
      await s.shutdown();
      const o = path.join(tmp, 'shrunk.aof');
      const r = await runCli(['rewrite', s.aofDirPath, '-o', o]);
      expect(r.code).toBe(0);
      const text = fs.readFileSync(o, 'latin1');
      // SELECT, 10 SET, SET counter, one RPUSH with the 10 survivors
      expect((text.match(/^\*/gm) ?? []).length).toBe(1 + 10 + 1 + 1);
      expect(fs.statSync(o).size).toBeLessThan(sizeOfDir(s.aofDirPath) / 5);
      expect(await loaded({ aof: o })).toEqual(want);
    } finally {
      await s.stop();
    }
  });
});

function sizeOfDir(d: string): number {
  return fs.readdirSync(d).reduce((a, f) => a + fs.statSync(path.join(d, f)).size, 0);
}

describe('rewrite: usage and bad input', () => {
  it('an RDB input is refused (exit 2), pointing to convert', async () => {
    const r = await runCli(['rewrite', path.join(FIX, 'redis-7.0/rdb/dump.rdb'), '-o', path.join(tmp, 'x.aof')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rewrite takes an AOF.*convert/);
    expect(fs.existsSync(path.join(tmp, 'x.aof'))).toBe(false);
  });

  it('-o is required (exit 2)', async () => {
    const r = await runCli(['rewrite', AOF_DIR]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--output/);
  });

  it('a damaged AOF: exit 1, nothing written, the input untouched', async () => {
    const p = path.join(tmp, 'damaged.aof');
    const content = '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nDEL\r\nXYZ\r\n';
    fs.writeFileSync(p, content);
    const o = path.join(tmp, 'never.aof');
    const r = await runCli(['rewrite', p, '-o', o]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Nothing was written/);
    expect(fs.existsSync(o)).toBe(false);
    expect(fs.readFileSync(p, 'latin1')).toBe(content);
  });

  it('--json: one document with the sizes', async () => {
    const p = path.join(tmp, 'small.aof');
    fs.writeFileSync(p, '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n2\r\n');
    const o = path.join(tmp, 'small-out.aof');
    const r = await runCli(['--json', 'rewrite', p, '-o', o]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ command: 'rewrite', ok: true, exitCode: 0, keys: 1, bytesBefore: fs.statSync(p).size, bytesAfter: fs.statSync(o).size });
    expect(fs.readFileSync(o, 'latin1')).toBe('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n2\r\n');
  });
});

describe('rewrite and convert of damaged AOFs: a verdict, never a crash', () => {
  it('60 seeded mutations of a real AOF (cuts, bit flips, garbage): exit 0, 1 or 3, no stack trace, output only on success', async () => {
    const src = path.join(FIX, 'redis-7.0/aof-plain/appendonlydir');
    const incr = fs.readdirSync(src).find((f) => f.endsWith('.incr.aof'))!;
    const orig = fs.readFileSync(path.join(src, incr));
    const r = rng(2026);
    const codes = new Map<number, number>();
    for (let i = 0; i < 60; i++) {
      const d = Buffer.from(orig);
      let bytes: Buffer = d;
      const k = i % 3;
      if (k === 0) bytes = d.subarray(0, Math.floor(r() * d.length));
      else if (k === 1) for (let j = 0; j < 1 + Math.floor(r() * 4); j++) d[Math.floor(r() * d.length)]! ^= 1 << Math.floor(r() * 8);
      else {
        const at = Math.floor(r() * d.length);
        bytes = Buffer.concat([d.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 20) }, () => Math.floor(r() * 256))), d.subarray(at)]);
      }
      const p = path.join(tmp, `mut-${i}.aof`);
      fs.writeFileSync(p, bytes);
      for (const [cmd, o] of [
        ['rewrite', path.join(tmp, `mut-${i}-out.aof`)],
        ['convert', path.join(tmp, `mut-${i}-out.rdb`)],
      ] as const) {
        const run = await runCli(cmd === 'rewrite' ? ['rewrite', '--now', NOW, p, '-o', o] : ['convert', '--now', NOW, p, o]);
        expect([0, 1, 3], `${cmd} mutation ${i}: ${run.stderr}`).toContain(run.code);
        expect(run.stderr, `${cmd} mutation ${i}`).not.toMatch(/\n\s+at /);
        expect(fs.existsSync(o), `${cmd} mutation ${i} (exit ${run.code})`).toBe(run.code === 0);
        if (run.code !== 0) expect(run.stderr, `${cmd} mutation ${i}`).toMatch(/offset \d+|Nothing was written/);
        codes.set(run.code, (codes.get(run.code) ?? 0) + 1);
      }
      expect(fs.readFileSync(p).equals(bytes), `input ${i} untouched`).toBe(true);
    }
    // the mutations must reach both verdicts, or the test proves little
    expect(codes.get(0) ?? 0).toBeGreaterThan(0);
    expect(codes.get(1) ?? 0).toBeGreaterThan(0);
  });
});
