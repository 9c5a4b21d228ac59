// The engine against a real redis-server: a seeded random workload (test/helpers/workload-gen.ts)
// goes to a server with appendonly yes (aof-use-rdb-preamble no and yes, one BGREWRITEAOF
// halfway so the AOF has a base and an incr file). Two engines must end with the server's
// DEBUG DIGEST and keys per db:
//  - a live-mode engine fed the client's own commands as they are sent; it must refuse exactly
//    the commands the server refused (error replies), so every argument check is proven too;
//  - `redkit replay` of the AOF the server wrote (after SHUTDOWN), i.e. the propagated forms.
//
// REDKIT_DIFFTEST_SEEDS (default 2) and REDKIT_DIFFTEST_COMMANDS (default 4000) scale it. With
// every command family in the workload, 1500 commands a seed left rare error paths of some
// base commands unexercised, and the coverage check at the end failed.

import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { EngineError } from '../../src/engine/errors.js';
import { DatasetDigest, digestValue } from '../../src/engine/digest.js';
import { replayToMemory } from '../../src/commands/replay.js';
import type { Reply } from '../../src/io/redis-client.js';
import { ReplyError } from '../../src/codec/resp-reply.js';
import { printableKey } from '../../src/model/errors.js';
import type { KeyEntry } from '../../src/model/value.js';
import { redisAvailable, startRedis, startWithFiles, warnIfNoRedis, type RedisServer } from '../helpers/redis-server.js';
import { scanInput } from '../../src/io/scan.js';
import { resolveInput } from '../../src/io/source.js';
import { generateWorkload, workloadSize, type Cmd, type Mirror, type Step } from '../helpers/workload-gen.js';

const HAVE_REDIS = redisAvailable();
warnIfNoRedis('test/engine/difftest.test.ts (the engine against a real Redis)');

const SEEDS = Number(process.env['REDKIT_DIFFTEST_SEEDS'] ?? 2);
const COMMANDS = Number(process.env['REDKIT_DIFFTEST_COMMANDS'] ?? 4000);
const FIRST_SEED = Number(process.env['REDKIT_DIFFTEST_FIRST_SEED'] ?? 1);

/** the dbs the workload touches (SELECT 0-3, MOVE/COPY also to 15) */
const DBS = [0, 1, 2, 3, 15];

type Outcome = { ok: true; reply: Reply } | { ok: false; error: string };

const show = (args: Cmd): string =>
  args
    .map((a) => `'${printableKey(a, 40)}'`)
    .join(' ')
    .slice(0, 300);

function digestOf(entries: Iterable<KeyEntry>, now: number): { digest: string; keysPerDb: Record<string, number> } {
  const d = new DatasetDigest({ compat: '7.0', now });
  for (const e of entries) d.add(e);
  return { digest: d.hex(), keysPerDb: d.keysPerDb() };
}

/** Across the whole file: per command, how often the server accepted it and it changed the
 * data (or the function libraries), and how often both refused it. */
const effective = new Map<string, number>();
const refused = new Map<string, number>();
const replayed = new Map<string, number>();
const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

const nameOf = (args: Cmd): string => {
  const n = args[0]!.toString('latin1').toUpperCase();
  return n === 'FUNCTION' || n === 'SCRIPT' ? `${n} ${args[1]!.toString('latin1').toUpperCase()}` : n;
};

/** What a command can have changed: the selected db, db sizes, the keys its arguments name
 * (value digest and exact TTL, in every db), the function libraries. */
function fingerprint(e: Engine, args: Cmd): string {
  const parts = [String(e.selectedDb), e.dbs.map((d) => d.size).join(','), [...e.functions.keys()].sort().join(',')];
  for (const a of args.slice(1)) {
    for (let i = 0; i < e.databases; i++) {
      const en = e.entry(i, a);
      if (en) parts.push(`${i}:${digestValue(en, { compat: '7.0' })}:${en.expireMs}`);
    }
  }
  return parts.join('|');
}

