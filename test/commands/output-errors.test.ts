// What convert (and the other commands writing to standard output) do when the output cannot
// take the bytes: a full disk, a reader that went away, a conversion that fails after bytes
// went to a pipe. Found by an exploratory test of the built CLI: these were exit 70 ("internal
// error"), a stack trace with exit 1, a silent exit 0, and "Nothing was written." after
// megabytes had gone to standard output.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, repoRoot, startRedis, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';

warnIfNoRedis('output errors');
const BIN = path.join(repoRoot, 'bin', 'redkit');
const RDB70 = path.join(repoRoot, 'fixtures/redis-7.0/rdb/dump.rdb');
const HAVE_DEV_FULL = fs.existsSync('/dev/full');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-output-errors-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** the built CLI with its standard output on `fd` */
function cliTo(fd: number, args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr.toString() };
}

describe('output errors', () => {
  it.skipIf(!HAVE_DEV_FULL)('a full device as the output: exit 2 naming it and the reason, in text and JSON', async () => {
    const r = await runCli(['convert', '--to', 'aof', RDB70, '/dev/full']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('redkit: cannot write /dev/full: ENOSPC: no space left on device, write\n');
    const j = await runCli(['--json', 'convert', '--to', 'aof', RDB70, '/dev/full']);
    expect(j.code).toBe(2);
    expect(j.stderr).toBe('');
    expect(j.json()).toMatchObject({ command: 'convert', ok: false, exitCode: 2, problems: [{ severity: 'error', message: expect.stringMatching(/^cannot write \/dev\/full: ENOSPC/) }] });
  });

  it.skipIf(!HAVE_DEV_FULL)('standard output on a full device: exit 2 and one line, no stack trace (convert and info)', () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      for (const args of [['convert', '--no-progress', '--to', 'aof', RDB70, '-'], ['info', '--no-progress', RDB70]]) {
        const r = cliTo(fd, args);
        expect(r.status, args[0]).toBe(2);
        expect(r.stderr).toBe('redkit: cannot write standard output: ENOSPC: no space left on device, write\n');
      }
    } finally {
      fs.closeSync(fd);
    }
  });

  it('a reader that goes away: exit 141 (as a process killed by SIGPIPE), not a silent 0', async () => {
    // the JSON of the fixture (~270 KB) is more than a pipe holds
    const child = spawn(process.execPath, [BIN, 'convert', '--no-progress', '--to', 'json', RDB70, '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(141);
    expect(err).toBe('');
  });

  it('a multi-part output directory gets the mode the umask gives (mkdtemp made it 0700)', async () => {
    const d = path.join(tmp, 'appendonlydir');
    expect((await runCli(['convert', '-q', '--multipart', RDB70, d])).code).toBe(0);
    expect(fs.statSync(d).mode & 0o777).toBe(0o777 & ~process.umask());
  });

  it('bytes after the RDB image are reported, as check does (Redis ignores them when it loads an RDB)', async () => {
    const f = path.join(tmp, 'trailing.rdb');
    fs.writeFileSync(f, Buffer.concat([fs.readFileSync(RDB70), Buffer.from('JUNKJUNK')]));
    const r = await runCli(['--json', 'convert', f, path.join(tmp, 'trailing.aof')]);
    expect(r.code).toBe(0);
    const doc = r.json() as { problems: { severity: string; offset: number; message: string }[] };
    expect(doc.problems).toEqual([
      { severity: 'warning', file: f, offset: fs.statSync(RDB70).size, message: expect.stringMatching(/^8 bytes follow the end of the RDB image; Redis ignores them/) },
    ]);
  });

  it.skipIf(!redisAvailable())('a conversion that fails after bytes went to standard output says they are incomplete, not "Nothing was written"', async () => {
    const s = await startRedis();
    let rdb: string;
    try {
      await s.call('DEBUG', 'POPULATE', '40000', 'key', '100');
      rdb = path.join(tmp, 'big.rdb');
      fs.copyFileSync(await s.save(), rdb);
    } finally {
      await s.stop();
    }
    const bad = fs.readFileSync(rdb);
    bad[bad.length - 3]! ^= 1; // the CRC-64
    fs.writeFileSync(rdb, bad);
    const out = path.join(tmp, 'partial.aof');
    const fd = fs.openSync(out, 'w');
    let r;
    try {
      r = cliTo(fd, ['convert', '--no-progress', '--to', 'aof', rdb, '-']);
    } finally {
      fs.closeSync(fd);
    }
    const sent = fs.statSync(out).size;
    expect(r.status).toBe(1);
    expect(sent).toBeGreaterThan(0);
    expect(r.stderr).toMatch(new RegExp(`RDB CRC error.*The ${sent} bytes already written to standard output are incomplete\\.\\n$`));
    expect(r.stderr).not.toMatch(/Nothing was written/);
    // a file output is still all or nothing
    const f = await runCli(['convert', '--to', 'aof', rdb, path.join(tmp, 'never.aof')]);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/Nothing was written\.\n$/);
    expect(fs.existsSync(path.join(tmp, 'never.aof'))).toBe(false);
  });
});
