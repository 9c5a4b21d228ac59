// The RDB checksum computed on a second thread (io/crc.ts) runs only from the built CLI (the
// worker is a compiled file): these tests drive dist through bin/redkit with the size
// threshold at 0, on a good file, a file whose checksum does not match, and with convert.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/redkit');
const RDB = path.join(ROOT, 'fixtures/redis-7.0/rdb/dump.rdb');

function redkit(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, REDKIT_PARALLEL_CRC_MIN: '0', NO_COLOR: '1' } });
}

describe('checksum on a worker thread (built CLI)', () => {
  it('the worker file is built', () => {
    expect(fs.existsSync(path.join(ROOT, 'dist/io/crc-worker.js'))).toBe(true);
  });

  it('a good file: Checksum OK, exit 0, same report as without the worker', () => {
    const r = redkit(['--json', 'check', RDB]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { files: { checksum: string }[] };
    expect(doc.files[0]!.checksum).toBe('ok');
    const inThread = spawnSync(process.execPath, [BIN, '--json', 'check', RDB], { encoding: 'utf8', env: { ...process.env, REDKIT_PARALLEL_CRC_MIN: '1000000000000' } });
    expect(JSON.parse(inThread.stdout)).toEqual(doc);
  });

  it('a flipped bit in the data or the stored checksum: exit 1 with the CRC error; convert writes nothing', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-crcw-'));
    try {
      const src = fs.readFileSync(RDB);
      for (const at of [2000, src.length - 2]) {
        const d = Buffer.from(src);
        d[at]! ^= 0x10;
        const f = path.join(tmp, `bad-${at}.rdb`);
        fs.writeFileSync(f, d);
        const r = redkit(['check', f]);
        expect(r.status).toBe(1);
        expect(r.stdout + r.stderr).toMatch(/CRC error|checksum/i);
        const out = path.join(tmp, `out-${at}.aof`);
        const c = redkit(['convert', f, out]);
        expect(c.status).toBe(1);
        expect(fs.existsSync(out)).toBe(false);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