/** Mirror one step's outcome into the live-mode engine; returns a complaint or undefined. */
function mirrorInto(engine: Engine, args: Cmd, mirror: Mirror, out: Outcome): string | undefined {
  if (mirror.kind === 'same' || (mirror.kind === 'spop' && !out.ok && args[0]!.toString().toUpperCase() === 'SPOP')) {
    let err: unknown;
    const before = fingerprint(engine, args);
    try {
      engine.apply(args.map((a) => Buffer.from(a)));
    } catch (e) {
      err = e;
    }
    if (out.ok && err === undefined && fingerprint(engine, args) !== before) bump(effective, nameOf(args));
    if (!out.ok && err !== undefined) bump(refused, nameOf(args));
    if (err !== undefined && !(err instanceof EngineError)) return `engine could not apply ${show(args)}: ${(err as Error).message}`;
    if (out.ok && err) return `the server accepted ${show(args)} but the engine refused it: ${(err as Error).message}`;
    if (!out.ok && !err) return `the server refused ${show(args)} (${out.error}) but the engine accepted it`;
    return undefined;
  }
  if (mirror.kind === 'fromReply') {
    if (!out.ok) return mirrorInto(engine, args, { kind: 'same' }, out);
    const before = fingerprint(engine, args);
    for (const c of mirror.build(out.reply)) {
      try {
        engine.apply(c.map((a) => Buffer.from(a)));
      } catch (e) {
        return `the server accepted ${show(args)} but the engine refused ${show(c)} (derived from its reply): ${(e as Error).message}`;
      }
    }
    if (fingerprint(engine, args) !== before) bump(effective, nameOf(args));
    return undefined;
  }
  if (mirror.kind === 'spop') {
    if (!out.ok) return undefined;
    const r = out.reply;
    const members = r === null ? [] : Array.isArray(r) ? (r as Buffer[]) : [r as Buffer];
    if (members.length > 0) {
      engine.apply([Buffer.from('SREM'), Buffer.from(mirror.key), ...members.map((m) => Buffer.from(m))]);
      bump(effective, nameOf(args) === 'SPOP' ? 'SPOP (as SREM)' : 'EVAL SPOP (as SREM)');
    }
    return undefined;
  }
  if (mirror.onlyIfOk && !out.ok) return undefined;
  if (mirror.cmds.length > 0) bump(effective, `${nameOf(args)} (effects)`);
  for (const c of mirror.cmds) {
    try {
      engine.apply(c.map((a) => Buffer.from(a)));
    } catch (e) {
      if (e instanceof EngineError) break;
      throw e;
    }
  }
  return undefined;
}

/** Send the steps in pipelined batches; mirror each outcome in order. */
async function runWorkload(server: RedisServer, steps: Step[], live: Engine): Promise<{ complaints: string[]; errors: number; sent: number }> {
  const c = server.client;
  const complaints: string[] = [];
  let errors = 0;
  let sent = 0;
  const settle = (p: Promise<Reply>): Promise<Outcome> =>
    p.then(
      (reply) => ({ ok: true as const, reply }),
      (e: Error) => ({ ok: false as const, error: e.message }),
    );
  let i = 0;
  while (i < steps.length) {
    const s = steps[i]!;
    if (s.kind === 'rewrite') {
      await server.rewriteAof();
      i++;
      continue;
    }
    if (s.kind === 'restore') {
      const payload = (await c.call('DUMP', s.src)) as Buffer | null;
      const args = s.build(payload);
      const out = await settle(c.call(...args));
      sent += 2;
      if (!out.ok) errors++;
      const why = mirrorInto(live, args, { kind: 'same' }, out);
      if (why) complaints.push(why);
      i++;
      continue;
    }
    const batch: { step: Step; outcome: Promise<Outcome>; inner?: Promise<Outcome>[] }[] = [];
    while (i < steps.length && batch.length < BATCH && steps[i]!.kind !== 'rewrite' && steps[i]!.kind !== 'restore') {
      const st = steps[i++]!;
      if (st.kind === 'cmd') {
        batch.push({ step: st, outcome: settle(c.call(...st.args)) });
        sent++;
      } else if (st.kind === 'multi') {
        const m = settle(c.call('MULTI'));
        const inner = st.cmds.map((x) => settle(c.call(...x.args)));
        batch.push({ step: st, outcome: settle(c.call('EXEC')), inner: [m, ...inner] });
        sent += st.cmds.length + 2;
      }
    }
    for (const b of batch) {
      const out = await b.outcome;
      if (b.step.kind === 'cmd') {
        if (!out.ok) errors++;
        const why = mirrorInto(live, b.step.args, b.step.mirror, out);
        if (why) complaints.push(why);
      } else if (b.step.kind === 'multi') {
        const queued = await Promise.all(b.inner!);
        const bad = queued.find((q) => !q.ok);
        if (bad || !out.ok || !Array.isArray(out.reply)) {
          complaints.push(`MULTI block was refused: ${bad && !bad.ok ? bad.error : !out.ok ? out.error : 'no EXEC array'}`);
          continue;
        }
        const replies = out.reply as Reply[];
        b.step.cmds.forEach((x, j) => {
          const r = replies[j]!;
          const o: Outcome = r instanceof ReplyError ? { ok: false, error: r.message } : { ok: true, reply: r };
          if (!o.ok) errors++;
          const why = mirrorInto(live, x.args, x.mirror, o);
          if (why) complaints.push(`(in MULTI) ${why}`);
        });
      }
    }
    if (complaints.length > 0) break;
    // checkpoint: the data must be equal after every batch, not only at the end
    await expireEverything(server);
    const expected = await server.digest();
    const expectedKeys = await server.keysPerDb();
    const now = Date.now();
    const entries = [...live.entries({ now })];
    // raw key counts too: an empty collection left behind is invisible to the digest
    const mine = digestOf(entries, now).digest;
    const mineKeys = JSON.stringify(live.keysPerDb(now));
    if (mine !== expected || mineKeys !== JSON.stringify(expectedKeys)) {
      const cmds = batch.flatMap((x) => (x.step.kind === 'cmd' ? [show(x.step.args)] : x.step.kind === 'multi' ? ['MULTI', ...x.step.cmds.map((c) => show(c.args)), 'EXEC'] : []));
      complaints.push(
        `after this batch the live engine differs from the server (digest ${mine} vs ${expected}, keys ${mineKeys} vs ${JSON.stringify(expectedKeys)}):\n  ${cmds.join('\n  ')}\nkeys:\n  ${(await diffKeys(server, entries, now)).join('\n  ')}`,
      );
      break;
    }
  }
  return { complaints, errors, sent };
}

