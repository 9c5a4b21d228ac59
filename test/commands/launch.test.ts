// bin/redkit starts convert's transcoding thread before the CLI loads when the command line is
// an RDB -> AOF conversion the thread will serve, and runs a Redis 7.0-7.2 RDB's conversion
// with Node's default heap (src/launch.ts). The guess must follow the CLI's own parsing; a
// thread started for nothing must not keep the process alive; and a run with the early thread
// must write what a run without it writes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { CONVERT_VALUE_OPTIONS, convertPlan, parseConvertLine, wantsTranscodeThread } from '../../src/launch.js';
import { processIO } from '../../src/commands/output.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/redkit');
const RDB = path.join(ROOT, 'fixtures/redis-7.0/rdb/dump.rdb');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-launch-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  delete process.env['REDKIT_TRANSCODE_WORKER_MIN'];
});

describe('the launcher reads a convert command line as the CLI does', () => {
  it("knows exactly which of convert's options take a value, and that global options take none", () => {
    const program = buildProgram(processIO(), () => undefined);
    const convert = program.commands.find((c) => c.name() === 'convert')!;
    const withValue = convert.options.filter((o) => o.required || o.optional).map((o) => o.long);
    expect([...withValue].sort()).toEqual([...CONVERT_VALUE_OPTIONS].sort());
    expect(program.options.filter((o) => o.required || o.optional).map((o) => o.long)).toEqual([]);
  });

  it('separates positionals from options and their values', () => {
    const l = parseConvertLine(['--db', '1', '--to=aof', 'in.rdb', '--lossy', '--key', 'a*', 'out', '--', '-odd']);
    expect(l.positionals).toEqual(['in.rdb', 'out', '-odd']);
    expect(l.options.get('--db')).toBe('1');
    expect(l.options.get('--to')).toBe('aof');
    expect(l.options.get('--key')).toBe('a*');
    expect(l.options.has('--lossy')).toBe(true);
    expect(parseConvertLine(['-', 'out.aof']).positionals).toEqual(['-', 'out.aof']);
  });

  it('wants the thread for a big enough plain RDB to plain AOF, and for nothing else', () => {
    const gz = path.join(tmp, 'dump.rdb.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(RDB)));
    const aof = path.join(ROOT, 'fixtures/redis-7.0/aof-plain/appendonlydir');
    process.env['REDKIT_TRANSCODE_WORKER_MIN'] = '0';
    const yes = (...a: string[]) => expect(wantsTranscodeThread(a, {}), a.join(' ')).toBe(true);
    const no = (...a: string[]) => expect(wantsTranscodeThread(a, {}), a.join(' ')).toBe(false);
    yes('convert', RDB, 'out.aof');
    yes('--json', 'convert', '--no-progress', RDB, 'out.AOF');
    yes('convert', '--to', 'aof', RDB, '-');
    yes('convert', '--db', '0', '--type', 'string', RDB, 'x.aof');
    yes('convert', '--multipart', RDB, 'appendonlydir');
    no('convert', RDB, 'out.json');
    no('convert', RDB, 'out.rdb');
    no('convert', '--to', 'json', RDB, 'out.aof');
    no('convert', '--restore', RDB, 'out.aof');
    no('convert', '--key', 'user:*', RDB, 'out.aof');
    no('convert', '-', 'out.aof');
    no('convert', gz, 'out.aof');
    no('convert', aof, 'out.aof');
    no('convert', path.join(tmp, 'missing.rdb'), 'out.aof');
    no('check', RDB);
    no('convert', RDB);
    expect(wantsTranscodeThread(['convert', RDB, 'out.aof'], { REDKIT_CONVERT_GENERIC: '1' })).toBe(false);
    // below the size that gets a thread
    process.env['REDKIT_TRANSCODE_WORKER_MIN'] = String(fs.statSync(RDB).size + 1);
    no('convert', RDB, 'out.aof');
  });
});

describe('which conversions keep the default heap', () => {
  const shared = path.join(ROOT, 'fixtures/shared/peers');
  const plan = (file: string) => convertPlan(['convert', file, 'out.aof'], {});

  it('a Redis 7.0-7.2 RDB (version 10, 11): every key is copied record by record', () => {
    expect(fs.readFileSync(RDB).subarray(0, 9).toString()).toBe('REDIS0010');
    expect(plan(RDB)?.defaultHeap).toBe(true);
    const v11 = path.join(shared, 'hdt3213/set_listpack.rdb');
    expect(fs.readFileSync(v11).subarray(0, 9).toString()).toBe('REDIS0011');
    expect(plan(v11)?.defaultHeap).toBe(true);
  });

  it('older RDBs (ziplist-era lists) and newer ones (hash field TTLs) are decoded whole: the big heap', () => {
    for (const [f, magic] of [
      ['rdb-tools/redis_50_with_streams.rdb', 'REDIS0009'],
      ['hdt3213/hash_with_hfe.rdb', 'REDIS0012'],
      ['hdt3213/valkey_hash2_with_hfe.rdb', 'VALKEY080'],
    ] as const) {
      const file = path.join(shared, f);
      expect(fs.readFileSync(file).subarray(0, 9).toString()).toBe(magic);
      expect(plan(file), f).toBeDefined();
      expect(plan(file)!.defaultHeap, f).toBe(false);
    }
  });

  it('no plan for other outputs: they decode every key', () => {
    expect(convertPlan(['convert', RDB, 'out.json'], {})).toBeUndefined();
    expect(convertPlan(['convert', '--restore', RDB, 'out.aof'], {})).toBeUndefined();
  });
});

describe('the built CLI with a thread started early', () => {
  const env = { ...process.env, REDKIT_TRANSCODE_WORKER_MIN: '0', NO_COLOR: '1' };

  it('writes what a run that starts its thread late writes, and both use the thread', () => {
    const early = path.join(tmp, 'early.aof');
    const late = path.join(tmp, 'late.aof');
    const a = spawnSync(process.execPath, [BIN, '--json', 'convert', '--no-progress', RDB, early], { env, encoding: 'utf8' });
    const b = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), '--json', 'convert', '--no-progress', RDB, late], { env, encoding: 'utf8' });
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(JSON.parse(a.stdout).transcoder).toBe('thread');
    expect(JSON.parse(b.stdout).transcoder).toBe('thread');
    expect(fs.readFileSync(early).equals(fs.readFileSync(late))).toBe(true);
    expect(fs.statSync(early).size).toBeGreaterThan(0);
  });

  it('a thread nobody claims does not keep the process alive', () => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [BIN, 'convert', '--no-progress', RDB, path.join(tmp, 'no-such-dir', 'out.aof')], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/no-such-dir/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
