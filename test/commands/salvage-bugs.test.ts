// check --salvage must never move a command to another db, never read a value's bytes as
// commands, and refuse an empty -o. The inputs are AOFs a real Redis 7.0 wrote, damaged here;
// the oracle is what a real Redis loads from the salvaged output.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespStreamReader } from '../../src/codec/resp.js';
import { redisAvailable, startRedis, startWithFiles, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';

const haveRedis = redisAvailable();
warnIfNoRedis('salvage-bugs');

let tmp: string;
let n = 0;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-salvage-bugs-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
function put(name: string, data: Buffer | string): string {
  const p = path.join(tmp, `${n++}-${name}`);
  fs.writeFileSync(p, data);
  return p;
}

/** The INCR file a real Redis writes for these commands (one connection, no preamble). */
async function redisAof(cmds: string[][]): Promise<Buffer> {
  const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
  try {
    for (const c of cmds) await server.call(...c);
    await server.shutdown();
    const dir = server.aofDirPath;
    return fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((x) => x.endsWith('.incr.aof'))!));
  } finally {
    await server.stop();
  }
}

interface Cmd {
  offset: number;
  end: number;
  args: string[];
}
function commandsOf(aof: Buffer): Cmd[] {
  const out: Cmd[] = [];
  const rd = new RespStreamReader({ command: (rec) => void out.push({ offset: rec.offset, end: rec.end, args: rec.args().map((a) => a.toString('latin1')) }) });
  rd.push(aof);
  rd.finish();
  return out;
}
/** The i-th command whose arguments are exactly `args`. */
function find(cmds: Cmd[], args: string[], i = 0): Cmd {
  const hits = cmds.filter((c) => c.args.length === args.length && c.args.every((a, k) => a === args[k]));
  if (!hits[i]) throw new Error(`no ${args.join(' ')} in the AOF`);
  return hits[i]!;
}
function damage(aof: Buffer, at: number, byte: number): Buffer {
  const d = Buffer.from(aof);
  d[at] = byte;
  return d;
}

/** Every string key a fresh Redis holds after loading the AOF, per db. */
async function loaded(aof: string): Promise<Record<string, Record<string, string>>> {
  const s = await startWithFiles({ aof });
  try {
    const out: Record<string, Record<string, string>> = {};
    for (const db of Object.keys(await s.keysPerDb())) {
      const c = await s.connect(Number(db));
      try {
        const keys = ((await c.call('KEYS', '*')) as Buffer[]).map((k) => k.toString());
        out[db] = {};
        for (const k of keys.sort()) out[db]![k] = String(await c.call('GET', k));
      } finally {
        c.close();
      }
    }
    return out;
  } finally {
    await s.stop();
  }
}

interface SalvageDoc {
  exitCode: number;
  changes: { droppedRanges: { start: number; end: number; bytes: number; reason: string }[]; commandsKept: number }[];
}
async function salvage(input: Buffer, name: string): Promise<{ out: string; doc: SalvageDoc; code: number }> {
  const f = put(name, input);
  const out = `${f}.out.aof`;
  const run = await runCli(['--json', 'check', '--salvage', '--yes', '-o', out, f]);
  expect(run.stderr).toBe('');
  return { out, doc: run.json() as unknown as SalvageDoc, code: run.code };
}
/** Whether the dropped ranges (together) cover the command's bytes. */
function droppedCmd(doc: SalvageDoc, c: Cmd): boolean {
  const ranges = [...doc.changes[0]!.droppedRanges].sort((a, b) => a.start - b.start);
  let at = c.offset;
  for (const d of ranges) if (d.start <= at && d.end > at) at = d.end;
  return at >= c.end;
}