/** commands sent before each checkpoint */
const BATCH = 25;

/** SCAN every db so the server deletes (and logs DEL for) keys whose TTL has passed. */
async function expireEverything(server: RedisServer): Promise<void> {
  const c = await server.connect();
  try {
    for (const db of DBS) {
      await c.call('SELECT', db);
      let cursor = '0';
      do {
        const r = (await c.call('SCAN', cursor, 'COUNT', 1000)) as Reply[];
        cursor = (r[0] as Buffer).toString();
      } while (cursor !== '0');
    }
  } finally {
    await c.close();
  }
}

/** Keys whose DEBUG DIGEST-VALUE differs between the server and the entries (diagnostics). */
async function diffKeys(server: RedisServer, entries: KeyEntry[], now: number): Promise<string[]> {
  const out: string[] = [];
  const mine = new Map<string, KeyEntry>();
  for (const e of entries) if (!(e.expireMs !== -1 && e.expireMs < now)) mine.set(`${e.db}:${e.key.toString('latin1')}`, e);
  const theirs = new Set<string>();
  const c = await server.connect();
  try {
    for (const db of DBS) {
      await c.call('SELECT', db);
      const keys = (await c.call('KEYS', '*')) as Buffer[];
      for (const k of keys) {
        const id = `${db}:${k.toString('latin1')}`;
        theirs.add(id);
        const e = mine.get(id);
        const d = ((await c.call('DEBUG', 'DIGEST-VALUE', k)) as Buffer[])[0]!.toString();
        if (!e) out.push(`db${db} '${printableKey(k)}': only on the server`);
        else if (digestValue(e, { compat: '7.0', now }) !== d) out.push(`db${db} '${printableKey(k)}': differs (${e.value.type})`);
      }
    }
  } finally {
    await c.close();
  }
  for (const [id] of mine) if (!theirs.has(id)) out.push(`${id}: only in the engine`);
  return out.slice(0, 20);
}

