// `redkit digest`: files (RDB, preamble-only AOF) and live servers, exit codes, stdout
// holding the digest alone, and the JSON document.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDigest, type DigestCommandOptions } from '../../src/commands/digest.js';
import type { CommandIO } from '../../src/commands/output.js';
import { freePort, redisAvailable, repoRoot, startRedis, warnIfNoRedis } from '../helpers/redis-server.js';
import { keysOf, readRdbItems, withCrc, withLastSelectDb } from '../helpers/rdb.js';
import { spawnSync } from 'node:child_process';

const HAVE_REDIS = redisAvailable();
warnIfNoRedis('test/commands/digest.test.ts (redkit digest against a live server)');

const FIX = path.join(repoRoot, 'fixtures');
const RDB70 = path.join(FIX, 'redis-7.0/rdb/dump.rdb');
const EXPECTED70 = JSON.parse(fs.readFileSync(path.join(FIX, 'redis-7.0/rdb/expected.json'), 'utf8')) as {
  digest: string;
  dbsize: Record<string, number>;
  keys: Record<string, Record<string, { expireMs: number }>>;
};
const RDB62 = path.join(FIX, 'shared/servers/redis-6.2.16/rdb/dump.rdb');
const RDB74 = path.join(FIX, 'shared/servers/redis-7.4.1/rdb/dump.rdb');
const sharedDigest = (file: string) => (JSON.parse(fs.readFileSync(file + '.expected.json', 'utf8')) as { expected: { digest: string } }).expected.digest;
/** before every TTL in the fixtures (2023-11-14) */
const FIXED_NOW = 1_700_000_000_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

