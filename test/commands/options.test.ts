// Option and path validation across commands: a mistake in a script (an unset variable, a
// negative number) is a usage error (exit 2) before anything is read or written, never an
// internal error (70) or a silent empty result.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const FIX = path.resolve(__dirname, '../../fixtures');
const RDB = path.join(FIX, 'redis-7.0/rdb/dump.rdb');
const AOF_DIR = path.join(FIX, 'redis-7.0/aof-plain/appendonlydir');

let tmp: string;
let cwd: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-options-'));
  cwd = process.cwd();
  process.chdir(tmp); // a temp file for '' would land here
});
afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('an empty output path', () => {
  it.each([
    ['convert', ['convert', '--no-progress', '--to', 'aof', RDB, '']],
    ['convert --multipart', ['convert', '--no-progress', '--multipart', RDB, '']],
    ['rewrite -o', ['rewrite', '--no-progress', AOF_DIR, '-o', '']],
  ])('%s: exit 2, nothing written', async (_name, args) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/output path .*is empty/);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('numbers and targets', () => {
  it('convert --db -1: exit 2 (it converted nothing, exit 0)', async () => {
    const out = path.join(tmp, 'x.aof');
    const r = await runCli(['convert', '--no-progress', '--db', '-1', RDB, out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--db takes an integer of at least 0/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('replay --to <server URL> is a target this version does not have: exit 3; a made-up target: exit 2', async () => {
    const a = await runCli(['replay', '--to', 'redis://127.0.0.1:1', RDB]);
    expect(a.code).toBe(3);
    expect(a.stderr).toMatch(/not supported yet/);
    expect(a.stderr).not.toMatch(/offset -1/);
    const b = await runCli(['replay', '--to', 'somewhere', RDB]);
    expect(b.code).toBe(2);
  });
});

describe('the JSON report of a command that fails before it starts', () => {
  it('names the command (it said "redkit")', async () => {
    const r = await runCli(['--json', 'replay', '--to', 'redis://127.0.0.1:1', RDB]);
    expect(r.code).toBe(3);
    expect(r.json()).toMatchObject({ command: 'replay', ok: false, exitCode: 3 });
    const c = await runCli(['--json', 'convert', '--no-progress', '--db', '-1', RDB, path.join(tmp, 'y.aof')]);
    expect(c.json()).toMatchObject({ command: 'convert', ok: false, exitCode: 2 });
  });
});