describe.skipIf(!HAVE_REDIS)('engine vs redis-server: seeded workloads, live commands and the AOF', () => {
  const seeds = Array.from({ length: SEEDS }, (_, i) => FIRST_SEED + i);
  for (const seed of seeds) {
    for (const preamble of ['no', 'yes'] as const) {
      it(`seed ${seed}, aof-use-rdb-preamble ${preamble}`, { timeout: 120_000 }, async () => {
        const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': preamble } });
        try {
          const steps = generateWorkload(seed * 2 + (preamble === 'yes' ? 1 : 0), { commands: COMMANDS });
          const live = new Engine({ loading: false });
          const { complaints, errors, sent } = await runWorkload(server, steps, live);
          expect(complaints.slice(0, 10), 'engine and server disagree').toEqual([]);
          // the workload must mostly succeed, and also exercise the error paths
          expect(errors).toBeGreaterThan(0);
          expect(errors).toBeLessThan(workloadSize(steps) * 0.3);

          await expireEverything(server);
          const expected = await server.digest();
          const expectedKeys = await server.keysPerDb();

          const now = Date.now();
          const liveEntries = [...live.entries({ now })];
          const mine = digestOf(liveEntries, now);
          if (mine.digest !== expected) {
            const diff = await diffKeys(server, liveEntries, now);
            expect.fail(`live engine digest ${mine.digest} != server ${expected}\n${diff.join('\n')}`);
          }
          expect(mine.keysPerDb).toEqual(expectedKeys);

          await server.shutdown();
          const { report, engine } = await replayToMemory(server.aofDirPath, { now: Date.now(), digestCompat: '7.0' });
          expect(report.problems.filter((p) => p.severity === 'error'), JSON.stringify(report.problems)).toEqual([]);
          expect(report.exitCode).toBe(0);
          if (report.digest !== expected) {
            // which keys differ from the live engine (which matched the server)
            const a = new Map(liveEntries.map((e) => [`${e.db}:${e.key.toString('latin1')}`, digestValue(e, { compat: '7.0', now })]));
            const diffs: string[] = [];
            for (const e of engine!.entries({ now })) {
              const id = `${e.db}:${e.key.toString('latin1')}`;
              if (a.get(id) !== digestValue(e, { compat: '7.0', now })) diffs.push(`${id} (${e.value.type})`);
              a.delete(id);
            }
            for (const id of a.keys()) diffs.push(`${id}: missing after replay`);
            expect.fail(`replayed AOF digest ${report.digest} != server ${expected}\n${diffs.slice(0, 20).join('\n')}`);
          }
          expect(report.keysPerDb).toEqual(expectedKeys);
          // the AOF holds the propagated forms: a good share of the engine's command table
          expect(report.commands).toBeGreaterThan(COMMANDS / 4);
          for (const [n, k] of Object.entries(report.commandsByName)) bump(replayed, n, k);
          console.log(
            `seed ${seed} preamble ${preamble}: ${sent} commands sent (${errors} refused by both), AOF replay applied ${report.commands} commands + ${report.rdbKeys} RDB keys; digest ${expected}`,
          );
        } finally {
          await server.stop();
        }
      });
    }
  }

  it('TTLs that pass before the replay: the engine loads as Redis loads (nothing expires while loading)', { timeout: 60_000 }, async () => {
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    let loaded: RedisServer | undefined;
    try {
      const c = server.client;
      await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', 0); // no DEL for k and l before the shutdown
      await c.call('SET', 'k', 'v', 'PX', 1500); // logged as SET k v PXAT <t>
      await c.call('APPEND', 'k', 'x'); // k was alive then: "vx", with its TTL
      await c.call('RPUSH', 'l', 'a');
      await c.call('PEXPIRE', 'l', 1500);
      await c.call('RPUSH', 'l', 'b');
      await c.call('SET', 'gone', 'v', 'PX', 200);
      await new Promise((r) => setTimeout(r, 300));
      await c.call('GET', 'gone'); // lazily expired: the server logs a DEL
      await c.call('SET', 'gone', 'new');
      await c.call('HSET', 'h', 'f', 'v');
      await new Promise((r) => setTimeout(r, 1700)); // now k and l have expired too
      await server.shutdown();

      // a fresh server loads the AOF; touching every key settles the expiries
      loaded = await startWithFiles({ aofDir: server.aofDirPath });
      await expireEverything(loaded);
      const expected = await loaded.digest();
      const now = Date.now();
      const { report } = await replayToMemory(server.aofDirPath, { now, digestCompat: '7.0' });
      expect([report.exitCode, report.digest, report.keysPerDb]).toEqual([0, expected, await loaded.keysPerDb()]);
      expect(report.keysPerDb).toEqual({ '0': 2 }); // gone and h

      // an engine that expired keys while replaying would recreate k as "x" and l as [b]
      const wrong = new Engine({ loading: false, now });
      await scanInput(await resolveInput(server.aofDirPath), { fileStart: () => wrong.beginFile(), command: (rec) => wrong.apply(rec.args()) });
      expect(digestOf(wrong.entries({ now }), now).digest).not.toBe(expected);
    } finally {
      await loaded?.stop();
      await server.stop();
    }
  });

  it.skipIf(SEEDS * COMMANDS < 2000)('every command was proven: accepted and effective, and refused where it should be', () => {
    const show = (m: Map<string, number>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`effective (server accepted, the data changed): ${show(effective)}`);
    console.log(`refused by both: ${show(refused)}`);
    console.log(`replayed from the AOFs: ${show(replayed)}`);
    const missing = PROVEN.filter((n) => !effective.has(n));
    expect(missing, 'commands the workload never made change anything').toEqual([]);
    const neverRefused = MUST_REFUSE.filter((n) => !refused.has(n));
    expect(neverRefused, 'commands whose error paths were never exercised').toEqual([]);
    // the propagated forms: what a 7.0 server writes into its AOF, replayed by the engine
    for (const n of ['SET', 'DEL', 'PEXPIREAT', 'RPUSH', 'SADD', 'SREM', 'HSET', 'MULTI', 'EXEC', 'SELECT', 'LPOP', 'RPOP', 'LMOVE', 'FUNCTION', 'RESTORE', 'ZADD', 'ZPOPMIN', 'ZUNIONSTORE']) {
      expect(replayed.get(n) ?? 0, `${n} replayed from an AOF`).toBeGreaterThan(0);
    }
  });
});

