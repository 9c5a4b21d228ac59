// undo-flushall against a real Redis: write a dataset, record DEBUG DIGEST, flush, stop,
// undo, start a fresh server on the result: the digest must be the one before the flush.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedState, redisAvailable, startRedis, warnIfNoRedis, type ExistingFiles, type RedisServer } from '../helpers/redis-server.js';
import { writeWorkload } from '../helpers/workload.js';
import { runCli } from '../helpers/cli.js';

warnIfNoRedis('undo-flushall');
const FIX = path.resolve(__dirname, '../../fixtures');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-undo-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A server with appendonly on, holding the workload in dbs 0-3; returns it and its digest. */
async function serverWithData(config: Record<string, string> = {}): Promise<{ server: RedisServer; digest: string }> {
  const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'yes', ...config } });
  await writeWorkload(server, 7, 200);
  await server.rewriteAof(); // data in an RDB base, like a server that has run a while
  await writeWorkload(server, 8, 100); // and more in the INCR file
  return { server, digest: await server.digest() };
}

/** Copy the stopped server's AOF dir out, so the test owns it. */
function takeAofDir(server: RedisServer): string {
  const d = path.join(fs.mkdtempSync(path.join(tmp, 'aof-')), 'appendonlydir');
  fs.cpSync(server.aofDirPath, d, { recursive: true });
  return d;
}

const digestOf = async (files: ExistingFiles): Promise<string> => (await loadedState(files)).digest;

