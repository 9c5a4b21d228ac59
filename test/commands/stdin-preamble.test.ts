// An RDB-preamble AOF on standard input: no name tells it from an RDB (both start with
// REDIS), so what follows the RDB image decides. Its commands used to be ignored as "bytes
// Redis ignores after an RDB": digest printed an empty dataset, check called a damaged tail
// valid.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdbWriter } from '../../src/codec/rdb-writer.js';

const BIN = path.resolve(__dirname, '../../dist/cli.js');
const FIX = path.resolve(__dirname, '../../fixtures');
// written by Redis 6.2.16 (aof-use-rdb-preamble yes), with the DEBUG DIGEST it printed
const PRE = path.join(FIX, 'shared/servers/redis-6.2.16/aof-preamble-yes/appendonly.aof');
const expected = (JSON.parse(fs.readFileSync(`${PRE}.expected.json`, 'utf8')) as { expected: { digest: string } }).expected;
// before the fixture's TTLs run out (it holds expiries days after it was written)
const NOW = '1795000000000';
const RDB = path.join(FIX, 'redis-7.0/rdb/dump.rdb');

const run = (args: string[], input: Buffer) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 26 });

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-stdin-pre-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('an RDB-preamble AOF on standard input', () => {
  const bytes = fs.readFileSync(PRE);

  it('replay - gives the digest Redis 6.2 printed (the AOF tail is applied)', () => {
    const r = run(['replay', '--no-progress', '--digest-compat', '6.2', '--now', NOW, '-'], bytes);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`digest: ${expected.digest}`);
    const fromFile = run(['replay', '--no-progress', '--digest-compat', '6.2', '--now', NOW, PRE], Buffer.alloc(0));
    expect(r.stdout).toMatch(/^replayed - \(aof\) into memory$/m);
    expect(r.stdout.replace(/^replayed .*$/m, '')).toBe(fromFile.stdout.replace(/^replayed .*$/m, ''));
  });

  it('check - reads it as redis-check-aof reads the file: preamble, then the tail', () => {
    const r = run(['check', '-'], bytes);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/RDB preamble is OK, proceeding with AOF tail/);
    expect(r.stdout).toMatch(/AOF - is valid/);
    const j = JSON.parse(run(['--json', 'check', '-'], bytes).stdout) as { kind: string; files: { role: string }[]; stats: { commands: number } };
    expect(j.kind).toBe('aof');
    expect(j.files[0]!.role).toBe('aof');
    expect(j.stats.commands).toBeGreaterThan(0);
  });

  it('check - of a damaged tail: exit 1 at the offset redis-check-aof names', () => {
    const text = bytes.toString('latin1');
    const at = text.lastIndexOf('*3\r\n$3\r\nSET\r\n');
    expect(at).toBeGreaterThan(0);
    const damaged = Buffer.from(bytes);
    damaged[at + 13] = 0x67; // '$' of the key's length header -> 'g'
    const r = run(['check', '-'], damaged);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/is not valid/);
    const f = path.join(tmp, 'damaged.aof');
    fs.writeFileSync(f, damaged);
    const okUpTo = /ok_up_to=(\d+)/.exec(run(['check', f], Buffer.alloc(0)).stdout)![1];
    expect(r.stdout).toMatch(new RegExp(`ok_up_to=${okUpTo},`));
  });

  it('a tail whose first bytes are cut by a read-chunk boundary is still seen as commands', () => {
    // an RDB image ending 2 bytes before 1 MiB (the chunk size), then `*1\r\n$4\r\nPING\r\n`
    // random bytes: LZF cannot shorten them, so the image grows byte for byte with `pad`
    let x = 12345;
    const noise = Buffer.alloc(1 << 20, 0).map(() => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24));
    const image = (pad: number): Buffer => {
      const w = new RdbWriter({ version: 10 });
      w.header();
      w.aux('pad', noise.subarray(0, pad));
      w.end();
      return w.take();
    };
    const target = (1 << 20) - 2;
    let pad = target - image(0).length;
    while (image(pad).length > target) pad--;
    const rdb = image(pad);
    expect(rdb.length).toBe(target);
    const r = run(['--json', 'check', '-'], Buffer.concat([rdb, Buffer.from('*1\r\n$4\r\nPING\r\n')]));
    const j = JSON.parse(r.stdout) as { kind: string; stats: { commands: number } };
    expect(r.status).toBe(0);
    expect(j.kind).toBe('aof');
    expect(j.stats.commands).toBe(1);
  });

  it('digest - and convert - refuse it (exit 3) instead of ignoring the commands', () => {
    const d = run(['digest', '-'], bytes);
    expect(d.status).toBe(3);
    expect(d.stderr).toMatch(/RDB-preamble AOF/);
    expect(d.stdout).not.toMatch(/^0{40}/m);
    const out = path.join(tmp, 'o.jsonl');
    const c = run(['convert', '--no-progress', '-', out], bytes);
    expect(c.status).toBe(3);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a plain RDB on standard input is still an RDB (digest as from the file)', () => {
    const rdb = fs.readFileSync(RDB);
    const a = run(['digest', '--now', '1700000000000', '-'], rdb);
    const b = run(['digest', '--now', '1700000000000', RDB], Buffer.alloc(0));
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe('info - on an AOF', () => {
  it('says the keys are not counted (a second pass is impossible) instead of failing', () => {
    const r = run(['info', '-'], Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SET\s+1/);
    expect(r.stdout + r.stderr).toMatch(/keys are not counted: .*standard input cannot give/);
  });
});
