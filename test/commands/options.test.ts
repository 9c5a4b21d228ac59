// Option and path validation across commands: a mistake in a script (an unset variable, a
// negative number) is a usage error (exit 2) before anything is read or written, never an
// internal error (70) or a silent empty result.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
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

describe('an output path the kernel cannot write as given', () => {
  it.each([
    ['a trailing slash', 'out.json/', /names a directory/],
    ['a missing directory then ..', 'nosuchdir/../out.json', /nosuchdir\/\.\. is not an existing directory/],
  ])('%s: exit 2 (it was exit 70 after writing a temp file), nothing left behind', async (_what, out, msg) => {
    const r = await runCli(['convert', '--no-progress', '--to', 'json', RDB, out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
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

  it('an integer option beyond 2^53 is exit 2 (it became another number: --now 9007199254740993 was ...992)', async () => {
    const out = path.join(tmp, 'x.aof');
    for (const [opt, v] of [['--db', '99999999999999999999'], ['--now', '9007199254740993']]) {
      const r = await runCli(['convert', '--no-progress', opt!, v!, RDB, out]);
      expect(r.code, opt).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${opt} takes an integer of at most 9007199254740991 in size, not ${v}`));
    }
    expect(fs.existsSync(out)).toBe(false);
    expect((await runCli(['convert', '--no-progress', '--now', '9007199254740991', RDB, out])).code).toBe(0);
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

describe('an output that is not a regular file', () => {
  it('a FIFO gets the bytes and stays a FIFO (a file was renamed over it, the reader got nothing)', async () => {
    const fifo = path.join(tmp, 'out.fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo: nothing to test here
    try {
      const got: Buffer[] = [];
      const reading = new Promise<void>((resolve, reject) => {
        fs.createReadStream(fifo).on('data', (b) => got.push(b as Buffer)).on('end', resolve).on('error', reject);
      });
      const r = await runCli(['convert', '--no-progress', '--to', 'aof', RDB, fifo]);
      await reading;
      expect(r.code).toBe(0);
      expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
      const file = path.join(tmp, 'same.aof');
      expect((await runCli(['convert', '--no-progress', RDB, file])).code).toBe(0);
      expect(Buffer.concat(got).equals(fs.readFileSync(file))).toBe(true);
    } finally {
      fs.rmSync(fifo, { force: true });
      fs.rmSync(path.join(tmp, 'same.aof'), { force: true });
    }
  });

  it('a character device (as root: a private /dev/null made with mknod) stays a device', async () => {
    const dev = path.join(tmp, 'null');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status !== 0) return; // not root
    try {
      const r = await runCli(['convert', '--no-progress', '--to', 'aof', RDB, dev]);
      expect(r.code).toBe(0);
      expect(fs.lstatSync(dev).isCharacterDevice()).toBe(true);
    } finally {
      fs.rmSync(dev, { force: true });
    }
  });

  it("a symlink: its target is replaced and the link stays; a dangling one is exit 2", async () => {
    const real = path.join(tmp, 'real.aof');
    const link = path.join(tmp, 'link.aof');
    fs.writeFileSync(real, 'old');
    fs.symlinkSync(real, link);
    try {
      const r = await runCli(['convert', '--no-progress', RDB, link]);
      expect(r.code).toBe(0);
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readFileSync(real, 'latin1')).toMatch(/^\*2\r\n\$6\r\nSELECT/);
      fs.rmSync(real);
      const d = await runCli(['convert', '--no-progress', RDB, link]);
      expect(d.code).toBe(2);
      expect(d.stderr).toMatch(/symbolic link to a file that does not exist/);
    } finally {
      fs.rmSync(link, { force: true });
      fs.rmSync(real, { force: true });
    }
  });
});

describe('standard output by name, and process substitution', () => {
  const BIN = path.resolve(__dirname, '../../dist/cli.js');
  const dash = () => spawnSync(process.execPath, [BIN, 'convert', '--no-progress', '--to', 'json', RDB, '-'], { maxBuffer: 1 << 26 });

  it('/dev/stdout to a pipe is written as -, and appending to a file keeps what it held', () => {
    const want = dash();
    expect(want.status).toBe(0);
    const r = spawnSync(process.execPath, [BIN, 'convert', '--no-progress', '--to', 'json', RDB, '/dev/stdout'], { maxBuffer: 1 << 26 });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.equals(want.stdout)).toBe(true);
    const log = path.join(tmp, 'log.txt');
    fs.writeFileSync(log, 'prior\n');
    const a = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" convert --no-progress --to json "${RDB}" /dev/stdout >> "${log}"`]);
    expect(a.status, a.stderr.toString()).toBe(0);
    expect(fs.readFileSync(log).equals(Buffer.concat([Buffer.from('prior\n'), want.stdout]))).toBe(true);
    fs.rmSync(log);
  });

  it('>(command): the pipe behind /dev/fd/N gets the bytes (it was "a symbolic link to a file that does not exist")', () => {
    const out = path.join(tmp, 'via-pipe.json');
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" convert --no-progress --to json "${RDB}" >(cat > "${out}"); wait`]);
    expect(r.status, r.stderr.toString()).toBe(0);
    for (let i = 0; i < 50 && !(fs.existsSync(out) && fs.statSync(out).size === dash().stdout.length); i++) spawnSync('sleep', ['0.1']);
    expect(fs.readFileSync(out).equals(dash().stdout)).toBe(true);
    fs.rmSync(out);
  });
});

