// The oracle for AOF damage: redis-check-aof itself. For damaged copies of an AOF written by
// a real server, `check` must report the same ok_up_to and ok_up_to_line, and agree on valid.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInput } from '../../src/commands/check.js';
import { redisAvailable, startRedis, warnIfNoRedis } from '../helpers/redis-server.js';
import { writeWorkload } from '../helpers/workload.js';
import { rng } from '../helpers/feed.js';

const haveRedis = redisAvailable() && spawnSync('which', ['redis-check-aof']).status === 0;
warnIfNoRedis('check-aof-oracle');

function redisCheckAof(file: string): { okUpTo: number; line: number; valid: boolean } {
  const r = spawnSync('redis-check-aof', [file], { encoding: 'latin1', input: '' });
  const m = /ok_up_to=(\d+), ok_up_to_line=(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`unexpected redis-check-aof output: ${r.stdout}`);
  return { okUpTo: Number(m[1]), line: Number(m[2]), valid: r.status === 0 };
}

async function ours(file: string): Promise<{ okUpTo: number; line: number; valid: boolean }> {
  const rep = await checkInput(file, { progress: false });
  const f = rep.files[rep.files.length - 1]!;
  return { okUpTo: f.okUpTo, line: f.okUpToLine ?? -1, valid: f.valid };
}

describe.skipIf(!haveRedis)('check agrees with redis-check-aof on damaged AOFs', () => {
  let tmp: string;
  let plain: Buffer; // RESP-only AOF written by the server
  let preamble: Buffer; // RDB base + incr, as an old-style single file

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-oracle-'));
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'yes', 'aof-timestamp-enabled': 'yes' } });
    try {
      await writeWorkload(server, 11, 200);
      await server.rewriteAof();
      await writeWorkload(server, 12, 200);
      await server.shutdown();
      const dir = server.aofDirPath;
      const names = fs.readdirSync(dir);
      const incr = names.find((n) => n.endsWith('.incr.aof'))!;
      const base = names.find((n) => n.endsWith('.base.rdb'))!;
      plain = fs.readFileSync(path.join(dir, incr));
      preamble = Buffer.concat([fs.readFileSync(path.join(dir, base)), plain]);
    } finally {
      await server.stop();
    }
    expect(plain.length).toBeGreaterThan(10_000);
  });

  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const cases = (): { name: string; data: Buffer }[] => {
    const r = rng(2024);
    const out: { name: string; data: Buffer }[] = [];
    for (const [label, src] of [
      ['plain', plain],
      ['preamble', preamble],
    ] as const) {
      const rdbEnd = label === 'preamble' ? preamble.length - plain.length : 0;
      out.push({ name: `${label} intact`, data: src });
      for (let i = 0; i < 25; i++) {
        const cut = rdbEnd + 1 + Math.floor(r() * (src.length - rdbEnd - 1));
        out.push({ name: `${label} truncated at ${cut}`, data: src.subarray(0, cut) });
      }
      for (let i = 0; i < 25; i++) {
        const at = rdbEnd + Math.floor(r() * (src.length - rdbEnd));
        const d = Buffer.from(src);
        d[at]! ^= 1 << Math.floor(r() * 8);
        out.push({ name: `${label} bit flip at ${at}`, data: d });
      }
      out.push({ name: `${label} garbage appended`, data: Buffer.concat([src, Buffer.from('\x00\x01garbage\r\n')]) });
      out.push({ name: `${label} half command appended`, data: Buffer.concat([src, Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n')]) });
    }
    // a wrong bulk length and a wrong argument count in the middle
    const text = plain.toString('latin1');
    const bulk = text.indexOf('$', 200);
    out.push({ name: 'wrong bulk length', data: Buffer.from(text.slice(0, bulk + 1) + '9' + text.slice(bulk + 2), 'latin1') });
    const star = text.indexOf('*3\r\n', 200);
    out.push({ name: 'wrong argc', data: Buffer.from(text.slice(0, star) + '*4\r\n' + text.slice(star + 4), 'latin1') });
    return out;
  };

  it('same ok_up_to, ok_up_to_line and verdict on every damaged copy', async () => {
    let n = 0;
    let invalid = 0;
    for (const c of cases()) {
      const file = path.join(tmp, `case-${n++}.aof`);
      fs.writeFileSync(file, c.data);
      const want = redisCheckAof(file);
      const got = await ours(file);
      expect({ case: c.name, ...got }).toEqual({ case: c.name, ...want });
      if (!want.valid) invalid++;
      // the input is never modified by check
      expect(fs.readFileSync(file).equals(c.data)).toBe(true);
    }
    expect(n).toBeGreaterThan(100);
    // the mutations really damage: most truncations and many flips are invalid
    expect(invalid).toBeGreaterThan(50);
  });

  it('a file bigger than a read chunk, damaged early: same size and diff as redis-check-aof', async () => {
    const cmds: Buffer[] = [];
    for (let i = 0; i < 30000; i++) cmds.push(Buffer.from(`*3\r\n$3\r\nSET\r\n$${String(i).length + 1}\r\nk${i}\r\n$100\r\n${'v'.repeat(100)}\r\n`));
    const data = Buffer.concat(cmds);
    const at = cmds.slice(0, 5).reduce((a, c) => a + c.length, 0);
    data[at] = 0x21; // the 6th command starts with '!' instead of '*': a format error
    expect(data.length).toBeGreaterThan(3 << 20);
    const file = path.join(tmp, 'big-early-damage.aof');
    fs.writeFileSync(file, data);
    const want = spawnSync('redis-check-aof', [file], { encoding: 'latin1', input: '' }).stdout;
    const m = /size=(\d+), ok_up_to=(\d+), ok_up_to_line=(\d+), diff=(\d+)/.exec(want)!;
    const rep = await checkInput(file, { progress: false });
    const f = rep.files[0]!;
    expect([f.size, f.okUpTo, f.okUpToLine, f.diff]).toEqual([Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]);
    expect(f.okUpTo).toBe(at);
    expect(f.size).toBe(data.length);
  });
});