async function digest(target: string, opts: DigestCommandOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stdoutTTY: false,
    stderrTTY: false,
    stdinTTY: false,
    env: { NO_COLOR: '1' },
  };
  const code = await runDigest(target, { progress: false, ...opts }, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-digest-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('redkit digest <file>', () => {
  it('prints the 40 hex digits alone', async () => {
    const r = await digest(RDB70, { digestCompat: '7.0', now: FIXED_NOW });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(EXPECTED70.digest + '\n');
    expect(r.stderr).toBe('');
  });

  it('--json gives the document', async () => {
    const r = await digest(RDB70, { digestCompat: '7.0', now: FIXED_NOW, json: true });
    expect(r.code).toBe(0);
    const doc = r.json();
    expect(doc).toMatchObject({
      command: 'digest',
      ok: true,
      exitCode: 0,
      problems: [],
      digest: EXPECTED70.digest,
      keysPerDb: EXPECTED70.dbsize,
      source: 'rdb',
      rules: '7.0',
      expiredKeys: 0,
    });
  });

  it('--digest-compat picks the rules; the default is the newest', async () => {
    expect((await digest(RDB62, { digestCompat: '6.2', now: FIXED_NOW })).stdout).toBe(sharedDigest(RDB62) + '\n');
    expect((await digest(RDB74, { digestCompat: '7.4', now: FIXED_NOW })).stdout).toBe(sharedDigest(RDB74) + '\n');
    expect((await digest(RDB74, { now: FIXED_NOW })).stdout).toBe(sharedDigest(RDB74) + '\n');
    expect((await digest(RDB74, { digestCompat: '8.0', now: FIXED_NOW })).stdout).toBe(sharedDigest(RDB74) + '\n');
    const newest = await digest(RDB70, { now: FIXED_NOW });
    expect(newest.code).toBe(0);
    expect(newest.stdout).not.toBe(EXPECTED70.digest + '\n'); // Grisu2 zset scores from 7.2
  });

  it('reads compressed files', async () => {
    const gz = path.join(tmp, 'dump.rdb.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(RDB70)));
    const r = await digest(gz, { digestCompat: '7.0', now: FIXED_NOW });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(EXPECTED70.digest + '\n');
  });

  it('leaves out keys already expired at --now, and says so on stderr', async () => {
    const later = 2_200_000_000_000; // after the fixture's decade-long relative TTLs (2036), before its 2100 ones
    const expiring = Object.values(EXPECTED70.keys)
      .flatMap((db) => Object.values(db))
      .filter((k) => k.expireMs !== -1 && k.expireMs < later).length;
    expect(expiring).toBe(5);
    const r = await digest(RDB70, { digestCompat: '7.0', now: later, json: true });
    const doc = r.json() as { expiredKeys: number; keysPerDb: Record<string, number>; digest: string };
    expect(doc.expiredKeys).toBe(expiring);
    const total = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
    expect(total(doc.keysPerDb)).toBe(total(EXPECTED70.dbsize) - expiring);
    expect(doc.digest).not.toBe(EXPECTED70.digest);
    const text = await digest(RDB70, { digestCompat: '7.0', now: later });
    expect(text.stdout).toBe(doc.digest + '\n');
    expect(text.stderr).toMatch(/5 key\(s\) already expired/);
    expect((await digest(RDB70, { digestCompat: '7.0', now: later, quiet: true })).stderr).toBe('');
  });

  it('an empty dataset digests as 40 zeros', async () => {
    const r = await digest(path.join(FIX, 'shared/peers/hdt3213/empty_database.rdb'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0'.repeat(40) + '\n');
  });

  it('every AOF fixture digests to the DEBUG DIGEST its server printed (7.0 written here; 6.2 and 7.4 recorded)', async () => {
    const cases: [string, string, string][] = [
      ...['aof-plain', 'aof-preamble-no', 'aof-preamble-yes', 'aof-timestamp'].map((v): [string, string, string] => [
        path.join(FIX, `redis-7.0/${v}/appendonlydir`),
        (JSON.parse(fs.readFileSync(path.join(FIX, `redis-7.0/${v}/expected.json`), 'utf8')) as { digest: string }).digest,
        '7.0',
      ]),
      ...['aof-preamble-yes', 'aof-preamble-no'].map((v): [string, string, string] => {
        const p = path.join(FIX, `shared/servers/redis-6.2.16/${v}/appendonly.aof`);
        return [p, sharedDigest(p), '6.2'];
      }),
      ...['aof-preamble-yes', 'aof-timestamp'].map((v): [string, string, string] => {
        const p = path.join(FIX, `shared/servers/redis-7.4.1/${v}/appendonlydir`);
        return [p, sharedDigest(p), '7.4'];
      }),
    ];
    for (const [p, want, compat] of cases) {
      const r = await digest(p, { digestCompat: compat, now: FIXED_NOW });
      expect(r.stderr, p).toBe('');
      expect(r.code, p).toBe(0);
      expect(r.stdout, p).toBe(want + '\n');
    }
  });

  it('exit 3 for an AOF holding a verbatim script call, naming the command and offset', async () => {
    const resp = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const head = resp(['SET', 'a', '1']);
    const p = path.join(tmp, 'script.aof');
    fs.writeFileSync(p, head + resp(['EVAL', "return redis.call('SET', KEYS[1], 'x')", '1', 'b']));
    const r = await digest(p);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`not supported: EVAL '.*' at offset ${head.length} of script.aof: a verbatim script`));
    const j = await digest(p, { json: true });
    expect(j.json()).toMatchObject({ command: 'digest', ok: false, exitCode: 3, digest: null });
  });

  it('exit 3 for a module value, naming the key', async () => {
    const r = await digest(path.join(FIX, 'shared/peers/rdb-tools/redis_40_with_module.rdb'));
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/key 'foo'.*module type ReJSON-RL/);
  });

  it('exit 3 for hash field TTLs under rules of a server without them', async () => {
    const r = await digest(RDB74, { digestCompat: '7.2', now: FIXED_NOW });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/hash fields with a TTL/);
  });

  it('exit 3 for a VALKEY-format RDB', async () => {
    const r = await digest(path.join(FIX, 'shared/peers/hdt3213/valkey_hash2_with_hfe.rdb'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/VALKEY-format RDB/);
  });

  it('warns when the chosen version cannot read the RDB version', async () => {
    const r = await digest(RDB74, { digestCompat: '7.0', now: FIXED_NOW, json: true });
    // 7.0 cannot hold its field TTLs either: exit 3, with the version warning first
    const doc = r.json() as { exitCode: number; problems: { severity: string; message: string }[] };
    expect(doc.exitCode).toBe(3);
    expect(doc.problems[0]).toMatchObject({ severity: 'warning' });
    expect(doc.problems[0]!.message).toMatch(/RDB version 12: Redis 7.0 reads versions up to 10/);
  });

  it('exit 1 for a damaged file, never a digest', async () => {
    const bytes = fs.readFileSync(RDB70);
    const cut = path.join(tmp, 'truncated.rdb');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await digest(cut);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3]! ^= 0xff; // the CRC64 trailer
    const bad = path.join(tmp, 'badcrc.rdb');
    fs.writeFileSync(bad, flipped);
    const b = await digest(bad);
    expect(b.code).toBe(1);
    expect(b.stdout).toBe('');
  });

  it('exit 2 for a missing file or a bad --digest-compat', async () => {
    const m = await digest(path.join(tmp, 'nope.rdb'));
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/No such file or directory/);
    const c = await digest(RDB70, { digestCompat: 'latest' });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--digest-compat/);
    expect(c.stdout).toBe('');
  });
});

