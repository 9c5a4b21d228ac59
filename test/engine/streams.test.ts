// Streams in the engine against a real redis-server. DEBUG DIGEST folds only a stream's
// entries, so these tests compare everything else through XINFO STREAM <key> FULL COUNT 0:
// length, listpack node count (radix-tree-keys), last/first/max-deleted IDs, entries-added,
// and per group last-delivered-id, entries-read, the PEL (owner, delivery time and count) and
// the consumers (seen-time, own PEL).
//
// Clock-derived times (delivery times and seen-times the server took from its clock) can only
// be close: they are compared within the run's duration; times given explicitly (XCLAIM TIME,
// and every delivery time in an AOF) must be equal.
//
//  - seeded workloads of the stream family (test/helpers/workload/streams.ts): a live-mode
//    engine mirrors the client's commands (refusing exactly what the server refuses), then the
//    server's AOF (with and without a BGREWRITEAOF, with an AOF or an RDB base) is replayed and
//    compared with a fresh server that loaded the same AOF;
//  - hand-picked edge cases, the same way;
//  - engine-only checks: loading vs live argument rules, approximate trims on streams whose
//    node layout is unknown.

import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { EngineError, UnsupportedCommandError } from '../../src/engine/errors.js';
import { formatId, type StreamObj } from '../../src/engine/stream.js';
import { replayToMemory } from '../../src/commands/replay.js';
import type { Reply } from '../../src/io/redis-client.js';
import { redisAvailable, startRedis, startWithFiles, warnIfNoRedis, type RedisServer } from '../helpers/redis-server.js';
import { rng } from '../helpers/feed.js';
import { streamFamily } from '../helpers/workload/streams.js';
import type { Cmd, GenContext, Mirror, Step } from '../helpers/workload-gen.js';

const HAVE_REDIS = redisAvailable();
warnIfNoRedis('test/engine/streams.test.ts (streams against a real Redis)');

const SEEDS = Number(process.env['REDKIT_STREAM_SEEDS'] ?? 3);
const COMMANDS = Number(process.env['REDKIT_STREAM_COMMANDS'] ?? 1200);

const B = (...a: (string | Buffer | number | bigint)[]): Buffer[] => a.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1')));
const txt = (b: Buffer): string => b.toString('latin1');

// ---------------------------------------------------------------------------------------------
// A normalized view of a stream, from the engine or from XINFO STREAM FULL

type Pel = [id: string, consumer: string, time: number, count: number];
type CPel = [id: string, time: number, count: number];
interface GroupInfo {
  name: string;
  lastId: string;
  entriesRead: string | null;
  pel: Pel[];
  consumers: { name: string; seen: number; pel: CPel[] }[];
}
interface Info {
  length: number;
  nodes: number | null;
  lastId: string;
  maxDeletedId: string;
  entriesAdded: string;
  firstId: string;
  entries: string[];
  groups: GroupInfo[];
}

function engineInfo(s: StreamObj): Info {
  const entries: string[] = [];
  for (const n of s.nodes) for (const e of n.entries) if (!e.deleted) entries.push([formatId(e.id), ...e.fields.map(txt)].join('|'));
  const groups = [...s.groups.values()]
    .sort((a, b) => Buffer.compare(a.name, b.name))
    .map((g) => ({
      name: txt(g.name),
      lastId: formatId(g.lastId),
      entriesRead: g.entriesRead === -1n ? null : String(g.entriesRead),
      pel: g.pel.keys.map((id): Pel => {
        const n = g.pel.get(id)!;
        return [formatId(id), n.consumer ? txt(n.consumer.name) : '?', n.deliveryTime, n.deliveryCount];
      }),
      consumers: [...g.consumers.values()]
        .sort((a, b) => Buffer.compare(a.name, b.name))
        .map((c) => ({
          name: txt(c.name),
          seen: c.seenTime,
          pel: c.pel.keys.map((id): CPel => [formatId(id), c.pel.get(id)!.deliveryTime, c.pel.get(id)!.deliveryCount]),
        })),
    }));
  return {
    length: s.length,
    nodes: s.layoutExact ? s.nodes.length : null,
    lastId: formatId(s.lastId),
    maxDeletedId: formatId(s.maxDeletedId),
    entriesAdded: String(s.entriesAdded),
    firstId: formatId(s.firstId),
    entries,
    groups,
  };
}

const num = (r: Reply): number => Number(r as number | bigint);
const str = (r: Reply): string => (r === null ? '' : Buffer.isBuffer(r) ? txt(r) : String(r));