/** Commands that must have changed the data at least once across the run. */
const PROVEN = [
  'SET', 'SETNX', 'SETEX', 'PSETEX', 'MSET', 'MSETNX', 'APPEND', 'INCR', 'DECR', 'INCRBY', 'DECRBY', 'INCRBYFLOAT',
  'GETSET', 'GETDEL', 'GETEX', 'SETRANGE', 'SETBIT', 'BITOP', 'BITFIELD',
  'DEL', 'UNLINK', 'EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT', 'PERSIST', 'RENAME', 'RENAMENX', 'MOVE', 'COPY', 'RESTORE',
  'SELECT', 'SWAPDB', 'FLUSHDB', 'FLUSHALL', 'FUNCTION LOAD', 'FUNCTION DELETE',
  'LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX', 'LINSERT', 'LSET', 'LREM', 'LTRIM', 'LPOP', 'RPOP', 'RPOPLPUSH', 'LMOVE', 'LMPOP',
  'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BLMPOP',
  'SADD', 'SREM', 'SMOVE', 'SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE', 'SPOP (as SREM)',
  'HSET', 'HMSET', 'HSETNX', 'HDEL', 'HINCRBY', 'HINCRBYFLOAT',
  'EVAL (effects)', 'FCALL (effects)', 'EVAL SPOP (as SREM)',
  'ZADD', 'ZINCRBY', 'ZREM', 'ZREMRANGEBYSCORE', 'ZREMRANGEBYLEX', 'ZREMRANGEBYRANK', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE',
  'ZRANGESTORE', 'ZPOPMIN', 'ZPOPMAX', 'ZMPOP', 'BZPOPMIN', 'BZPOPMAX', 'BZMPOP',
];

/** Commands whose error replies must have been met (and matched) at least once. */
const MUST_REFUSE = [
  'SET', 'SETEX', 'PSETEX', 'MSET', 'INCR', 'INCRBY', 'DECRBY', 'INCRBYFLOAT', 'GETEX', 'SETRANGE', 'SETBIT', 'BITOP', 'BITFIELD',
  'EXPIRE', 'PEXPIRE', 'RENAME', 'MOVE', 'COPY', 'RESTORE', 'SELECT', 'FUNCTION DELETE',
  'LPUSH', 'LINSERT', 'LSET', 'LPOP', 'LMOVE', 'LMPOP', 'BLPOP', 'SADD', 'SPOP', 'SINTERSTORE', 'HSET', 'HINCRBY', 'HINCRBYFLOAT',
  'ZADD', 'ZINCRBY', 'ZREMRANGEBYSCORE', 'ZREMRANGEBYLEX', 'ZREMRANGEBYRANK', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE', 'ZRANGESTORE',
  'ZPOPMIN', 'ZMPOP', 'BZPOPMIN',
];
