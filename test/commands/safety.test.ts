// The confirmation prompt of the commands that change a user's file (--fix & co.).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promptStdin } from '../../src/commands/safety.js';

const BIN = path.resolve(__dirname, '../../dist/cli.js');
const havePython = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-safety-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('promptStdin', () => {
  it('resolves with the line typed (it used to resolve "" on close, before the answer)', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const p = promptStdin('Go? [y/N]: ', input, output);
    input.write('y\n');
    expect(await p).toBe('y');
  });

  it('resolves "" when the input ends without an answer', async () => {
    const input = new PassThrough();
    const p = promptStdin('Go? [y/N]: ', input, new PassThrough());
    input.end();
    expect(await p).toBe('');
  });
});

// On a real terminal (a pseudo-terminal from Python's pty module): answering y repairs the
// file, answering n leaves it as it was.
describe.runIf(havePython)('check --fix on a terminal', () => {
  const good = '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n';
  const runOnPty = (file: string, answer: string): { out: string; code: number } => {
    const script = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
deadline = time.time() + 20
while time.time() < deadline and b'[y/N]' not in out:
    out += os.read(fd, 4096)
os.write(fd, sys.stdin.buffer.read() + b'\\r')
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode('latin1'))
sys.exit(os.waitstatus_to_exitcode(st))
`;
    const r = spawnSync('python3', ['-c', script, process.execPath, BIN, 'check', '--fix', file], { input: answer, encoding: 'latin1', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    return { out: r.stdout, code: r.status ?? -1 };
  };

  it('y: the file is cut at its last complete command, a backup is made', () => {
    const f = path.join(tmp, 'yes.aof');
    fs.writeFileSync(f, good + '*3\r\n$3\r\nSET\r\n$1\r\nb');
    const r = runOnPty(f, 'y');
    expect(r.out).toMatch(/\[y\/N\]/);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(f, 'latin1')).toBe(good);
    expect(fs.readdirSync(tmp).some((n) => n.startsWith('yes.aof.') && n.endsWith('.bak'))).toBe(true);
  });

  it('n: nothing changes, exit 4', () => {
    const f = path.join(tmp, 'no.aof');
    const damaged = good + '*3\r\n$3\r\nSET\r\n$1\r\nb';
    fs.writeFileSync(f, damaged);
    const r = runOnPty(f, 'n');
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/nothing was changed/);
    expect(fs.readFileSync(f, 'latin1')).toBe(damaged);
  });
});
