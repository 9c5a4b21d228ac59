// undo-flushall: an empty -o, -o inside the input, a flush in an earlier INCR file (a rewrite
// that never finished), a flush that erased nothing, and the JSON document (planned changes,
// the command's own name on refusals). Inputs are written by a real Redis 7.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedState, redisAvailable, startRedis, warnIfNoRedis, type ExistingFiles, type RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';

warnIfNoRedis('undo-flushall-bugs');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-undo-bugs-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh server with appendonly on (its base.1 is empty, as on a first start). */
function aofServer(config: Record<string, string> = {}): Promise<RedisServer> {
  return startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'yes', ...config } });
}

/** Run `fill` on a fresh appendonly server, stop it and copy its appendonlydir out. */
async function aofDirAfter(fill: (s: RedisServer) => Promise<void>, config: Record<string, string> = {}): Promise<string> {
  const server = await aofServer(config);
  try {
    await fill(server);
    await server.shutdown();
    const d = path.join(fs.mkdtempSync(path.join(tmp, 'aof-')), 'appendonlydir');
    fs.cpSync(server.aofDirPath, d, { recursive: true });
    return d;
  } finally {
    await server.stop();
  }
}

/** A single-file AOF (base + incr, like a Redis 6 appendonly.aof) from a multi-part dir. */
function singleFrom(dir: string): string {
  const names = fs.readdirSync(dir);
  const base = names.find((x) => x.includes('.base.'))!;
  const incrs = names.filter((x) => x.endsWith('.incr.aof')).sort();
  const f = path.join(fs.mkdtempSync(path.join(tmp, 'single-')), 'appendonly.aof');
  fs.writeFileSync(f, Buffer.concat([base, ...incrs].map((n) => fs.readFileSync(path.join(dir, n)))));
  return f;
}

/** Every file under a path (recursively) with its bytes, to prove nothing changed. */
function snapshot(p: string): [string, string][] {
  if (fs.statSync(p).isFile()) return [[p, fs.readFileSync(p).toString('hex')]];
  return (fs.readdirSync(p, { recursive: true }) as string[])
    .sort()
    .map((f) => [f, fs.statSync(path.join(p, f)).isFile() ? fs.readFileSync(path.join(p, f)).toString('hex') : 'dir']);
}

const digestOf = async (files: ExistingFiles): Promise<string> => (await loadedState(files)).digest;

