// AOF edge cases an exploratory hunt against Redis 7.0 found redkit answering differently from
// the server: each file here is loaded by a real redis-server (or refused by it), and redkit's
// digest, replay and check must say what the server did, or refuse with a true reason.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeDump } from '../../src/codec/dump.js';
import { Crc64 } from '../../src/codec/crc64.js';
import { redisAvailable, startRedis, startWithFiles, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';

warnIfNoRedis('AOF load fidelity');

let tmp: string;
let n = 0;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-aof-fidelity-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const resp = (...args: (string | Buffer)[]): Buffer =>
  Buffer.concat([
    Buffer.from(`*${args.length}\r\n`),
    ...args.flatMap((a) => {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(a, 'latin1');
      return [Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')];
    }),
  ]);

function aofFile(...parts: Buffer[]): string {
  const f = path.join(tmp, `${n++}.aof`);
  fs.writeFileSync(f, Buffer.concat(parts));
  return f;
}

/** what a fresh Redis makes of the AOF: its digest and keys, or the reason it refused it */
async function server(aof: string): Promise<{ digest: string; dbsize: Record<string, number> } | { refused: string }> {
  let s;
  try {
    s = await startWithFiles({ aof }, { frozenExpiry: true });
  } catch (e) {
    return { refused: (e as Error).message };
  }
  try {
    return { digest: await s.digest(), dbsize: await s.keysPerDb() };
  } finally {
    await s.stop();
  }
}

async function digestOf(aof: string, compat = '7.0'): Promise<{ code: number; digest?: string; message: string }> {
  const r = await runCli(['--json', 'digest', '--digest-compat', compat, aof]);
  const doc = r.json() as { digest?: string | null; problems: { message: string }[] };
  return { code: r.code, ...(doc.digest ? { digest: doc.digest } : {}), message: doc.problems.map((p) => p.message).join('\n') };
}

/** a DUMP payload with its RDB version field set to `v` (and the CRC made right again) */
function withVersion(payload: Buffer, v: number): Buffer {
  const p = Buffer.from(payload);
  p.writeUInt16LE(v, p.length - 10);
  new Crc64().update(p, 0, p.length - 8).writeLE(p, p.length - 8);
  return p;
}

describe.skipIf(!redisAvailable())('AOF load fidelity against Redis 7.0', () => {
  it('a command count Redis reads with atoi() as negative: Redis refuses the file, so does redkit (it was a truncated tail)', async () => {
    const f = aofFile(resp('SET', 'a', '1'), Buffer.from('*2147483648\r\n$3\r\nSET\r\n'));
    const s = await server(f);
    expect(s).toMatchObject({ refused: expect.stringMatching(/Bad file format/) });
    const d = await digestOf(f);
    expect(d.code).toBe(1);
    expect(d.digest).toBeUndefined();
    expect(d.message).toMatch(/atoi\(\) as -2147483648 and refuses the file/);
    const c = await runCli(['check', f]);
    expect(c.code).toBe(1);
    // the same count within an int is an ordinary truncated tail, which Redis loads
    const g = aofFile(resp('SET', 'a', '1'), Buffer.from('*2147483647\r\n$3\r\nSET\r\n'));
    const sg = await server(g);
    expect(sg).toMatchObject({ dbsize: { '0': 1 } });
    expect(await digestOf(g)).toMatchObject({ code: 0, digest: (sg as { digest: string }).digest });
  });

  it('RESTORE of a payload newer than the server reads: Redis 7.0 replies an error and skips it; redkit under 7.0 rules says so, under 7.2 rules applies it', async () => {
    // a real 7.0 payload (RDB 10), the same bytes marked RDB 11, and a 7.2 set listpack (type
    // 20) marked RDB 10
    let v10: Buffer;
    const live = await startRedis();
    try {
      await live.call('SET', 'k', 'v');
      v10 = (await live.call('DUMP', 'k')) as Buffer;
    } finally {
      await live.stop();
    }
    expect(v10.readUInt16LE(v10.length - 10)).toBe(10);
    const v11 = withVersion(v10, 11);
    const setLp10 = withVersion(encodeDump({ type: 'set', members: [Buffer.from('m')] }, { version: 11 }), 10);
    expect(setLp10[0]).toBe(20);
    for (const [payload, reply] of [
      [v11, 'DUMP payload version or checksum are wrong'],
      [setLp10, 'Bad data format'],
    ] as const) {
      const f = aofFile(resp('SET', 'a', '1'), resp('RESTORE', 'k', '0', payload));
      const s = await server(f);
      expect(s).toMatchObject({ dbsize: { '0': 1 } }); // only 'a': the RESTORE failed
      const d = await digestOf(f, '7.0');
      expect(d.digest).toBeUndefined();
      expect(d.code).toBe(1);
      expect(d.message).toContain(reply);
    }
    // the original payload, and under 7.2 rules the RDB 11 one, are applied
    const ok = aofFile(resp('SET', 'a', '1'), resp('RESTORE', 'k', '0', v10));
    const sok = await server(ok);
    expect(sok).toMatchObject({ dbsize: { '0': 2 } });
    expect(await digestOf(ok, '7.0')).toMatchObject({ code: 0, digest: (sok as { digest: string }).digest });
    const r72 = await runCli(['--json', 'replay', '--digest-compat', '7.2', aofFile(resp('RESTORE', 'k', '0', v11))]);
    expect(r72.code).toBe(0);
    expect((r72.json() as { keys: number }).keys).toBe(1);
  });

  it('info of an AOF with a truncated tail (the state after a crash) counts the keys Redis loads from it', async () => {
    for (const tail of [resp('SET', 'b', '1').subarray(0, 20), Buffer.concat([resp('MULTI'), resp('SET', 'c', '1')])]) {
      const f = aofFile(resp('SET', 'a', '1'), resp('SELECT', '2'), resp('RPUSH', 'l', 'x', 'y'), tail);
      const s = await server(f);
      expect(s).toMatchObject({ dbsize: { '0': 1, '2': 1 } });
      const r = await runCli(['--json', 'info', f]);
      expect(r.code).toBe(0);
      const doc = r.json() as { stats: { keysFrom: string; keysPerDb: Record<string, number> }; problems: { severity: string; message: string }[] };
      expect(doc.stats.keysFrom).toBe('replay');
      expect(Object.fromEntries(Object.entries(doc.stats.keysPerDb).map(([db, v]) => [db, typeof v === 'number' ? v : (v as { keys: number }).keys]))).toEqual({ '0': 1, '2': 1 });
      expect(doc.problems.map((p) => p.severity)).toEqual(['warning']);
      expect(doc.problems[0]!.message).toMatch(/loads this AOF up to offset \d+/);
    }
  });

  it('a read-only command in an AOF (Redis runs it, changing nothing) is refused as not a write command, not as unknown', async () => {
    const f = aofFile(resp('SET', 'a', '1'), resp('GET', 'a'));
    expect(await server(f)).toMatchObject({ dbsize: { '0': 1 } });
    const d = await digestOf(f);
    expect(d.code).toBe(3);
    expect(d.message).toMatch(/GET 'a' at offset 27 of [^:]+: not a write command/);
    expect(d.message).not.toMatch(/unknown command/);
  });

  it('EXEC without MULTI: Redis replies an error and loads on; redkit calls the AOF inconsistent, not unloadable', async () => {
    const f = aofFile(resp('SET', 'a', '1'), resp('EXEC'), resp('SET', 'b', '2'));
    expect(await server(f)).toMatchObject({ dbsize: { '0': 2 } });
    const d = await digestOf(f);
    expect(d.code).toBe(1);
    expect(d.message).toMatch(/a server would reply "ERR EXEC without MULTI", so it cannot have logged this command/);
    expect(d.message).not.toMatch(/would not load/);
  });
});