function pairs(r: Reply): Map<string, Reply> {
  const a = r as Reply[];
  const m = new Map<string, Reply>();
  for (let i = 0; i < a.length; i += 2) m.set(str(a[i]!), a[i + 1]!);
  return m;
}

async function serverInfo(server: RedisServer, db: number, key: Buffer): Promise<Info> {
  const c = await server.connect(db);
  try {
    const m = pairs(await c.call('XINFO', 'STREAM', key, 'FULL', 'COUNT', 0));
    const entries = (m.get('entries') as Reply[]).map((e) => {
      const [id, f] = e as [Buffer, Buffer[]];
      return [txt(id), ...f.map(txt)].join('|');
    });
    const groups = (m.get('groups') as Reply[]).map((gr) => {
      const g = pairs(gr);
      const er = g.get('entries-read')!;
      return {
        name: str(g.get('name')!),
        lastId: str(g.get('last-delivered-id')!),
        entriesRead: er === null ? null : String(er),
        pel: (g.get('pending') as Reply[][]).map((p): Pel => [str(p[0]!), str(p[1]!), num(p[2]!), num(p[3]!)]),
        consumers: (g.get('consumers') as Reply[]).map((cr) => {
          const cm = pairs(cr);
          return {
            name: str(cm.get('name')!),
            seen: num(cm.get('seen-time')!),
            pel: (cm.get('pending') as Reply[][]).map((p): CPel => [str(p[0]!), num(p[1]!), num(p[2]!)]),
          };
        }),
      };
    });
    return {
      length: num(m.get('length')!),
      nodes: num(m.get('radix-tree-keys')!),
      lastId: str(m.get('last-generated-id')!),
      maxDeletedId: str(m.get('max-deleted-entry-id')!),
      entriesAdded: String(m.get('entries-added')),
      firstId: str(m.get('recorded-first-entry-id')!),
      entries,
      groups,
    };
  } finally {
    await c.close();
  }
}

interface TimeRule {
  /** how far a clock-derived delivery time may be from the server's (ms) */
  pel: number;
  /** the same for consumers' seen-times */
  seen: number;
}

/** Compare two views: times by the rule (a server time at or before 2001-09-09 was given
 * explicitly and must be equal), everything else exactly. */
function compareInfo(label: string, mine: Info, theirs: Info, rule: TimeRule): void {
  const bad: string[] = [];
  const t = (what: string, a: number, b: number, window: number): number => {
    const ok = b <= 1_000_000_000_000 ? a === b : Math.abs(a - b) <= window;
    if (!ok) bad.push(`${what}: engine ${a}, server ${b}`);
    return 0;
  };
  const norm = (x: Info, side: 'mine' | 'theirs', other: Info): Info => ({
    ...x,
    nodes: mine.nodes === null ? null : x.nodes,
    groups: x.groups.map((g, gi) => ({
      ...g,
      pel: g.pel.map((p, pi): Pel => {
        const o = other.groups[gi]?.pel[pi];
        return [p[0], p[1], side === 'mine' && o ? t(`${g.name} PEL ${p[0]} time`, p[2], o[2], rule.pel) : 0, p[3]];
      }),
      consumers: g.consumers.map((c, ci) => {
        const oc = other.groups[gi]?.consumers[ci];
        if (side === 'mine' && oc) t(`${g.name}/${c.name} seen-time`, c.seen, oc.seen, rule.seen);
        return {
          name: c.name,
          seen: 0,
          pel: c.pel.map((p, pi): CPel => {
            const o = oc?.pel[pi];
            return [p[0], side === 'mine' && o ? t(`${g.name}/${c.name} PEL ${p[0]} time`, p[1], o[1], rule.pel) : 0, p[2]];
          }),
        };
      }),
    })),
  });
  const a = norm(mine, 'mine', theirs);
  const b = norm(theirs, 'theirs', mine);
  expect(a, label).toEqual(b);
  expect(bad, label).toEqual([]);
}