describe.skipIf(!redisAvailable())('undo-flushall bugs', () => {
  it('bug 1: -o "" (an unset $OUT) is a usage error (exit 2); the input is not edited, no backup is made', async () => {
    const dir = await aofDirAfter(async (s) => {
      await s.call('SET', 'k1', 'v1');
      await s.call('FLUSHALL');
    }, { 'aof-use-rdb-preamble': 'no' });
    const single = singleFrom(dir);
    const before = snapshot(path.dirname(single));
    for (const input of [single, dir]) {
      const run = await runCli(['undo-flushall', '-o', '', '--yes', input]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/-o\/--output needs a path/);
      expect(run.stdout).not.toMatch(/Removed/);
    }
    expect(snapshot(path.dirname(single))).toEqual(before);
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.bak'))).toBe(false);
    const json = await runCli(['--json', 'undo-flushall', '-o', '', '--dry-run', single]);
    expect(json.code).toBe(2);
    expect(json.json()['exitCode']).toBe(2);
  });

  it('bug 2: -o inside the input directory, the directory itself, or a directory holding it: exit 2, nothing written', async () => {
    const dir = await aofDirAfter(async (s) => {
      await s.call('SET', 'a', '1');
      await s.call('FLUSHALL');
    });
    const parent = path.dirname(dir);
    const link = path.join(parent, 'link');
    fs.symlinkSync(dir, link);
    const before = snapshot(parent);
    for (const out of [path.join(dir, 'sub'), dir, parent, path.join(link, 'sub')]) {
      const run = await runCli(['undo-flushall', '--yes', '-o', out, dir]);
      expect(run.code, out).toBe(2);
      expect(run.stderr).toMatch(/the output must not (be|contain)/);
      expect(run.stderr).not.toMatch(/internal error|ENAMETOOLONG|\n\s+at /);
    }
    // the input named through the symlink, the output through the real path
    const viaLink = await runCli(['undo-flushall', '--yes', '-o', path.join(dir, 'x'), link]);
    expect(viaLink.code).toBe(2);
    expect(snapshot(parent)).toEqual(before);
    // a copy next to it is still fine
    const inputBefore = snapshot(dir);
    const ok = await runCli(['undo-flushall', '--yes', '-o', path.join(parent, 'restored'), dir]);
    expect(ok.code).toBe(0);
    expect(snapshot(dir)).toEqual(inputBefore);
  });

  it('bug 3: a flush in an earlier INCR file (a rewrite that never finished): refused with a true explanation that names the file, and its recipe restores the data', async () => {
    // FLUSHDB, then a BGREWRITEAOF that is still running when the server stops: Redis opened
    // incr.2 and wrote it into the manifest, but never installed a new base
    let want = '';
    const dir = await aofDirAfter(async (s) => {
      const c1 = await s.connect(1);
      await c1.call('SET', 'c', '3');
      await c1.close();
      await s.call('SET', 'a', '1');
      await s.call('SET', 'b', '2');
      want = await s.digest();
      await s.call('FLUSHDB');
      await s.call('CONFIG', 'SET', 'rdb-key-save-delay', '100000000');
      await s.call('BGREWRITEAOF');
      for (let i = 0; i < 100 && (await s.info('persistence'))['aof_rewrite_in_progress'] !== '1'; i++) await new Promise((r) => setTimeout(r, 50));
    });
    const manifest = fs.readFileSync(path.join(dir, 'appendonly.aof.manifest'), 'utf8');
    expect(manifest).toMatch(/appendonly\.aof\.1\.base\.rdb[\s\S]*appendonly\.aof\.1\.incr\.aof[\s\S]*appendonly\.aof\.2\.incr\.aof/);
    const before = snapshot(dir);
    const run = await runCli(['undo-flushall', '--dry-run', dir]);
    expect(run.code).toBe(4);
    expect(run.stderr).not.toMatch(/was rewritten after the flush|rewritten base/);
    expect(run.stderr).toMatch(/appendonly\.aof\.1\.incr\.aof, an earlier INCR file/);
    expect(run.stderr).toMatch(/lists appendonly\.aof\.2\.incr\.aof after it/);
    expect(run.stderr).toMatch(/did not complete/);
    expect(run.stderr).toMatch(/No write command follows the flush/);
    const yes = await runCli(['undo-flushall', '--yes', dir]);
    expect(yes.code).toBe(4);
    expect(snapshot(dir)).toEqual(before);
    // the JSON problem points at the flush
    const json = await runCli(['--json', 'undo-flushall', '--yes', dir]);
    const problem = (json.json()['problems'] as { file: string; offset: number }[])[0]!;
    expect(path.basename(problem.file)).toBe('appendonly.aof.1.incr.aof');
    // the message is true: removing the byte range it names brings the data back
    const m = /remove bytes \[(\d+), (\d+)\) of appendonly\.aof\.1\.incr\.aof/.exec(run.stderr);
    expect(m).not.toBeNull();
    const fixed = path.join(fs.mkdtempSync(path.join(tmp, 'fixed-')), 'appendonlydir');
    fs.cpSync(dir, fixed, { recursive: true });
    const incr = path.join(fixed, 'appendonly.aof.1.incr.aof');
    const bytes = fs.readFileSync(incr);
    expect(bytes.subarray(Number(m![1]), Number(m![2])).toString('latin1')).toMatch(/^\*1\r\n\$7\r\nflushdb\r\n$/i);
    fs.writeFileSync(incr, Buffer.concat([bytes.subarray(0, Number(m![1])), bytes.subarray(Number(m![2]))]));
    expect(await digestOf({ aofDir: fixed })).toBe(want);
  });

  it('bug 4: a flush that erased nothing (only a FLUSHALL; FLUSHDB of an empty db) is refused (exit 4), nothing written', async () => {
    const onlyFlush = await aofDirAfter(async (s) => {
      await s.call('FLUSHALL');
    });
    const emptyDb0 = await aofDirAfter(async (s) => {
      const c1 = await s.connect(1);
      await c1.call('SET', 'k1', 'v1');
      await c1.close();
      await s.call('FLUSHDB'); // db 0: empty
    });
    for (const input of [onlyFlush, singleFrom(onlyFlush), emptyDb0, singleFrom(emptyDb0)]) {
      const out = path.join(fs.mkdtempSync(path.join(tmp, 'out-')), 'x.aof');
      const before = snapshot(input);
      const run = await runCli(['undo-flushall', '--yes', '-o', out, input]);
      expect(run.code, input).toBe(4);
      expect(run.stderr).toMatch(/erased nothing/);
      expect(run.stdout).not.toMatch(/get the data back/);
      expect(fs.existsSync(out)).toBe(false);
      const inPlace = await runCli(['undo-flushall', '--yes', input]);
      expect(inPlace.code).toBe(4);
      expect(snapshot(input)).toEqual(before);
    }
    expect((await runCli(['undo-flushall', '--dry-run', emptyDb0])).stderr).toMatch(/no key in db 0/);
  });

  it('bug 4, the other side: keys only in the RDB base of the flushed db are found, and the flush is undone', async () => {
    let want = '';
    const dir = await aofDirAfter(async (s) => {
      const c1 = await s.connect(1);
      await c1.call('SET', 'k1', 'v1');
      await c1.call('XADD', 's', '1-1', 'f', 'v');
      await s.rewriteAof(); // the keys go into the RDB base; the new incr is empty
      want = await s.digest();
      await c1.call('FLUSHDB');
      await c1.close();
    });
    const run = await runCli(['undo-flushall', '--yes', '--no-backup', dir]);
    expect(run.code).toBe(0);
    expect(await digestOf({ aofDir: dir })).toBe(want);
  });

  it('bug 5: --json --dry-run reports the planned cut in changes (planned: true), refusals are "undo-flushall" documents', async () => {
    const dir = await aofDirAfter(async (s) => {
      await s.call('SET', 'k1', 'v1');
      await s.call('FLUSHALL');
    });
    const incr = path.join(dir, 'appendonly.aof.1.incr.aof');
    const size = fs.statSync(incr).size;
    const dry = await runCli(['--json', 'undo-flushall', '--dry-run', dir]);
    expect(dry.code).toBe(0);
    const doc = dry.json();
    expect(doc['command']).toBe('undo-flushall');
    expect(doc['cuts']).toBeUndefined();
    const changes = doc['changes'] as { file: string; action: string; ranges: [number, number][]; fromBytes: number; toBytes: number; planned: boolean; backup?: string }[];
    expect(changes.length).toBe(1);
    expect(changes[0]!.planned).toBe(true);
    expect(changes[0]!.action).toBe('remove-range');
    expect(changes[0]!.file).toBe(incr);
    expect(changes[0]!.fromBytes).toBe(size);
    expect(changes[0]!.toBytes).toBe(size - 18); // *1\r\n$8\r\nFLUSHALL\r\n
    expect(changes[0]!.ranges).toEqual([[size - 18, size]]);
    expect(changes[0]!.backup).toBeUndefined();
    expect(fs.statSync(incr).size).toBe(size);
    // the real run removes exactly what was planned
    const real = await runCli(['--json', 'undo-flushall', '--yes', '--no-backup', dir]);
    const done = (real.json()['changes'] as { ranges: unknown; toBytes: number }[])[0]!;
    expect(done.ranges).toEqual(changes[0]!.ranges);
    expect(fs.statSync(incr).size).toBe(done.toBytes);
    // a refusal (now there is no flush) is undo-flushall's document, not "redkit"
    const refused = await runCli(['--json', 'undo-flushall', '--yes', dir]);
    expect(refused.code).toBe(4);
    const r = refused.json();
    expect(r['command']).toBe('undo-flushall');
    expect(r['ok']).toBe(false);
    expect(r['exitCode']).toBe(4);
    expect((r['problems'] as { message: string }[])[0]!.message).toMatch(/No FLUSHALL or FLUSHDB/);
    const missing = await runCli(['--json', 'undo-flushall', '--yes', path.join(tmp, 'no-such.aof')]);
    expect(missing.code).toBe(2);
    expect(missing.json()['command']).toBe('undo-flushall');
  });
});