describe.skipIf(!haveRedis)('check --salvage never moves a command to another db (A)', () => {
  const workload = [
    ['SELECT', '3'],
    ['SET', 'a', '1'],
    ['SELECT', '5'],
    ['SET', 'b', '2'],
    ['SET', 'c', '3'],
    ['SELECT', '3'],
    ['SET', 'd', '4'],
  ];
  let aof: Buffer;
  let cmds: Cmd[];
  beforeAll(async () => {
    aof = await redisAof(workload);
    cmds = commandsOf(aof);
    // Redis wrote: SELECT 3, SET a, SELECT 5, SET b, SET c, SELECT 3, SET d
    expect(cmds.map((c) => c.args[0])).toEqual(['SELECT', 'SET', 'SELECT', 'SET', 'SET', 'SELECT', 'SET']);
  });

  const cases: [string, (sel: Cmd) => Buffer][] = [
    ["the damaged SELECT's '*'", (sel) => damage(aof, sel.offset, 0x78)],
    ["the damaged SELECT's name header ($6 -> $X)", (sel) => damage(aof, sel.offset + 5, 0x58)],
    ["the damaged SELECT's index (5 -> %: Redis would fail it and stay in db 3)", (sel) => damage(aof, sel.end - 3, 0x25)],
    ["the damaged SELECT's name (SELECT -> SELEKT)", (sel) => damage(aof, sel.offset + 12, 0x4b)],
  ];
  for (const [what, make] of cases) {
    it(`${what}: the commands after it are dropped until the next intact SELECT, and reported`, async () => {
      const sel5 = find(cmds, ['SELECT', '5']);
      const { out, doc, code } = await salvage(make(sel5), 'sel.aof');
      expect(code).toBe(0);
      const b = find(cmds, ['SET', 'b', '2']);
      const c = find(cmds, ['SET', 'c', '3']);
      const ranges = doc.changes[0]!.droppedRanges;
      const dbRange = ranges.find((r) => r.start === b.offset && r.end === c.end);
      expect(dbRange?.reason).toMatch(/^2 commands dropped until the next intact SELECT: their db is unknown/);
      // never in db 3 (where they would land), nor anywhere else: Redis loads a and d only
      expect(await loaded(out)).toEqual({ '3': { a: '1', d: '4' } });
    });
  }

  it('a SELECT beyond --databases (Redis refuses it and stays in the previous db) counts as damage', async () => {
    const f = put('few-dbs.aof', aof);
    const out = `${f}.out.aof`;
    const run = await runCli(['--json', 'check', '--salvage', '--yes', '--databases', '4', '-o', out, f]);
    const doc = run.json() as unknown as SalvageDoc;
    const sel5 = find(cmds, ['SELECT', '5']);
    const b = find(cmds, ['SET', 'b', '2']);
    const c = find(cmds, ['SET', 'c', '3']);
    const ranges = doc.changes[0]!.droppedRanges;
    expect(ranges.find((r) => r.start === sel5.offset)?.reason).toMatch(/SELECT '5' is not a db index Redis accepts/);
    expect(ranges.find((r) => r.start === b.offset && r.end === c.end)?.reason).toMatch(/their db is unknown/);
    // with the default 16 databases the same file is intact: nothing dropped
    const all = (await runCli(['--json', 'check', '--salvage', '--yes', '-o', `${f}.16.aof`, f])).json() as unknown as SalvageDoc;
    expect(all.changes[0]!.droppedRanges).toEqual([]);
  });

  it('a damaged SET (not a SELECT) still costs that one command only, in the right db', async () => {
    const b = find(cmds, ['SET', 'b', '2']);
    const { out, doc } = await salvage(damage(aof, b.offset, 0x78), 'set.aof');
    expect(doc.changes[0]!.droppedRanges).toHaveLength(1);
    expect(await loaded(out)).toEqual({ '3': { a: '1', d: '4' }, '5': { c: '3' } });
  });

  it('an intact SELECT dropped with a damaged transaction: what followed it is not moved to the previous db', async () => {
    const tx = await redisAof([
      ['SELECT', '1'],
      ['SET', 'p', '1'],
      ['MULTI'],
      ['SET', 'x', '1'],
      ['SELECT', '2'],
      ['SET', 'z', '1'],
      ['EXEC'],
      ['SET', 'y', '2'],
      ['SELECT', '1'],
      ['SET', 'q', '3'],
    ]);
    const tc = commandsOf(tx);
    // Redis wrote the SELECT inside the transaction
    expect(tc.map((c) => c.args[0])).toEqual(['SELECT', 'SET', 'MULTI', 'SET', 'SELECT', 'SET', 'EXEC', 'SET', 'SELECT', 'SET']);
    const z = find(tc, ['SET', 'z', '1']);
    const { out, doc } = await salvage(damage(tx, z.offset, 0x78), 'tx.aof');
    const y = find(tc, ['SET', 'y', '2']);
    expect(droppedCmd(doc, y)).toBe(true);
    expect(doc.changes[0]!.droppedRanges.find((r) => r.start === y.offset)?.reason).toMatch(/1 command dropped until the next intact SELECT: they belong to db 2 but would land in db 1/);
    expect(await loaded(out)).toEqual({ '1': { p: '1', q: '3' } });
  });
});