describe('an RDB that Redis refuses to load has no digest', () => {
  /** the 7.0 fixture with one key record written twice (CRC fixed): Redis says "RDB has duplicated key" */
  function withDuplicate(): { file: string; key: string } {
    const bytes = fs.readFileSync(RDB70);
    const keys = keysOf(readRdbItems(bytes));
    const k = keys.find((e) => e.value.type === 'string' && e.expireMs === -1)!;
    const rec = bytes.subarray(k.offset, k.offset + k.size);
    const file = path.join(tmp, 'dup.rdb');
    fs.writeFileSync(file, withCrc(Buffer.concat([bytes.subarray(0, k.offset + k.size), rec, bytes.subarray(k.offset + k.size, bytes.length - 8)])));
    return { file, key: k.key.toString('latin1') };
  }

  it('a key written twice: exit 1 naming it (from a file, and from standard input)', async () => {
    const { file, key } = withDuplicate();
    const r = await digest(file, { digestCompat: '7.0', now: FIXED_NOW });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`duplicate key '${key}' in db 0`);
    const viaStdin = spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'digest', '--digest-compat', '7.0', '-'], { input: fs.readFileSync(file), encoding: 'utf8' });
    expect(viaStdin.status).toBe(1);
    expect(viaStdin.stderr).toMatch(/duplicate key .*\(by its 64-bit fingerprint/);
  });

  it('a second copy of a key whose first copy had expired is no duplicate: Redis skips the expired one at load', async () => {
    const bytes = fs.readFileSync(RDB70);
    const k = keysOf(readRdbItems(bytes)).find((e) => e.value.type === 'string' && e.expireMs === -1)!;
    const expired = Buffer.alloc(9);
    expired[0] = 0xfc; // EXPIRETIME_MS: 1 s after the epoch
    expired.writeBigUInt64LE(1000n, 1);
    const rec = bytes.subarray(k.offset, k.offset + k.size);
    const file = path.join(tmp, 'dup-expired.rdb');
    fs.writeFileSync(file, withCrc(Buffer.concat([bytes.subarray(0, k.offset), expired, rec, bytes.subarray(k.offset, bytes.length - 8)])));
    const r = await digest(file, { digestCompat: '7.0', now: FIXED_NOW });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe((await digest(RDB70, { digestCompat: '7.0', now: FIXED_NOW })).stdout);
  });

  it('a SELECTDB beyond --databases: exit 1; with --databases large enough, the digest', async () => {
    const file = path.join(tmp, 'db16.rdb');
    fs.writeFileSync(file, withLastSelectDb(fs.readFileSync(RDB70), 16));
    const r = await digest(file, { digestCompat: '7.0', now: FIXED_NOW });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SELECTDB 16: a Redis with 16 databases refuses to load this file/);
    const ok = await digest(file, { digestCompat: '7.0', now: FIXED_NOW, databases: 17 });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^[0-9a-f]{40}\n$/);
  });
});

