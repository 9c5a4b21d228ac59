// check's verdict lines must never say "valid" / "OK" for what Redis would refuse: an RDB
// base (or preamble) whose checksum does not match, and a manifest Redis cannot parse; and a
// compressed input cut short is an error message, not a silent exit 1.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import lz4js from 'lz4js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { keysOf, readRdbItems, withCrc, withLastSelectDb } from '../helpers/rdb.js';

const FIX = path.resolve(__dirname, '../../fixtures');
const AOF_DIR = path.join(FIX, 'redis-7.0/aof-preamble-yes/appendonlydir');
const haveCheckAof = spawnSync('which', ['redis-check-aof']).status === 0;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-check-preamble-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('check: an RDB base that fails only its checksum, a manifest Redis refuses', () => {
  it('base checksum mismatch: "not sane", exit 1, ok_up_to 0 for the base (as redis-check-aof says)', async () => {
    const dir = path.join(tmp, 'crc');
    fs.cpSync(AOF_DIR, dir, { recursive: true });
    const base = path.join(dir, fs.readdirSync(dir).find((f) => f.includes('.base.rdb'))!);
    const b = fs.readFileSync(base);
    b[b.length - 1]! ^= 0x55; // the last byte of the stored CRC-64
    fs.writeFileSync(base, b);
    const r = await runCli(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/RDB CRC error/);
    expect(r.stdout).toMatch(/RDB preamble of AOF file is not sane, aborting\./);
    expect(r.stdout).not.toMatch(/preamble is OK/);
    expect(r.stdout).not.toMatch(/All AOF files and manifest are valid/);
    const j = (await runCli(['--json', 'check', dir])).json() as { files: { path: string; okUpTo: number; diff: number; size: number; valid: boolean }[] };
    const fb = j.files.find((f) => f.path === base)!;
    expect(fb).toMatchObject({ valid: false, okUpTo: 0, diff: fb.size });
    if (haveCheckAof) {
      const ref = spawnSync('redis-check-aof', [path.join(dir, 'appendonly.aof.manifest')], { encoding: 'latin1', input: '' });
      expect(ref.status).toBe(1);
      expect(ref.stdout).toMatch(/RDB preamble of AOF file is not sane/);
    }
  });

  it('a manifest with an unknown file type: no "valid" line, exit 1', async () => {
    const dir = path.join(tmp, 'manifest');
    fs.cpSync(AOF_DIR, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'appendonly.aof.manifest'), 'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type x\n');
    const r = await runCli(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/are valid/);
    expect(r.stderr).toMatch(/Unknown AOF file type/);
  });
});