describe.skipIf(!haveRedis)('check --salvage does not read a value as commands (B)', () => {
  // a value that is itself RESP: DEL k1, SET evil 1
  const inner = '*2\r\n$3\r\nDEL\r\n$2\r\nk1\r\n*3\r\n$3\r\nSET\r\n$4\r\nevil\r\n$1\r\n1\r\n';
  let aof: Buffer;
  let cmds: Cmd[];
  beforeAll(async () => {
    aof = await redisAof([
      ['SET', 'k1', 'v1'],
      ['SET', 'blob', inner],
      ['SET', 'k2', 'v2'],
    ]);
    cmds = commandsOf(aof);
  });

  const cases: [string, (blob: Cmd) => Buffer][] = [
    ["the '*' of SET blob", (blob) => damage(aof, blob.offset, 0x58)],
    ["the argument count of SET blob (*3 -> *x)", (blob) => damage(aof, blob.offset + 1, 0x78)],
    ['the CRLF after the key blob', (blob) => damage(aof, aof.indexOf('blob\r\n', blob.offset) + 4, 0x58)],
    ["the CRLF after blob's value", (blob) => damage(aof, blob.end - 2, 0x58)],
  ];
  for (const [what, make] of cases) {
    it(`damage to ${what}: the whole record is dropped, DEL k1 and SET evil 1 inside the value are not commands`, async () => {
      const blob = find(cmds, ['SET', 'blob', inner]);
      const { out, doc, code } = await salvage(make(blob), 'blob.aof');
      expect(code).toBe(0);
      expect(droppedCmd(doc, blob)).toBe(true);
      expect(await loaded(out)).toEqual({ '0': { k1: 'v1', k2: 'v2' } });
    });
  }

  it('a file cut inside such a value: nothing after the cut is read as commands', async () => {
    const blob = find(cmds, ['SET', 'blob', inner]);
    const cut = aof.subarray(0, aof.indexOf('evil', blob.offset) + 14); // after the inner SET evil 1
    const { out, doc } = await salvage(cut, 'cut.aof');
    const ranges = doc.changes[0]!.droppedRanges;
    expect(ranges).toHaveLength(1);
    expect(ranges[0]!).toMatchObject({ start: blob.offset, end: cut.length });
    expect(await loaded(out)).toEqual({ '0': { k1: 'v1' } });
  });
});

describe('check --salvage -o with an empty path (C)', () => {
  // (not a blank name such as '  ': before the fix that wrote a file of that name in the cwd)
  for (const args of [['-o', ''], ['--output=']]) {
    it(`${JSON.stringify(args)}: a usage error (exit 2), nothing written`, async () => {
      const f = put('e.aof', '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\nxx');
      const before = fs.readdirSync(tmp).length;
      const run = await runCli(['check', '--salvage', '--yes', ...args, f]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/-o\/--output needs a file name/);
      expect(run.stdout).not.toMatch(/Salvaged into/);
      expect(fs.readdirSync(tmp).length).toBe(before);
      const json = await runCli(['--json', 'check', '--salvage', '--yes', ...args, f]);
      expect(json.code).toBe(2);
      expect(json.json()).toMatchObject({ ok: false, exitCode: 2 });
    });
  }
});

describe('check --salvage of an RDB with nothing to salvage', () => {
  it('an empty file or a cut header: exit 1 and no output (a 0-byte .salvaged passed as an empty AOF)', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('REDIS')]) {
      const f = put('nothing.rdb', bytes);
      const r = await runCli(['check', '--salvage', '--yes', f]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/could be salvaged: its RDB header is missing or unreadable/);
      expect(fs.existsSync(`${f}.salvaged`)).toBe(false);
    }
  });
});