/** every stream key of a db on the server, and in the engine */
async function compareDb(label: string, server: RedisServer, engine: Engine, db: number, rule: TimeRule): Promise<number> {
  const c = await server.connect(db);
  let serverKeys: Buffer[];
  try {
    const keys = (await c.call('KEYS', '*')) as Buffer[];
    serverKeys = [];
    for (const k of keys) if (str(await c.call('TYPE', k)) === 'stream') serverKeys.push(k);
  } finally {
    await c.close();
  }
  const mineKeys = [...engine.dbs[db]!].filter(([, s]) => s.value.type === 'stream').map(([k]) => k);
  expect(mineKeys.sort(), `${label}: stream keys of db ${db}`).toEqual(serverKeys.map(txt).sort());
  for (const k of serverKeys) {
    const s = engine.dbs[db]!.get(txt(k))!.value as StreamObj;
    compareInfo(`${label}: db ${db} key '${txt(k)}'`, engineInfo(s), await serverInfo(server, db, k), rule);
  }
  return serverKeys.length;
}

// ---------------------------------------------------------------------------------------------
// Running commands on both

type Outcome = { ok: true; reply: Reply } | { ok: false; error: string };

async function send(server: RedisServer, args: Cmd): Promise<Outcome> {
  try {
    return { ok: true, reply: await server.client.call(...args) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** Apply a command's mirror to the engine; returns a complaint when they disagree. */
function mirror(engine: Engine, args: Cmd, m: Mirror, out: Outcome): string | undefined {
  const show = args.map(txt).join(' ').slice(0, 200);
  const applied = (c: Cmd): unknown => {
    try {
      engine.apply(c.map((x) => Buffer.from(x)));
      return undefined;
    } catch (e) {
      return e;
    }
  };
  if (m.kind === 'fromReply' && out.ok) {
    for (const c of m.build(out.reply)) {
      const err = applied(c);
      if (err) return `server accepted ${show}, engine refused the derived ${c.map(txt).join(' ')}: ${(err as Error).message}`;
    }
    return undefined;
  }
  if (m.kind !== 'same' && m.kind !== 'fromReply') throw new Error(`unexpected mirror ${m.kind}`);
  const err = applied(args);
  if (err !== undefined && !(err instanceof EngineError)) return `engine could not apply ${show}: ${(err as Error).message}`;
  if (out.ok && err) return `server accepted ${show}, engine refused: ${(err as Error).message}`;
  if (!out.ok && !err) return `server refused ${show} (${out.error}), engine accepted`;
  if (!out.ok && err && (err as Error).message !== out.error) return `different errors for ${show}: engine '${(err as Error).message}', server '${out.error}'`;
  return undefined;
}

/** A GenContext for the stream family alone (plus a string key for WRONGTYPE). */
function familyContext(seed: number): GenContext {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const chance = (p: number) => r() < p;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const pools: Record<string, (string | Buffer)[]> = { str: ['s0'] };
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const asBuf = (x: string | Buffer): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(x, 'latin1'));
  return {
    r,
    int,
    chance,
    pick,
    key: (pool) => asBuf(chance(0.95) ? pick(pools[pool]!) : pick(Object.values(pools).flat())),
    addPool: (name, keys) => {
      pools[name] = keys;
    },
    value: () => (chance(0.5) ? Buffer.from(`v${int(30)}`) : chance(0.5) ? Buffer.from(String(int(100000) - 500)) : bytes(int(12))),
    bytes,
    index: () => String(int(5)),
    relTtl: () => '1000',
    absMs: () => '4000000000000',
    absSec: () => '4000000000',
  };
}

function familySteps(seed: number, n: number): Step[] {
  const ctx = familyContext(seed);
  const gens = streamFamily(ctx);
  const total = gens.reduce((a, [w]) => a + w, 0);
  const steps: Step[] = [{ kind: 'cmd', args: B('SET', 's0', 'str'), mirror: { kind: 'same' } }];
  for (let i = 0; i < n; i++) {
    let x = ctx.r() * total;
    let g = gens[0]![1];
    for (const [w, gen] of gens) {
      x -= w;
      if (x <= 0) {
        g = gen;
        break;
      }
    }
    const s = g();
    steps.push(Array.isArray(s) ? { kind: 'cmd', args: s, mirror: { kind: 'same' } } : s);
  }
  return steps;
}

/** Across the file: accepted commands that changed a stream, by kind (see effectKind). */
const effective = new Map<string, number>();

/** the stream keys a command names */
function streamKeysOf(args: Cmd): Buffer[] {
  const n = txt(args[0]!).toUpperCase();
  if (n === 'XGROUP') return [args[2]!];
  if (n === 'XREADGROUP') {
    const i = args.findIndex((a) => txt(a).toUpperCase() === 'STREAMS');
    return i < 0 ? [] : args.slice(i + 1, i + 1 + ((args.length - i - 1) >> 1));
  }
  return [args[1]!];
}

function snapshot(engine: Engine, keys: Buffer[]): string {
  return keys
    .map((k) => {
      const v = engine.db.get(txt(k))?.value;
      return v?.type === 'stream' ? JSON.stringify(engineInfo(v)) : '-';
    })
    .join('\n');
}

function effectKind(args: Cmd, engine: Engine, before: string): string {
  const n = txt(args[0]!).toUpperCase();
  const approx = args.some((a) => txt(a) === '~') ? ' ~' : '';
  if (n === 'XGROUP') return `XGROUP ${txt(args[1]!).toUpperCase()}`;
  if (n === 'XADD' && approx) {
    const lenBefore = before === '-' ? 0 : (JSON.parse(before) as Info).length;
    const s = engine.db.get(txt(args[1]!))?.value as StreamObj | undefined;
    return s && s.length <= lenBefore ? 'XADD ~ (trimmed)' : 'XADD ~';
  }
  return n + approx;
}

async function runSteps(
  server: RedisServer,
  engine: Engine,
  steps: Step[],
  rewriteAt: number | undefined,
): Promise<{ complaints: string[]; errors: number; byError: string; maxNodes: number }> {
  const complaints: string[] = [];
  let errors = 0;
  let maxNodes = 0;
  const why = new Map<string, number>();
  for (let i = 0; i < steps.length && complaints.length < 5; i++) {
    if (i === rewriteAt) await server.rewriteAof();
    const s = steps[i]!;
    if (s.kind !== 'cmd') throw new Error('unexpected step');
    const keys = streamKeysOf(s.args);
    const before = snapshot(engine, keys);
    const out = await send(server, s.args);
    if (!out.ok) {
      errors++;
      const k = `${txt(s.args[0]!)}: ${out.error.slice(0, 60)}`;
      why.set(k, (why.get(k) ?? 0) + 1);
    }
    const complaint = mirror(engine, s.args, s.mirror, out);
    if (complaint) complaints.push(complaint);
    for (const k of keys) {
      const v = engine.db.get(txt(k))?.value;
      if (v?.type === 'stream') maxNodes = Math.max(maxNodes, v.nodes.length);
    }
    if (out.ok && snapshot(engine, keys) !== before) {
      const k = effectKind(s.args, engine, before);
      effective.set(k, (effective.get(k) ?? 0) + 1);
    }
  }
  const byError = [...why].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join('\n');
  return { complaints, errors, byError, maxNodes };
}

/** Shut the server down, replay its AOF, and compare with a fresh server loading the AOF. */
async function checkReplay(label: string, server: RedisServer): Promise<void> {
  await server.shutdown();
  const t0 = Date.now();
  const { report, engine } = await replayToMemory(server.aofDirPath, { now: Date.now(), digestCompat: '7.0' });
  expect(report.problems.filter((p) => p.severity === 'error'), JSON.stringify(report.problems)).toEqual([]);
  const loaded = await startWithFiles({ aofDir: server.aofDirPath });
  try {
    expect(report.digest, `${label}: replay digest`).toBe(await loaded.digest());
    // delivery times in an AOF are explicit (XCLAIM ... TIME); seen-times are each side's
    // clock at load time
    const n = await compareDb(`${label} (AOF replay vs a server loading it)`, loaded, engine!, 0, { pel: 0, seen: Date.now() - t0 + 1000 });
    expect(n).toBeGreaterThan(0);
  } finally {
    await loaded.stop();
  }
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(!HAVE_REDIS)('streams: engine vs redis-server (XINFO STREAM FULL)', () => {
  const variants = [
    { name: 'no rewrite', rewrite: false, preamble: 'no' },
    { name: 'BGREWRITEAOF halfway, AOF base', rewrite: true, preamble: 'no' },
    { name: 'BGREWRITEAOF halfway, RDB base', rewrite: true, preamble: 'yes' },
  ] as const;
  for (let seed = 1; seed <= SEEDS; seed++) {
    for (const v of variants) {
      it(`seed ${seed}, ${v.name}`, { timeout: 120_000 }, async () => {
        const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': v.preamble } });
        try {
          const steps = familySteps(seed * 7 + (v.rewrite ? 1 : 0) + (v.preamble === 'yes' ? 2 : 0), COMMANDS);
          const live = new Engine({ loading: false });
          const t0 = Date.now();
          const { complaints, errors, byError, maxNodes } = await runSteps(server, live, steps, v.rewrite ? steps.length >> 1 : undefined);
          expect(complaints).toEqual([]);
          expect(errors).toBeGreaterThan(0);
          expect(errors, byError).toBeLessThan(steps.length * 0.4);
          const window = Date.now() - t0 + 1000;
          const keys = await compareDb(`seed ${seed} live`, server, live, 0, { pel: window, seen: window });
          expect(keys).toBeGreaterThanOrEqual(3);
          // the run crossed listpack node boundaries and left pending entries
          expect(maxNodes).toBeGreaterThan(1);
          const xs = [...live.dbs[0]!.values()].map((s) => s.value).filter((x): x is StreamObj => x.type === 'stream');
          expect(xs.some((s) => [...s.groups.values()].some((g) => g.pel.size > 0))).toBe(true);
          await checkReplay(`seed ${seed} ${v.name}`, server);
        } finally {
          await server.stop();
        }
      });
    }
  }

  it.skipIf(SEEDS * COMMANDS < 2000)('the seeded runs changed streams with every command and option', () => {
    console.log(`effective stream commands: ${[...effective].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const want = [
      'XADD', 'XADD ~', 'XADD ~ (trimmed)', 'XTRIM', 'XTRIM ~', 'XDEL', 'XSETID', 'XGROUP CREATE', 'XGROUP SETID', 'XGROUP DESTROY',
      'XGROUP CREATECONSUMER', 'XGROUP DELCONSUMER', 'XACK', 'XCLAIM', 'XAUTOCLAIM', 'XREADGROUP',
    ];
    expect(want.filter((k) => !effective.has(k))).toEqual([]);
  });

  it('hand-picked edge cases, live and replayed', { timeout: 120_000 }, async () => {
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    try {
      const live = new Engine({ loading: false });
      const complaints: string[] = [];
      const run = async (...a: (string | Buffer | number | bigint)[]): Promise<Outcome> => {
        const args = B(...a);
        const out = await send(server, args);
        const why = mirror(live, args, { kind: 'same' }, out);
        if (why) complaints.push(why);
        return out;
      };
      const t0 = Date.now();
      const many = async (k: string, from: number, to: number, f: (i: number) => (string | Buffer)[]): Promise<void> => {
        for (let i = from; i <= to; i++) await run('XADD', k, `${i}-0`, ...f(i));
      };
      // IDs: <ms>-*, sequence overflow, the last possible ID, strtoull forms
      await run('XADD', 'id', '5-*', 'a', 1);
      await run('XADD', 'id', '5-*', 'a', 2);
      await run('XADD', 'id', '5', 'a', 3);
      await run('XADD', 'id', '6-3', 'a', 4);
      await run('XADD', 'id', '6-*', 'a', 5);
      await run('XADD', 'id', ' 7-1', 'a', 6);
      await run('XADD', 'id', '+8-1', 'a', 7);
      await run('XADD', 'id', '009-1', 'a', 7);
      await run('XADD', 'id', '10- 1', 'a', 7);
      await run('XADD', 'id', '10-0x', 'a', 7);
      await run('XADD', 'id', '10--1', 'a', 7);
      await run('XADD', 'id', '11-1\x00junk', 'a', 7);
      await run('XADD', 'id', '12-18446744073709551615', 'a', 8);
      await run('XADD', 'id', '12-*', 'a', 9);
      await run('XADD', 'id', '12-18446744073709551616', 'a', 9);
      await run('XADD', 'id', '18446744073709551615-18446744073709551615', 'a', 10);
      await run('XADD', 'id', '*', 'a', 11);
      await run('XADD', 'id0', '0-0', 'a', 1);
      await run('XADD', 'id0', '0-*', 'a', 1);
      await run('XADD', 'id0', 'NOMKSTREAM', '1-1', 'a', 1);
      await run('XADD', 'nomk', 'NOMKSTREAM', '1-1', 'a', 1);
      await run('XADD', 'id0', 'MAXLEN', '-1', '2-1', 'a', 1);
      await run('XADD', 'id0', 'LIMIT', '5', '2-1', 'a', 1);
      await run('XADD', 'id0', 'LIMIT', '0', '2-1', 'a', 1);
      await run('XADD', 'id0', 'MAXLEN', '1', 'LIMIT', '5', '3-1', 'a', 1);
      await run('XADD', 'id0', 'MINID', '~', '2-5', 'MAXLEN', '1', '3-1', 'a', 1);
      await run('XADD', 'id0', '4-1', 'a');
      await run('XADD', 'id0', 'MAXLEN');
      // nodes by count: 250 small entries, then approximate trims
      await many('n', 1, 250, (i) => ['f', String(i)]);
      await run('XTRIM', 'n', 'MAXLEN', '~', 120);
      await run('XTRIM', 'n', 'MAXLEN', '~', 10, 'LIMIT', 99);
      await run('XTRIM', 'n', 'MAXLEN', '~', 10, 'LIMIT', 100);
      await run('XDEL', 'n', '240-0', '245-0');
      await run('XTRIM', 'n', 'MINID', '~', '246-0');
      await run('XTRIM', 'n', 'MINID', '=', '241-0');
      await run('XADD', 'n', 'MAXLEN', '~', 0, '300-0', 'f', 'x');
      // nodes by bytes: long values, integer-encoded values, fields differing from the master's
      await many('by', 1, 90, (i) => (i % 3 === 0 ? ['f', 'v'.repeat(100 + i)] : i % 3 === 1 ? ['f', String(i * 1000003), 'g', '-17'] : ['h', 'x'.repeat(64)]));
      await run('XTRIM', 'by', 'MAXLEN', '~', 30);
      await run('XTRIM', 'by', 'MINID', '~', '70-0', 'LIMIT', 0);
      // a node emptied by XDEL goes; deleting the first entry moves first-id
      await many('del', 1, 150, (i) => ['f', String(i)]);
      await run('XDEL', 'del', ...Array.from({ length: 100 }, (_, i) => `${i + 1}-0`));
      await run('XDEL', 'del', '101-0', 'bad');
      await run('XDEL', 'del', '101-0', '999-0');
      await run('XADD', 'del', '151-0', 'f', 'x');
      await run('XTRIM', 'del', 'MAXLEN', 0);
      await run('XADD', 'del', '152-0', 'f', 'x');
      // XSETID
      await run('XSETID', 'del', '1-0');
      await run('XSETID', 'del', '200-0', 'ENTRIESADDED', 0);
      await run('XSETID', 'del', '200-0', 'MAXDELETEDID', '300-0');
      await run('XSETID', 'del', '200-0', 'ENTRIESADDED', 500, 'MAXDELETEDID', '150-0');
      await run('XSETID', 'missing', '1-0');
      await run('XSETID', 'del', '+');
      await run('XSETID', 'del', '300-0', 'ENTRIESADDED', -1);
      await run('XSETID', 'del', '300-0', 'bogus', 1);
      // groups
      await run('XGROUP', 'CREATE', 'gx', 'g', '$');
      await run('XGROUP', 'CREATE', 'gx', 'g', '$', 'MKSTREAM', 'ENTRIESREAD', 0);
      await run('XGROUP', 'CREATE', 'gx', 'g', '$', 'MKSTREAM');
      await run('XGROUP', 'CREATE', 'gx', 'g2', '0', 'ENTRIESREAD', -2);
      await run('XGROUP', 'CREATE', 'gx', 'g2', '-');
      await run('XGROUP', 'CREATE', 'gx', 'g2', '0', 'MKSTREAM', 'MKSTREAM', 'ENTRIESREAD', 1, 'ENTRIESREAD', 2);
      await run('XGROUP', 'SETID', 'gx', 'nog', '0');
      await run('XGROUP', 'SETID', 'gx', 'g', '+', 'ENTRIESREAD', 7);
      await run('XGROUP', 'SETID', 'gx', 'g', '-', 'MKSTREAM');
      await run('XGROUP', 'CREATECONSUMER', 'gx', 'g', 'c1');
      await run('XGROUP', 'CREATECONSUMER', 'gx', 'g', 'c1');
      await run('XGROUP', 'DESTROY', 'gx', 'g');
      await run('XGROUP', 'DESTROY', 'gx', 'g');
      await run('XGROUP', 'DELCONSUMER', 'gx', 'g', 'c1');
      await run('XGROUP', 'CREATE', 'nokey', 'g', '0');
      // reading: counters with and without tombstones, NOACK, history, reassignment
      await many('r', 1, 10, (i) => ['f', String(i)]);
      await run('XGROUP', 'CREATE', 'r', 'g', '0');
      await run('XGROUP', 'CREATE', 'r', 'h', '0', 'ENTRIESREAD', 0);
      await run('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', 2, 'STREAMS', 'r', '>');
      await run('XDEL', 'r', '5-0');
      await run('XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', 3, 'STREAMS', 'r', '>');
      await run('XREADGROUP', 'GROUP', 'h', 'c1', 'NOACK', 'COUNT', 4, 'STREAMS', 'r', '>');
      await run('XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 'r', '0');
      await run('XDEL', 'r', '2-0');
      await run('XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 'r', '0');
      await run('XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', 'r', '0');
      await run('XGROUP', 'SETID', 'r', 'g', '0');
      await run('XREADGROUP', 'GROUP', 'g', 'c3', 'COUNT', 2, 'STREAMS', 'r', '>');
      await run('XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', 'r', 'r', '>', '>');
      await run('XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', 'r', '$');
      await run('XREADGROUP', 'GROUP', 'nog', 'c3', 'STREAMS', 'r', '>');
      await run('XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', 'r');
      await run('XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', 'r', 's0', '>', '>');
      await run('XREADGROUP', 'GROUP', 'g', 'c3', 'BLOCK', -1, 'STREAMS', 'r', '>');
      // XACK
      await run('XACK', 'r', 'nog', 'bad');
      await run('XACK', 'r', 'g', '1-0', 'bad');
      await run('XACK', 'r', 'g', '1-0', '3-0', '3-0', '99-0');
      // XCLAIM: FORCE, deleted entries, min-idle, RETRYCOUNT, JUSTID, LASTID
      await run('XCLAIM', 'r', 'g', 'c4', 0, '4-0', '6-0');
      await run('XCLAIM', 'r', 'g', 'c4', 0, '7-0', '8-0', 'FORCE', 'TIME', 1);
      await run('XCLAIM', 'r', 'g', 'c5', '100000000000', '7-0', '8-0', '9-0', 'JUSTID', 'RETRYCOUNT', 5);
      await run('XCLAIM', 'r', 'g', 'c5', 0, '2-0', '9-0', 'FORCE', 'JUSTID', 'LASTID', '50-0');
      await run('XCLAIM', 'r', 'g', 'c5', 0, '9-0', 'IDLE', '200000000000');
      await run('XCLAIM', 'r', 'g', 'c5', 0, '9-0', 'TIME', '4000000000000');
      await run('XCLAIM', 'r', 'g', 'c5', 0, '9-0', 'bogus');
      await run('XCLAIM', 'r', 'g', 'c5', 'x', '9-0');
      await run('XCLAIM', 'r', 'nog', 'c5', 0, '9-0');
      await run('XCLAIM', 'r', 'g', 'c5', 0, 'FORCE');
      // XAUTOCLAIM
      await run('XGROUP', 'SETID', 'r', 'g', '0');
      await run('XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 'r', '>');
      await run('XDEL', 'r', '6-0', '7-0');
      await run('XAUTOCLAIM', 'r', 'g', 'c6', 0, '0', 'COUNT', 2);
      await run('XAUTOCLAIM', 'r', 'g', 'c6', 0, '(7-0', 'COUNT', 1, 'JUSTID');
      await run('XAUTOCLAIM', 'r', 'g', 'c6', '100000000000', '-');
      await run('XAUTOCLAIM', 'r', 'g', 'c7', 0, '-', 'COUNT', 100);
      await run('XAUTOCLAIM', 'r', 'g', 'c7', 0, '(18446744073709551615-18446744073709551615');
      await run('XAUTOCLAIM', 'r', 'g', 'c7', 0, '0', 'COUNT', 0);
      await run('XAUTOCLAIM', 'r', 'nog', 'c7', 0, '0');
      await run('XGROUP', 'DELCONSUMER', 'r', 'g', 'c7');
      // blocking inside MULTI is not allowed to block: nothing to serve, nothing happens
      await run('MULTI');
      await run('XREADGROUP', 'GROUP', 'g', 'c8', 'BLOCK', 0, 'STREAMS', 'r', '>');
      await run('XADD', 'r', '20-0', 'f', 'v');
      await run('XREADGROUP', 'GROUP', 'g', 'c8', 'BLOCK', 0, 'STREAMS', 'r', '>');
      await run('EXEC');
      // WRONGTYPE
      await run('SET', 's0', 'x');
      for (const c of [
        ['XADD', 's0', '1-1', 'a', 'b'],
        ['XTRIM', 's0', 'MAXLEN', 1],
        ['XDEL', 's0', '1-1'],
        ['XSETID', 's0', '1-1'],
        ['XGROUP', 'CREATE', 's0', 'g', '0', 'MKSTREAM'],
        ['XACK', 's0', 'g', '1-1'],
        ['XCLAIM', 's0', 'g', 'c', 0, '1-1'],
        ['XAUTOCLAIM', 's0', 'g', 'c', 0, '0'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's0', '>'],
      ]) {
        await run(...c);
      }
      expect(complaints).toEqual([]);
      const window = Date.now() - t0 + 1000;
      expect(await compareDb('edge cases live', server, live, 0, { pel: window, seen: window })).toBe(7);
      await checkReplay('edge cases', server);
    } finally {
      await server.stop();
    }
  });
});

describe('streams: engine-only rules', () => {
  const run = (e: Engine, ...a: (string | number)[]): void => e.apply(B(...a));

  it('the AOF client may send LIMIT with an exact trim (a rewritten ~ trim); a live client may not', () => {
    const loading = new Engine({ loading: true, now: 1000 });
    const live = new Engine({ loading: false, now: 1000 });
    for (let i = 1; i <= 5; i++) {
      run(loading, 'XADD', 's', `${i}-0`, 'f', 'v');
      run(live, 'XADD', 's', `${i}-0`, 'f', 'v');
    }
    run(loading, 'XADD', 's', 'MAXLEN', '=', 3, 'LIMIT', 100, '6-0', 'f', 'v');
    run(loading, 'XTRIM', 's', 'MINID', '=', '5-0', 'LIMIT', 100);
    expect((loading.dbs[0]!.get('s')!.value as StreamObj).length).toBe(2);
    expect(() => run(live, 'XADD', 's', 'MAXLEN', '=', 3, 'LIMIT', 100, '6-0', 'f', 'v')).toThrow(/LIMIT cannot be used without the special ~ option/);
    expect(() => run(live, 'XTRIM', 's', 'MAXLEN', 3, 'LIMIT', 100)).toThrow(/LIMIT cannot be used without the special ~ option/);
    // LIMIT without a trim strategy is an error for both
    expect(() => run(loading, 'XADD', 's', 'LIMIT', 100, '7-0', 'f', 'v')).toThrow(/without specifying a trimming strategy/);
  });

  it('auto IDs and delivery times come from the engine clock', () => {
    const e = new Engine({ loading: true, now: 5000 });
    run(e, 'XADD', 's', '*', 'f', 'v');
    run(e, 'XADD', 's', '*', 'f', 'v');
    run(e, 'XGROUP', 'CREATE', 's', 'g', '0');
    run(e, 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
    const s = e.dbs[0]!.get('s')!.value as StreamObj;
    expect(engineInfo(s)).toMatchObject({
      lastId: '5000-1',
      entries: ['5000-0|f|v', '5000-1|f|v'],
      groups: [{ name: 'g', lastId: '5000-1', entriesRead: '2', pel: [['5000-0', 'c', 5000, 1], ['5000-1', 'c', 5000, 1]], consumers: [{ name: 'c', seen: 5000 }] }],
    });
  });

  it('refuses an approximate trim that depends on node boundaries it does not know (stream from RDB data)', () => {
    const src = new Engine({ loading: true, now: 1000 });
    for (let i = 1; i <= 250; i++) run(src, 'XADD', 's', `${i}-0`, 'f', String(i));
    const entry = src.entry(0, Buffer.from('s'))!;
    const e = new Engine({ loading: true, now: 1000 });
    e.loadEntry(entry);
    const s = e.dbs[0]!.get('s')!.value as StreamObj;
    expect(s.layoutExact).toBe(false);
    expect(s.length).toBe(250);
    // nothing to trim: the outcome does not depend on the layout
    run(e, 'XTRIM', 's', 'MAXLEN', '~', 300);
    run(e, 'XTRIM', 's', 'MINID', '~', '1-0');
    run(e, 'XADD', 's', 'MAXLEN', '~', 251, '251-0', 'f', 'v');
    expect(() => run(e, 'XTRIM', 's', 'MAXLEN', '~', 100)).toThrow(UnsupportedCommandError);
    expect(() => run(e, 'XADD', 's', 'MINID', '~', '100-0', '252-0', 'f', 'v')).toThrow(UnsupportedCommandError);
    expect(s.length).toBe(251);
    // exact trims are always exact
    run(e, 'XTRIM', 's', 'MAXLEN', 100);
    expect(s.length).toBe(100);
    // COPY keeps what is known about the layout; a stream the engine built is exact
    run(src, 'COPY', 's', 't');
    run(src, 'XTRIM', 't', 'MAXLEN', '~', 100);
    expect((src.dbs[0]!.get('t')!.value as StreamObj).length).toBe(150);
  });
});