describe('check: a compressed input cut short', () => {
  it('a truncated .gz AOF: exit 1 with the gzip error and its offset on stderr', async () => {
    const aof = fs.readFileSync(path.join(FIX, 'shared/servers/redis-6.2.16/aof-preamble-no/appendonly.aof'));
    const gz = zlib.gzipSync(aof);
    const f = path.join(tmp, 'cut.aof.gz');
    fs.writeFileSync(f, gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await runCli(['check', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`error: .*cut\\.aof\\.gz: \\[offset ${Math.floor(gz.length / 2)}\\] gzip: unexpected end`));
  });
});

describe('check: a compressed RDB cut short', () => {
  const RDB = path.join(FIX, 'redis-7.0/rdb/dump.rdb');

  it('a truncated .gz RDB: the header and the keys before the cut are reported, then the gzip error', async () => {
    const gz = zlib.gzipSync(fs.readFileSync(RDB));
    const f = path.join(tmp, 'cut.rdb.gz');
    fs.writeFileSync(f, gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await runCli(['check', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/RDB version 10\b/);
    expect(r.stdout).toMatch(/gzip: unexpected end of compressed data/);
    const j = (await runCli(['--json', 'check', f])).json() as { kind: string; files: { rdbVersion: number | null }[]; stats: { keys: number } };
    expect(j.kind).toBe('rdb');
    expect(j.files[0]!.rdbVersion).toBe(10);
    expect(j.stats.keys).toBeGreaterThan(0);
  });

  it('a one-block .lz4 RDB cut before its block ends: kind rdb (by name), no made-up version', async () => {
    const lz = Buffer.from(lz4js.compress(fs.readFileSync(RDB)));
    const f = path.join(tmp, 'cut.rdb.lz4');
    fs.writeFileSync(f, lz.subarray(0, Math.floor(lz.length / 2)));
    const r = await runCli(['check', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/RDB version/);
    expect(r.stdout).toMatch(/lz4: unexpected end of compressed data/);
    const j = (await runCli(['--json', 'check', f])).json() as { kind: string; files: { rdbVersion: number | null }[] };
    expect(j.kind).toBe('rdb');
    expect(j.files[0]!.rdbVersion).toBeNull();
    const info = await runCli(['info', f]);
    expect(info.code).toBe(1);
    expect(info.stdout).toMatch(/RDB \?/);
    expect(info.stdout).not.toMatch(/RDB 0/);
  });
});

describe('check: an empty command (*0)', () => {
  it('redis-check-aof passes it, Redis refuses the file: exit 1, no plain "is valid", not counted as a command', async () => {
    const f = path.join(tmp, 'zero.aof');
    fs.writeFileSync(f, '*0\r\n*1\r\n$4\r\nPING\r\n');
    const r = await runCli(['check', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ok_up_to=18,/);
    expect(r.stdout).toMatch(/is valid for redis-check-aof, but Redis will not load it/);
    expect(r.stdout).not.toMatch(/zero\.aof is valid$/m);
    expect(r.stderr).toMatch(/\[offset 0\] a command with 0 arguments: Redis refuses to load it/);
    const j = (await runCli(['--json', 'check', f])).json() as { stats: { commands: number; commandsByName: Record<string, number> } };
    expect(j.stats).toMatchObject({ commands: 1, commandsByName: { PING: 1 } });
    if (haveCheckAof) expect(spawnSync('redis-check-aof', [f], { encoding: 'latin1' }).stdout).toMatch(/is valid/);
  });
});

describe('check: an RDB that selects a db the server does not have', () => {
  it('SELECTDB 16 with 16 databases: exit 1 and no "looks OK" (Redis stops with FATAL); --databases 17 accepts it', async () => {
    const f = path.join(tmp, 'db16.rdb');
    fs.writeFileSync(f, withLastSelectDb(fs.readFileSync(path.join(FIX, 'redis-7.0/rdb/dump.rdb')), 16));
    const r = await runCli(['check', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/looks OK/);
    expect(r.stdout).toMatch(/Redis will not load it/);
    expect(r.stderr).toMatch(/SELECTDB 16: a Redis with 16 databases refuses to load this file/);
    expect((await runCli(['check', '--databases', '17', f])).code).toBe(0);
    // info shows the file without judging it: a warning
    const info = await runCli(['info', f]);
    expect(info.code).toBe(0);
    expect(info.stdout + info.stderr).toMatch(/SELECTDB 16/);
  });
});

describe('check: an empty file', () => {
  it('named .rdb: exit 1 (Redis refuses it, as redis-check-rdb does); named .aof: an empty, valid AOF', async () => {
    const rdb = path.join(tmp, 'empty.rdb');
    const aof = path.join(tmp, 'empty.aof');
    fs.writeFileSync(rdb, '');
    fs.writeFileSync(aof, '');
    const r = await runCli(['check', rdb]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Checking RDB file empty\.rdb/);
    expect((await runCli(['digest', rdb])).code).toBe(1);
    const a = await runCli(['check', aof]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/AOF empty\.aof is empty/);
  });
});

describe('check: an unknown type byte in an RDB', () => {
  /** `rdb` with the type byte of its first key without prefix opcodes set to 193 (CRC fixed, or left stale) */
  function flipType(rdb: string, fixCrc: boolean): string {
    const bytes = fs.readFileSync(rdb);
    const k = keysOf(readRdbItems(bytes)).find((e) => e.expireMs === -1 && bytes[e.offset]! < 0xf0)!;
    const b = Buffer.from(bytes);
    b[k.offset] = 193;
    const f = path.join(tmp, `type193-${path.basename(path.dirname(path.dirname(rdb)))}-${fixCrc}.rdb`);
    fs.writeFileSync(f, fixCrc ? withCrc(b.subarray(0, b.length - 8)) : b);
    return f;
  }

  it('in an RDB 10 file: damage (exit 1), checksum or not: RDB 10 will never gain a type', async () => {
    for (const fix of [true, false]) {
      const r = await runCli(['check', flipType(path.join(FIX, 'redis-7.0/rdb/dump.rdb'), fix)]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/Unknown RDB object type 193 .*RDB 10 is a finished format/);
    }
  });

  it('in an RDB 12 file (the newest): a newer server (exit 3) when the checksum matches, damage (exit 1) when not', async () => {
    const rdb12 = path.join(FIX, 'shared/servers/redis-7.4.1/rdb/dump.rdb');
    const newer = await runCli(['check', flipType(rdb12, true)]);
    expect(newer.code).toBe(3);
    expect(newer.stdout).toMatch(/written by a newer server\?/);
    const damaged = await runCli(['check', flipType(rdb12, false)]);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toMatch(/checksum does not match its bytes either/);
  });
});

describe('check: a type newer than the RDB version in the header', () => {
  it('the 7.4 file relabelled REDIS0010: a warning naming the type and the versions (Redis 7.0 refuses it, 7.4 loads it)', async () => {
    const b = Buffer.from(fs.readFileSync(path.join(FIX, 'shared/servers/redis-7.4.1/rdb/dump.rdb')));
    b.write('0010', 5, 'latin1');
    const f = path.join(tmp, 'v10-with-v12-types.rdb');
    fs.writeFileSync(f, withCrc(b.subarray(0, b.length - 8)));
    const j = (await runCli(['--json', 'check', f])).json() as { problems: { severity: string; message: string }[] };
    const w = j.problems.filter((p) => /first appeared in RDB/.test(p.message));
    expect(w.length).toBeGreaterThan(0);
    expect(w.every((p) => p.severity === 'warning')).toBe(true);
    expect(w.map((p) => p.message).join('\n')).toMatch(/RDB type 2[45] .*first appeared in RDB 12 \(Redis 7\.4\), but this file says RDB 10/);
    // the file as the server wrote it: no such warning
    const orig = (await runCli(['--json', 'check', path.join(FIX, 'shared/servers/redis-7.4.1/rdb/dump.rdb')])).json() as { problems: { message: string }[] };
    expect(orig.problems.some((p) => /first appeared/.test(p.message))).toBe(false);
  });
});

describe('check - -', () => {
  it('standard input twice is a usage error (the second read would be empty and "valid")', async () => {
    const r = await runCli(['check', '-', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at most once/);
    expect(r.stdout).not.toMatch(/is empty|is valid/);
  });
});

describe('check: a MULTI left open at the end', () => {
  // redis-check-aof prints the offset where its last read started (the last argument's bytes,
  // or the '*' line of an empty command), not the end of the file
  const cases: [string, number][] = [
    ['*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n', 0x20],
    ['*1\r\n$5\r\nMULTI\r\n', 0x8],
    ['*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n*0\r\n', 0x26],
  ];
  it('the 0x offset of "Reached EOF before reading EXEC for MULTI" is redis-check-aof\'s', async () => {
    for (const [text, want] of cases) {
      const f = path.join(tmp, `open-multi-${want}.aof`);
      fs.writeFileSync(f, text, 'latin1');
      const r = await runCli(['check', f]);
      expect(r.code).toBe(1);
      const line = `0x${want.toString(16).padStart(16, ' ')}: Reached EOF before reading EXEC for MULTI`;
      expect(r.stdout).toContain(line);
      if (haveCheckAof) expect(spawnSync('redis-check-aof', [f], { encoding: 'latin1', input: '' }).stdout).toContain(line);
    }
  });
});

describe('numeric options out of range are usage errors (exit 2)', () => {
  it('--databases below 1, --top below 0', async () => {
    const rdb = path.join(FIX, 'redis-7.0/rdb/dump.rdb');
    for (const args of [['check', '--databases', '0', rdb], ['check', '--databases', '-1', rdb], ['replay', '--databases', '0', rdb], ['info', '--top', '-1', rdb]]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/takes an integer of at least/);
    }
    // the smallest value the file fits is accepted (it selects dbs up to 15; with fewer, Redis refuses it)
    expect((await runCli(['check', '--databases', '16', rdb])).code).toBe(0);
    expect((await runCli(['check', '--databases', '15', rdb])).code).toBe(1);
  });
});