describe.skipIf(!HAVE_REDIS)('redkit digest against live servers', () => {
  it('redis://127.0.0.1:PORT prints DEBUG DIGEST; a preamble-only AOF of that data digests the same', async () => {
    const sock = path.join(tmp, 'redis.sock');
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'yes', unixsocket: sock } });
    try {
      await server.loadDataset('dataset');
      const expected = await server.digest();
      const r = await digest(`redis://127.0.0.1:${server.port}`);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(expected + '\n');
      const j = await digest(`redis://127.0.0.1:${server.port}/3`, { json: true });
      expect(j.json()).toMatchObject({ command: 'digest', ok: true, exitCode: 0, source: 'server', digest: expected, keysPerDb: await server.keysPerDb() });
      expect((await digest(`unix://${sock}`)).stdout).toBe(expected + '\n');

      // after BGREWRITEAOF every key is in the RDB base and the INCR file is empty
      const dir = await server.rewriteAof();
      const version = server.version.split('.').slice(0, 2).join('.');
      const f = await digest(dir, { digestCompat: version });
      expect(f.code, f.stderr).toBe(0);
      expect(f.stdout).toBe(expected + '\n');
      // one more write: now there is a command after the base, which the engine applies
      await server.call('SET', 'one', 'more');
      const g = await digest(dir, { digestCompat: version });
      expect(g.code, g.stderr).toBe(0);
      expect(g.stdout).toBe((await server.digest()) + '\n');
    } finally {
      await server.stop();
    }
  });

  it('a server that does not answer: exit 2 after --timeout, not a hang (DEBUG SLEEP on a real server)', async () => {
    const server = await startRedis();
    try {
      const other = await server.connect();
      const sleeping = other.call('DEBUG', 'SLEEP', '4'); // the server answers nobody meanwhile
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      const r = await digest(`redis://127.0.0.1:${server.port}`, { timeout: 1 });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/no reply to DEBUG DIGEST within 1 s/);
      expect(Date.now() - t0).toBeLessThan(3500);
      await sleeping;
      other.destroy();
    } finally {
      await server.stop();
    }
  });

  it('the connection closes after DEBUG DIGEST answered: the digest is printed, the key counts are a warning', async () => {
    // a fault injector, not a Redis: it answers the first request with a digest, then hangs up
    const net = await import('node:net');
    const hex = 'ab'.repeat(20);
    const srv = net.createServer((c) => {
      c.once('data', () => {
        c.write(`+${hex}\r\n`);
        c.once('data', () => c.destroy());
      });
    });
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
    try {
      const port = (srv.address() as { port: number }).port;
      const j = await digest(`redis://127.0.0.1:${port}`, { json: true });
      expect(j.code).toBe(0);
      expect(j.json()).toMatchObject({ ok: true, digest: hex, keysPerDb: {} });
      expect(JSON.stringify(j.json())).toMatch(/INFO keyspace failed/);
    } finally {
      srv.close();
    }
  });

  it('exit 2 when the server does not allow DEBUG, or cannot be reached', async () => {
    const server = await startRedis({ config: { 'enable-debug-command': 'no' } });
    try {
      const r = await digest(`redis://127.0.0.1:${server.port}`);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/enable-debug-command/);
    } finally {
      await server.stop();
    }
    const port = await freePort();
    const u = await digest(`redis://127.0.0.1:${port}`, { json: true });
    expect(u.code).toBe(2);
    expect(u.json()).toMatchObject({ ok: false, exitCode: 2, digest: null });
    const bad = await digest('rediss://127.0.0.1:1');
    expect(bad.code).toBe(2);
  });
});