describe.skipIf(!redisAvailable())('undo-flushall with a real Redis', () => {
  for (const [label, flush] of [
    ['FLUSHALL', ['FLUSHALL']],
    ['FLUSHALL ASYNC', ['FLUSHALL', 'ASYNC']],
    ['FLUSHDB in db 2', ['FLUSHDB']],
  ] as const) {
    it(`undoes ${label}: the digest is the one before the flush`, async () => {
      const { server, digest } = await serverWithData();
      let dir: string;
      try {
        const c = await server.connect(label.includes('db 2') ? 2 : 0);
        await c.call(...flush);
        await c.close();
        expect(await server.digest()).not.toBe(digest);
        await server.shutdown();
        dir = takeAofDir(server);
      } finally {
        await server.stop();
      }
      const list = await runCli(['--json', 'undo-flushall', '--list', dir]);
      expect(list.code).toBe(0);
      const flushes = (list.json() as { flushes: { command: string; db: number | null; writesAfter: number }[] }).flushes;
      expect(flushes.length).toBe(1);
      expect(flushes[0]!.command).toBe(flush.join(' '));
      expect(flushes[0]!.db).toBe(label.includes('db 2') ? 2 : null);
      const run = await runCli(['--json', 'undo-flushall', '--yes', dir]);
      expect(run.code).toBe(0);
      const backup = ((run.json() as { changes: { backup: string }[] }).changes[0]!).backup;
      expect(fs.existsSync(backup)).toBe(true);
      expect(await digestOf({ aofDir: dir })).toBe(digest);
    });
  }

  it('flushes inside MULTI/EXEC: a block of only flushes goes whole, the digest is restored', async () => {
    // (Redis logs MULTI/EXEC only around two or more commands, so two flushes)
    const { server, digest } = await serverWithData();
    let dir: string;
    try {
      const c = await server.connect();
      await c.call('MULTI');
      await c.call('FLUSHALL');
      await c.call('FLUSHDB');
      await c.call('EXEC');
      await c.close();
      await server.shutdown();
      dir = takeAofDir(server);
    } finally {
      await server.stop();
    }
    expect(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.incr.aof'))!), 'latin1')).toMatch(/MULTI[\s\S]*FLUSHALL[\s\S]*FLUSHDB[\s\S]*EXEC/);
    const run = await runCli(['undo-flushall', '--yes', '--no-backup', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/MULTI\/EXEC block that held only flushes/);
    expect(await digestOf({ aofDir: dir })).toBe(digest);
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.bak'))).toBe(false);
  });

  it('a flush inside MULTI/EXEC after a write in the same block: only the flush goes', async () => {
    const { server } = await serverWithData();
    let dir: string;
    let expected: string;
    try {
      const c = await server.connect();
      await c.call('MULTI');
      await c.call('SET', 'tx:k', 'v');
      await c.call('FLUSHALL');
      await c.call('EXEC');
      await c.close();
      await server.shutdown();
      dir = takeAofDir(server);
    } finally {
      await server.stop();
    }
    {
      const again = await serverWithData();
      try {
        await again.server.call('SET', 'tx:k', 'v');
        expected = await again.server.digest();
      } finally {
        await again.server.stop();
      }
    }
    const run = await runCli(['undo-flushall', '--yes', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/the rest of its transaction stays/);
    expect(await digestOf({ aofDir: dir })).toBe(expected);
  });

  it('writes after the flush: refused (exit 4, untouched); --keep-later-writes keeps them on top', async () => {
    const { server } = await serverWithData();
    let dir: string;
    let expected: string;
    try {
      await server.call('FLUSHALL');
      await server.call('SET', 'after:1', 'x');
      await server.call('RPUSH', 'after:list', 'a', 'b');
      await server.shutdown();
      dir = takeAofDir(server);
    } finally {
      await server.stop();
    }
    // the expected dataset: the same data, no flush, the later writes applied on top
    {
      const again = await serverWithData();
      try {
        await again.server.call('SET', 'after:1', 'x');
        await again.server.call('RPUSH', 'after:list', 'a', 'b');
        expected = await again.server.digest();
      } finally {
        await again.server.stop();
      }
    }
    const before = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)).length);
    const refused = await runCli(['undo-flushall', '--yes', dir]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/2 write command\(s\) follow the flush/);
    expect(refused.stderr).toMatch(/SET after:1 x/);
    expect(refused.stderr).toMatch(/--keep-later-writes/);
    expect(fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)).length)).toEqual(before);
    const kept = await runCli(['undo-flushall', '--yes', '--keep-later-writes', dir]);
    expect(kept.code).toBe(0);
    expect(await digestOf({ aofDir: dir })).toBe(expected);
  });

  it('a rewrite after the flush: refused with the explanation, exit 4, nothing touched', async () => {
    const { server } = await serverWithData();
    let dir: string;
    try {
      await server.call('FLUSHALL');
      await server.rewriteAof();
      await server.shutdown();
      dir = takeAofDir(server);
    } finally {
      await server.stop();
    }
    const snapshot = fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('hex')]);
    const run = await runCli(['undo-flushall', '--yes', dir]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/rewrit|absorbed/);
    expect(run.stderr).toMatch(/RDB backup/);
    expect(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('hex')])).toEqual(snapshot);
  });

  it('single-file AOFs, with and without an RDB preamble, built from a base and its incr', async () => {
    for (const preamble of ['yes', 'no']) {
      const { server, digest } = await serverWithData({ 'aof-use-rdb-preamble': preamble });
      let single: string;
      try {
        await server.call('FLUSHALL');
        await server.shutdown();
        const d = server.aofDirPath;
        const names = fs.readdirSync(d);
        const base = names.find((x) => x.includes('.base.'))!;
        const incr = names.find((x) => x.endsWith('.incr.aof'))!;
        single = path.join(fs.mkdtempSync(path.join(tmp, 'single-')), 'appendonly.aof');
        fs.writeFileSync(single, Buffer.concat([fs.readFileSync(path.join(d, base)), fs.readFileSync(path.join(d, incr))]));
      } finally {
        await server.stop();
      }
      const out = single + '.restored';
      const run = await runCli(['undo-flushall', '--yes', '-o', out, single]);
      expect(run.code).toBe(0);
      const restored = path.join(path.dirname(out), 'appendonly.aof');
      fs.renameSync(single, single + '.orig');
      fs.renameSync(out, restored);
      expect(await digestOf({ aof: restored })).toBe(digest);
    }
  });

  it('a multi-part AOF with #TS: annotations: --list shows the time; -o writes a whole repaired copy', async () => {
    const { server, digest } = await serverWithData({ 'aof-timestamp-enabled': 'yes' });
    let dir: string;
    const t0 = Math.floor(Date.now() / 1000);
    try {
      await new Promise((r) => setTimeout(r, 1100));
      await server.call('FLUSHALL');
      await server.shutdown();
      dir = takeAofDir(server);
    } finally {
      await server.stop();
    }
    const list = await runCli(['--json', 'undo-flushall', '--list', dir]);
    const f = (list.json() as { flushes: { timestamp: number }[] }).flushes[0]!;
    expect(f.timestamp).toBeGreaterThanOrEqual(t0);
    const original = fs.readdirSync(dir).map((x) => [x, fs.readFileSync(path.join(dir, x)).toString('hex')]);
    const out = path.join(path.dirname(dir), 'restored');
    const run = await runCli(['undo-flushall', '--yes', '-o', out, dir]);
    expect(run.code).toBe(0);
    expect(fs.readdirSync(dir).map((x) => [x, fs.readFileSync(path.join(dir, x)).toString('hex')])).toEqual(original);
    const restoredDir = path.join(path.dirname(dir), 'appendonlydir-restored', 'appendonlydir');
    fs.mkdirSync(path.dirname(restoredDir));
    fs.renameSync(out, restoredDir);
    expect(await digestOf({ aofDir: restoredDir })).toBe(digest);
  });

  it('refusals: no flush (exit 4), no --yes without a terminal (exit 4), --dry-run changes nothing, an RDB (exit 2)', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(tmp, 'fx-')), 'appendonlydir');
    fs.cpSync(path.join(FIX, 'redis-7.0/aof-preamble-yes/appendonlydir'), dir, { recursive: true });
    const none = await runCli(['undo-flushall', '--yes', dir]);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/No FLUSHALL or FLUSHDB/);
    const incr = path.join(dir, 'appendonly.aof.2.incr.aof');
    fs.chmodSync(incr, 0o644);
    fs.appendFileSync(incr, '*1\r\n$8\r\nFLUSHALL\r\n');
    const size = fs.statSync(incr).size;
    const noTty = await runCli(['undo-flushall', dir]);
    expect(noTty.code).toBe(4);
    expect(noTty.stderr).toMatch(/--yes/);
    const dry = await runCli(['undo-flushall', '--dry-run', dir]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/This will remove the flush command/);
    expect(fs.statSync(incr).size).toBe(size);
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.bak'))).toBe(false);
    const rdb = await runCli(['undo-flushall', '--yes', path.join(FIX, 'redis-7.0/rdb/dump.rdb')]);
    expect(rdb.code).toBe(2);
  });

  it('the Redis 6.2 single-file AOFs (fixtures): a FLUSHALL appended is undone to the recorded digest', async () => {
    for (const v of ['aof-preamble-yes', 'aof-preamble-no']) {
      const src = path.join(FIX, 'shared/servers/redis-6.2.16', v, 'appendonly.aof');
      const want = (JSON.parse(fs.readFileSync(src + '.expected.json', 'utf8')) as { expected: { digest: string } }).expected.digest;
      const d = fs.mkdtempSync(path.join(tmp, 'r62-'));
      const f = path.join(d, 'appendonly.aof');
      fs.writeFileSync(f, Buffer.concat([fs.readFileSync(src), Buffer.from('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$8\r\nFLUSHALL\r\n')]));
      expect(await digestOf({ aof: f })).toBe('0000000000000000000000000000000000000000');
      const g = path.join(fs.mkdtempSync(path.join(tmp, 'r62-')), 'appendonly.aof');
      fs.writeFileSync(g, fs.readFileSync(f));
      const run = await runCli(['undo-flushall', '--yes', g]);
      expect(run.code).toBe(0);
      expect(await digestOf({ aof: g })).toBe(want);
    }
  });

  it('refuses while the file is still growing (the server is running)', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(tmp, 'grow-')), 'appendonlydir');
    fs.cpSync(path.join(FIX, 'redis-7.0/aof-plain/appendonlydir'), dir, { recursive: true });
    const incr = path.join(dir, 'appendonly.aof.1.incr.aof');
    fs.chmodSync(incr, 0o644);
    fs.appendFileSync(incr, '*1\r\n$8\r\nFLUSHALL\r\n');
    const timer = setInterval(() => fs.appendFileSync(incr, '#TS:1\r\n'), 20);
    try {
      const run = await runCli(['undo-flushall', '--yes', dir]);
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/still running/);
    } finally {
      clearInterval(timer);
    }
  });
});
