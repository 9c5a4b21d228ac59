// The engine holds a whole dataset in the V8 heap. At the heap limit V8 would abort with a
// native stack trace (exit 134); the replay must stop first with a message and exit 3. And
// bin/redkit runs the engine commands with a heap sized to the machine (default Node: ~4 GiB).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/redis-server.js';

const BIN = path.join(repoRoot, 'bin', 'redkit');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-heap-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** an AOF of n SETs of distinct keys with 100-byte values */
function bigAof(n: number): string {
  const p = path.join(tmp, `sets-${n}.aof`);
  const v = 'v'.repeat(100);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = `key:${i}`;
    parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$100\r\n${v}\r\n`);
  }
  fs.writeFileSync(p, parts.join(''));
  return p;
}

describe('the engine and the heap limit', () => {
  it('a dataset bigger than the heap: exit 3 with a message that says what to do, no V8 abort', () => {
    const aof = bigAof(400_000);
    const r = spawnSync(process.execPath, ['--max-old-space-size=48', BIN, 'replay', '--no-progress', aof], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).not.toMatch(/FATAL ERROR|heap out of memory|\n\s+at /);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/does not fit in memory: the engine holds \d+ MiB of Node's \d+ MiB heap limit/);
    expect(r.stderr).toMatch(/max-old-space-size/);
  });

  it('bin/redkit gives engine commands a heap sized to the machine, and passes exit codes through', () => {
    const fixture = path.join(repoRoot, 'fixtures/redis-7.0/aof-plain/appendonlydir');
    const want = JSON.parse(fs.readFileSync(path.join(repoRoot, 'fixtures/redis-7.0/aof-plain/expected.json'), 'utf8')) as { digest: string };
    const ok = spawnSync(process.execPath, [BIN, 'digest', '--digest-compat', '7.0', '--now', '1700000000000', fixture], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(want.digest + '\n');
    const bad = spawnSync(process.execPath, [BIN, 'replay', path.join(tmp, 'missing.aof')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    // the limit the respawned process runs with (the engine reports nothing about it: ask node)
    const probe = path.join(tmp, 'probe.mjs');
    fs.writeFileSync(probe, "import v8 from 'node:v8'; console.log(v8.getHeapStatistics().heap_size_limit);");
    const def = Number(spawnSync(process.execPath, [probe], { encoding: 'utf8' }).stdout);
    const wantMiB = Math.floor((os.totalmem() / 1048576) * 0.75);
    if (wantMiB > (def / 1048576) * 1.25) {
      const withLimit = Number(spawnSync(process.execPath, [`--max-old-space-size=${wantMiB}`, probe], { encoding: 'utf8' }).stdout);
      expect(withLimit).toBeGreaterThan(def);
    }
  });
});
