#!/usr/bin/env node
// redkit benchmark: generates large AOF/RDB inputs into bench/out/ and measures `redkit check`
// against redis-check-aof, redis-check-rdb and redis-server loading the same files, in the
// same run, plus peak RSS (memory flatness). See bench/README.md.
//
//   node bench/run.mjs            # full size (~1 GB AOF, ~600 MB RDB), reuses existing inputs
//   node bench/run.mjs --quick    # ~50 MB inputs in bench/out/quick/, for smoke testing
//   node bench/run.mjs --regen    # regenerate the inputs even when they exist
//   node bench/run.mjs --runs 5   # runs per measured command (default 3; median time, max RSS)
//   node bench/run.mjs --no-server  # skip the redis-server load reference rows
//   node bench/run.mjs --strict   # exit 1 when a performance target is missed, too
//
// Exit code: 0 when every check passed (redkit exit codes, key and command counts), 1 when one
// failed (or, with --strict, when a target is missed), 2 on a setup error.
//
// Plain Node ESM with no dependencies: it needs redis-server, redis-cli, redis-check-aof,
// redis-check-rdb and python3 on PATH, and a built dist/ (`npm run bench` builds it first).

import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// options and paths

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const REDKIT = path.join(ROOT, 'bin', 'redkit');
const HOST = '127.0.0.1';

// bump when the generators change in a way that changes their output
const GEN_VERSION = 1;

function parseArgs(argv) {
  const o = { quick: false, regen: false, runs: 3, server: true, strict: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--regen') o.regen = true;
    else if (a === '--no-server') o.server = false;
    else if (a === '--strict') o.strict = true;
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) o.runs = Number(a.slice(7));
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 17).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else {
      throw new SetupError(`unknown option ${a} (try --help)`);
    }
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new SetupError('--runs needs a positive integer');
  return o;
}

class SetupError extends Error {}

const MB = 1e6; // throughput and file sizes: 10^6 bytes
const MiB = 1024 * 1024; // peak RSS

function sizesFor(quick) {
  return quick
    ? { aof: 50 * MB, aofSmall: 12.5 * MB, rdb: 50 * MB, rdbSmall: 12.5 * MB }
    : { aof: 1000 * MB, aofSmall: 250 * MB, rdb: 600 * MB, rdbSmall: 150 * MB };
}

// ---------------------------------------------------------------------------------------------
// logging and formatting

const T0 = Date.now();
function log(msg) {
  const s = ((Date.now() - T0) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${msg}\n`);
}
const fmtMB = (b) => (b / MB).toFixed(1);
const fmtS = (s) => (s >= 100 ? s.toFixed(1) : s >= 10 ? s.toFixed(2) : s.toFixed(3));

// ---------------------------------------------------------------------------------------------
// child processes: every server (and every measured command) is tracked and killed on exit

const live = new Set(); // ChildProcess spawned detached (own process group)

function killTree(cp, sig = 'SIGKILL') {
  if (cp.exitCode !== null || cp.signalCode !== null) return;
  try {
    process.kill(-cp.pid, sig); // the whole group: python wrapper and the server under it
  } catch {
    try {
      cp.kill(sig);
    } catch {
      /* gone */
    }
  }
}
function killAll() {
  for (const cp of live) killTree(cp);
  live.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping servers`);
    killAll();
    process.exit(130);
  });
}

/** spawn in its own process group, tracked until it exits */
function spawnTracked(cmd, args, opts = {}) {
  const cp = spawn(cmd, args, { ...opts, detached: true });
  live.add(cp);
  cp.on('exit', () => live.delete(cp));
  cp.on('error', () => live.delete(cp));
  return cp;
}

function waitExit(cp) {
  return new Promise((resolve, reject) => {
    if (cp.exitCode !== null || cp.signalCode !== null) return resolve({ code: cp.exitCode, signal: cp.signalCode });
    cp.once('error', reject);
    cp.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

async function which(cmd) {
  try {
    const { stdout } = await execFileP('sh', ['-c', `command -v ${cmd}`]);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// measurement: each command under a python3 wrapper that reports wall time and the peak RSS of
// its children (ru_maxrss of RUSAGE_CHILDREN), so C tools and Node are measured the same way

const WRAPPER = `
import json, resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
r = subprocess.run(cmd)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, 'w') as f:
    json.dump({"rc": r.returncode, "wall": wall, "maxrss_kb": ru.ru_maxrss, "utime": ru.ru_utime, "stime": ru.ru_stime}, f)
`;

let PYTHON = 'python3';
let WORK = null; // bench/out/tmp-*: scratch (same filesystem as the outputs, so renames work)

let measureSeq = 0;
/**
 * Run argv under the wrapper; collect stdout/stderr (up to a cap). `onStdout` sees stdout
 * as it arrives (used to follow a server's log). Resolves with wrapper stats and the output.
 */
function runMeasured(argv, { onStdout, onStart } = {}) {
  const resFile = path.join(WORK, `measure-${process.pid}-${++measureSeq}.json`);
  const cp = spawnTracked(PYTHON, ['-c', WRAPPER, resFile, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const cap = 1 << 20;
  let out = '';
  let err = '';
  cp.stdout.setEncoding('utf8');
  cp.stderr.setEncoding('utf8');
  cp.stdout.on('data', (d) => {
    if (out.length < cap) out += d;
    onStdout?.(d, cp);
  });
  cp.stderr.on('data', (d) => {
    if (err.length < cap) err += d;
  });
  onStart?.(cp);
  return waitExit(cp).then(async ({ code, signal }) => {
    let stats;
    try {
      stats = JSON.parse(await fsp.readFile(resFile, 'utf8'));
      await fsp.rm(resFile, { force: true });
    } catch {
      throw new Error(`measurement wrapper failed (exit ${code ?? signal}) for ${argv.join(' ')}: ${err.slice(-2000)}`);
    }
    return { rc: stats.rc, wall: stats.wall, rssMiB: stats.maxrss_kb / 1024, utime: stats.utime, stime: stats.stime, stdout: out, stderr: err };
  });
}

/** busy CPU seconds of the whole machine so far (all cores), from /proc/stat; null elsewhere */
function machineBusySeconds() {
  try {
    const f = fs.readFileSync('/proc/stat', 'latin1');
    const v = f.slice(0, f.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] || 0);
    return busy / 100; // USER_HZ
  } catch {
    return null;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** read a file once so every tool starts with it in the page cache */
async function warmCache(file) {
  const fh = await fsp.open(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    while ((await fh.read(buf, 0, buf.length, null)).bytesRead > 0);
  } finally {
    await fh.close();
  }
}

/**
 * Run a command `runs` times under the wrapper. Returns median wall time, max peak RSS, every
 * sample, and the last run's output.
 */
async function bench(label, argv, runs, afterEach = () => {}) {
  return (await benchInterleaved([{ label, argv, afterEach }], runs))[0];
}

/**
 * Run several commands `runs` times each, in turn (A, B, A, B, ...), so that each sees the
 * same state of the machine: on a VM whose speed drifts by 10-20% over minutes, a ratio of two
 * commands measured minutes apart carries that drift. One result per command, as bench().
 */
async function benchInterleaved(commands, runs) {
  const state = commands.map(() => ({ samples: [], last: undefined }));
  for (let i = 0; i < runs; i++) {
    for (let c = 0; c < commands.length; c++) {
      const { label, argv, afterEach = () => {} } = commands[c];
      const st = state[c];
      await measureOnce(label, argv, afterEach, i, runs, st);
    }
  }
  return state.map(({ samples, last }) => ({
    median: median(samples.map((s) => s.wall)),
    rssMiB: Math.max(...samples.map((s) => s.rssMiB)),
    cpu: median(samples.map((s) => s.cpu)),
    foreignShare: Math.max(...samples.map((s) => (s.foreign === null ? 0 : s.foreign / s.wall))),
    exitCodes: samples.map((s) => s.rc),
    samples,
    last,
  }));
}

async function measureOnce(label, argv, afterEach, i, runs, st) {
  const samples = st.samples;
  {
    const busy0 = machineBusySeconds();
    const r = await runMeasured(argv);
    afterEach();
    const busy1 = machineBusySeconds();
    const cpu = r.utime + r.stime;
    // CPU time other processes used meanwhile (other users of the machine): noise
    const foreign = busy0 === null || busy1 === null ? null : Math.max(0, busy1 - busy0 - cpu);
    samples.push({ wall: r.wall, rssMiB: r.rssMiB, rc: r.rc, cpu, foreign });
    st.last = r;
    log(`  ${label} run ${i + 1}/${runs}: ${fmtS(r.wall)} s (CPU ${fmtS(cpu)} s), peak RSS ${r.rssMiB.toFixed(1)} MiB, exit ${r.rc}${foreign !== null && foreign > 0.1 * r.wall ? `; other processes used ${fmtS(foreign)} CPU s meanwhile` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// deterministic PRNG and data pools

function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    // mulberry32
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n) => Math.floor((next() / 4294967296) * n); // [0, n)
  const range = (lo, hi) => lo + int(hi - lo + 1); // [lo, hi]
  const chance = (p) => next() / 4294967296 < p;
  /** log-uniform integer in [lo, hi] */
  const logRange = (lo, hi) => Math.floor(Math.exp(Math.log(lo) + (next() / 4294967296) * (Math.log(hi + 1) - Math.log(lo))));
  return { next, int, range, chance, logRange };
}

const ALNUM = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');

/** incompressible-for-LZF printable bytes */
function randomPool(rng, size) {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = ALNUM[rng.next() % 62];
  return b;
}

/** text-like bytes from a small vocabulary: LZF compresses these to roughly half */
function textPool(rng, size) {
  const words = [];
  for (let i = 0; i < 400; i++) {
    const n = rng.range(2, 10);
    let w = '';
    for (let j = 0; j < n; j++) w += String.fromCharCode(97 + rng.int(26));
    words.push(Buffer.from(w));
  }
  const seps = [Buffer.from(' '), Buffer.from(' '), Buffer.from(' '), Buffer.from(', '), Buffer.from('. '), Buffer.from('":"'), Buffer.from('","')];
  const b = Buffer.allocUnsafe(size);
  let p = 0;
  while (p < size) {
    const w = words[rng.int(words.length)];
    const s = seps[rng.int(seps.length)];
    p += w.copy(b, p);
    if (p < size) p += s.copy(b, p);
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// buffered RESP writer: encodes straight into one big Buffer, flushed with writeSync

const CR = 13;
const LF = 10;

function digits(n) {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

class RespOut {
  constructor(fd, rng, pools, cap = 8 << 20) {
    this.fd = fd;
    this.rng = rng;
    this.pools = pools; // { rand: Buffer, text: Buffer }
    this.buf = Buffer.allocUnsafe(cap);
    this.cap = cap;
    this.pos = 0;
    this.written = 0;
  }
  get offset() {
    return this.written + this.pos;
  }
  flush() {
    let off = 0;
    while (off < this.pos) off += fs.writeSync(this.fd, this.buf, off, this.pos - off);
    this.written += this.pos;
    this.pos = 0;
  }
  room(n) {
    if (this.pos + n > this.cap) {
      this.flush();
      if (n > this.cap) throw new Error(`item of ${n} bytes does not fit the ${this.cap}-byte buffer`);
    }
  }
  // non-negative integer, room already ensured
  _uint(n) {
    const d = digits(n);
    let p = this.pos + d - 1;
    const b = this.buf;
    do {
      const q = Math.floor(n / 10);
      b[p--] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
    this.pos += d;
  }
  _crlf() {
    this.buf[this.pos++] = CR;
    this.buf[this.pos++] = LF;
  }
  bytes(b) {
    this.room(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }
  /** `*n\r\n` */
  arr(n) {
    this.room(24);
    this.buf[this.pos++] = 42;
    this._uint(n);
    this._crlf();
  }
  _bulkHead(len) {
    this.room(len + 26);
    this.buf[this.pos++] = 36;
    this._uint(len);
    this._crlf();
  }
  /** a pre-encoded bulk (see enc()) */
  name(b) {
    this.bytes(b);
  }
  bulkBuf(b) {
    this._bulkHead(b.length);
    this.pos += b.copy(this.buf, this.pos);
    this._crlf();
  }
  /** integer as a bulk string (may be negative) */
  bulkInt(n) {
    const neg = n < 0;
    const a = neg ? -n : n;
    this._bulkHead(digits(a) + (neg ? 1 : 0));
    if (neg) this.buf[this.pos++] = 45;
    this._uint(a);
    this._crlf();
  }
  /** `<int>.<2 digits>` as a bulk string */
  bulkDecimal(i, frac) {
    this._bulkHead(digits(i) + 3);
    this._uint(i);
    this.buf[this.pos++] = 46;
    this.buf[this.pos++] = 48 + Math.floor(frac / 10);
    this.buf[this.pos++] = 48 + (frac % 10);
    this._crlf();
  }
  /** prefix + decimal n, e.g. key `s:123` */
  bulkKey(prefix, n) {
    this._bulkHead(prefix.length + digits(n));
    this.pos += prefix.copy(this.buf, this.pos);
    this._uint(n);
    this._crlf();
  }
  /** `len` random bytes (or text-like ones) from a pool */
  bulkPool(len, text = false) {
    const pool = text ? this.pools.text : this.pools.rand;
    const off = this.rng.int(pool.length - len);
    this._bulkHead(len);
    this.pos += pool.copy(this.buf, this.pos, off, off + len);
    this._crlf();
  }
  /** raw line, e.g. `#TS:...\r\n` */
  line(prefix, n) {
    this.room(prefix.length + 24);
    this.pos += prefix.copy(this.buf, this.pos);
    this._uint(n);
    this._crlf();
  }
}

/** pre-encoded `$len\r\nNAME\r\n` */
const enc = (s) => Buffer.from(`$${s.length}\r\n${s}\r\n`);
const K = (s) => Buffer.from(s);
const EMPTY = Buffer.alloc(0);

const C = Object.fromEntries(
  ['SELECT', 'SET', 'INCR', 'RPUSH', 'LPUSH', 'SADD', 'HSET', 'ZADD', 'PEXPIREAT', 'MULTI', 'EXEC', 'EXPIRE', 'EX', 'XADD', 'XGROUP', 'CREATE', 'XREADGROUP', 'GROUP', 'COUNT', 'STREAMS', '>', '0'].map((n) => [
    n,
    enc(n),
  ]),
);

// ---------------------------------------------------------------------------------------------
// AOF generator: a RESP AOF written directly, that a real Redis 7.0 loads

const FAR_FUTURE_MS = 4102444800000; // 2100-01-01: PEXPIREAT targets never expire during the run

/**
 * Write `target` bytes of AOF to `file`. Returns the byte offset of the first top-level command
 * boundary at or after `cutAt` and the command counts up to there and in total.
 */
function generateAof(file, target, cutAt, seed) {
  const rng = makeRng(seed);
  const pools = { rand: randomPool(rng, 16 << 20), text: textPool(rng, 16 << 20) };
  const fd = fs.openSync(file, 'w');
  const w = new RespOut(fd, rng, pools);
  const counts = Object.create(null);
  const count = (n) => (counts[n] = (counts[n] ?? 0) + 1);
  let cut = null;
  let db = 0;
  let ts = 1700000000;
  let nextTs = 0;
  const TS = K('#TS:');
  const P = { s: K('s:'), b: K('b:'), c: K('c:'), l: K('l:'), t: K('t:'), h: K('h:'), z: K('z:'), f: K('f:'), m: K('m:') };

  const select = (n) => {
    w.arr(2);
    w.name(C.SELECT);
    w.bulkInt(n);
    count('SELECT');
    db = n;
  };
  const setShort = () => {
    w.arr(3);
    w.name(C.SET);
    w.bulkKey(P.s, rng.int(2_000_000));
    if (rng.chance(0.2)) w.bulkInt(rng.int(1_000_000));
    else w.bulkPool(rng.range(8, 64), rng.chance(0.3));
    count('SET');
  };
  const setBig = () => {
    w.arr(3);
    w.name(C.SET);
    w.bulkKey(P.b, rng.int(150_000));
    w.bulkPool(rng.range(1024, 4096), rng.chance(0.5));
    count('SET');
  };
  const incr = () => {
    w.arr(2);
    w.name(C.INCR);
    w.bulkKey(P.c, rng.int(100_000));
    count('INCR');
  };
  const push = (name) => {
    const n = rng.range(2, 8);
    w.arr(2 + n);
    w.name(C[name]);
    w.bulkKey(P.l, rng.int(50_000));
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.25)) w.bulkInt(rng.int(100_000));
      else w.bulkPool(rng.range(5, 40));
    }
    count(name);
  };
  const sadd = () => {
    const n = rng.range(2, 6);
    w.arr(2 + n);
    w.name(C.SADD);
    w.bulkKey(P.t, rng.int(50_000));
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.5)) w.bulkInt(rng.int(1_000_000));
      else w.bulkPool(rng.range(6, 24));
    }
    count('SADD');
  };
  const hset = () => {
    const n = rng.range(2, 6);
    w.arr(2 + 2 * n);
    w.name(C.HSET);
    w.bulkKey(P.h, rng.int(100_000));
    for (let i = 0; i < n; i++) {
      w.bulkKey(P.f, rng.int(40));
      if (rng.chance(0.3)) w.bulkInt(rng.int(100_000));
      else w.bulkPool(rng.range(4, 48), rng.chance(0.3));
    }
    count('HSET');
  };
  const zadd = () => {
    const n = rng.range(1, 5);
    w.arr(2 + 2 * n);
    w.name(C.ZADD);
    w.bulkKey(P.z, rng.int(50_000));
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.5)) w.bulkInt(rng.int(10_000_000));
      else w.bulkDecimal(rng.int(100_000), rng.int(100));
      w.bulkKey(P.m, rng.int(1_000_000));
    }
    count('ZADD');
  };
  const pexpireat = () => {
    w.arr(3);
    w.name(C.PEXPIREAT);
    if (rng.chance(0.5)) w.bulkKey(P.s, rng.int(2_000_000));
    else w.bulkKey(P.h, rng.int(100_000));
    w.bulkInt(FAR_FUTURE_MS + rng.int(1_000_000_000));
    count('PEXPIREAT');
  };
  // weights per command (by count); SET big is ~45% of the bytes
  const table = [
    [setShort, 30],
    [setBig, 5],
    [incr, 10],
    [() => push('RPUSH'), 10],
    [() => push('LPUSH'), 5],
    [sadd, 8],
    [hset, 10],
    [zadd, 8],
    [pexpireat, 3],
  ];
  const pick = [];
  for (const [fn, wt] of table) for (let i = 0; i < wt; i++) pick.push(fn);
  const one = () => pick[rng.int(pick.length)]();

  select(0);
  while (w.offset < target) {
    // everything here starts at a top-level command boundary
    if (cut === null && w.offset >= cutAt) cut = { offset: w.offset, counts: { ...counts } };
    if (w.offset >= nextTs) {
      w.line(TS, ts);
      ts += 1 + rng.int(3);
      nextTs += 1 << 20;
    }
    const r = rng.int(10_000);
    if (r < 40) {
      // switch db (0 most of the time)
      const to = rng.chance(0.5) ? 0 : rng.range(1, 3);
      if (to !== db) select(to);
    } else if (r < 45) {
      w.arr(1);
      w.name(C.MULTI);
      count('MULTI');
      const n = rng.range(2, 4);
      for (let i = 0; i < n; i++) (i % 2 ? incr : one)();
      w.arr(1);
      w.name(C.EXEC);
      count('EXEC');
    } else {
      one();
    }
  }
  w.flush();
  fs.closeSync(fd);
  if (cut === null) cut = { offset: w.offset, counts: { ...counts } };
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const cutTotal = Object.values(cut.counts).reduce((a, b) => a + b, 0);
  return { size: w.offset, commands: total, commandsByName: counts, cut: { offset: cut.offset, commands: cutTotal, commandsByName: cut.counts } };
}

// ---------------------------------------------------------------------------------------------
// RDB command stream generator: commands for redis-cli --pipe that build a dataset whose RDB
// is about `target` bytes, with every Redis 7.0 type and encoding

// Byte shares of the estimated RDB size per kind of key.
const RDB_SHARES = {
  smallString: 0.3,
  bigString: 0.15,
  list: 0.2,
  set: 0.1,
  hash: 0.15,
  zset: 0.08,
  stream: 0.02,
};
// Measured ratio of real RDB size to the estimate below (calibrated on a quick run); the
// estimate is deliberately simple.
const RDB_EST_FACTOR = 1.0;

function generateRdbStream(file, target, seed) {
  const rng = makeRng(seed);
  const pools = { rand: randomPool(rng, 16 << 20), text: textPool(rng, 32 << 20) };
  const fd = fs.openSync(file, 'w');
  const w = new RespOut(fd, rng, pools, 16 << 20);
  const est = Object.fromEntries(Object.keys(RDB_SHARES).map((k) => [k, 0]));
  const keysOf = Object.fromEntries(Object.keys(RDB_SHARES).map((k) => [k, 0]));
  let commands = 0;
  let keys = 0;
  let estTotal = 0;
  let db = 0;
  let dbLeft = 0;
  const P = { s: K('s:'), g: K('g:'), l: K('l:'), t: K('t:'), h: K('h:'), z: K('z:'), x: K('x:'), f: K('f:'), m: K('m:'), e: K('e:') };
  const KEYLEN = 10; // typical key length in the estimate

  const ttl = (prefix, id) => {
    w.arr(3);
    w.name(C.EXPIRE);
    w.bulkKey(prefix, id);
    w.bulkInt(rng.range(86_400, 31_536_000)); // 1 day .. 1 year: nothing expires during the run
    commands++;
    return 9;
  };
  /** a random element: small int, or random/text bytes of the given length range; returns est bytes */
  const elem = (lo, hi, pInt = 0.2, pText = 0.2) => {
    if (rng.chance(pInt)) {
      const v = rng.int(100_000);
      w.bulkInt(v);
      return 4;
    }
    const len = rng.range(lo, hi);
    w.bulkPool(len, rng.chance(pText));
    return len + 1;
  };

  const kinds = {
    smallString: () => {
      const id = keys;
      const withTtl = rng.chance(0.1);
      w.arr(withTtl ? 5 : 3);
      w.name(C.SET);
      w.bulkKey(P.s, id);
      let e = KEYLEN + 2;
      if (rng.chance(0.2)) {
        w.bulkInt(rng.int(1_000_000_000));
        e += 5;
      } else if (rng.chance(0.25)) {
        const len = rng.range(30, 200);
        w.bulkPool(len, true);
        e += len * 0.6 + 4;
      } else {
        const len = rng.range(10, 100);
        w.bulkPool(len);
        e += len + 1;
      }
      if (withTtl) {
        w.name(C.EX);
        w.bulkInt(rng.range(86_400, 31_536_000));
        e += 9;
      }
      commands++;
      return e;
    },
    bigString: () => {
      const id = keys;
      const len = rng.logRange(10_000, 600_000);
      const text = rng.chance(0.5);
      w.arr(3);
      w.name(C.SET);
      w.bulkKey(P.g, id);
      w.bulkPool(len, text);
      commands++;
      let e = KEYLEN + 6 + (text ? len * 0.55 : len);
      if (rng.chance(0.1)) e += ttl(P.g, id);
      return e;
    },
    list: () => {
      const id = keys;
      const r = rng.int(100);
      let n;
      let lo = 5;
      let hi = 60;
      let huge = 0;
      if (r < 80) n = rng.range(5, 100);
      else if (r < 98) n = rng.logRange(1_000, 30_000);
      else {
        n = rng.range(50, 500);
        huge = rng.range(3, 20); // elements over 8 KB: PLAIN quicklist nodes
      }
      let e = KEYLEN + 4;
      let left = n;
      while (left > 0) {
        const b = Math.min(left, 200);
        w.arr(2 + b);
        w.name(rng.chance(0.2) ? C.LPUSH : C.RPUSH);
        w.bulkKey(P.l, id);
        for (let i = 0; i < b; i++) {
          if (huge > 0 && rng.chance(0.05)) {
            huge--;
            const len = rng.range(10_000, 40_000);
            w.bulkPool(len);
            e += len + 12;
          } else e += elem(lo, hi) + 1;
        }
        commands++;
        left -= b;
      }
      e += Math.ceil(n / 128) * 12;
      if (rng.chance(0.05)) e += ttl(P.l, id);
      return e;
    },
    set: () => {
      const id = keys;
      const r = rng.int(100);
      let e = KEYLEN + 4;
      let n;
      let kind;
      if (r < 40) {
        n = rng.range(16, 512); // intset
        kind = 'int';
      } else if (r < 70) {
        n = rng.range(5, 100);
        kind = 'str';
      } else {
        n = rng.logRange(1_000, 10_000);
        kind = rng.chance(0.2) ? 'bigint' : 'str'; // > 512 ints: hashtable of ints
      }
      const width = rng.chance(0.5) ? 2 : rng.chance(0.7) ? 4 : 8;
      const max = width === 2 ? 32_000 : width === 4 ? 2_000_000_000 : 9_000_000_000_000;
      let left = n;
      while (left > 0) {
        const b = Math.min(left, 200);
        w.arr(2 + b);
        w.name(C.SADD);
        w.bulkKey(P.t, id);
        for (let i = 0; i < b; i++) {
          if (kind === 'str') {
            const len = rng.range(8, 30);
            w.bulkPool(len);
            e += len + 1;
          } else {
            w.bulkInt(rng.int(max));
            e += kind === 'int' ? width : 6;
          }
        }
        commands++;
        left -= b;
      }
      if (rng.chance(0.05)) e += ttl(P.t, id);
      return e;
    },
    hash: () => {
      const id = keys;
      const big = rng.chance(0.3);
      const n = big ? rng.logRange(200, 3_000) : rng.range(5, 120);
      const longVals = big && rng.chance(0.3);
      let e = KEYLEN + 4;
      let left = n;
      let f = 0;
      while (left > 0) {
        const b = Math.min(left, 100);
        w.arr(2 + 2 * b);
        w.name(C.HSET);
        w.bulkKey(P.h, id);
        for (let i = 0; i < b; i++) {
          w.bulkKey(P.f, f++);
          e += 6 + 2;
          if (longVals) {
            const len = rng.range(100, 500);
            w.bulkPool(len, rng.chance(0.3));
            e += len + 2;
          } else e += elem(1, 60, 0.3, 0.2) + 1;
        }
        commands++;
        left -= b;
      }
      if (rng.chance(0.05)) e += ttl(P.h, id);
      return e;
    },
    zset: () => {
      const id = keys;
      const big = rng.chance(0.4);
      const n = big ? rng.logRange(200, 5_000) : rng.range(5, 120);
      let e = KEYLEN + 4;
      let left = n;
      let m = 0;
      while (left > 0) {
        const b = Math.min(left, 100);
        w.arr(2 + 2 * b);
        w.name(C.ZADD);
        w.bulkKey(P.z, id);
        for (let i = 0; i < b; i++) {
          if (rng.chance(0.5)) w.bulkInt(rng.int(10_000_000));
          else w.bulkDecimal(rng.int(100_000), rng.int(100));
          w.bulkKey(P.m, m++);
          e += big ? 8 + 8 : 7 + 8;
        }
        commands++;
        left -= b;
      }
      if (rng.chance(0.05)) e += ttl(P.z, id);
      return e;
    },
    stream: () => {
      const id = keys;
      const n = rng.logRange(100, 5_000);
      let e = KEYLEN + 40;
      let ms = 1_700_000_000_000 + rng.int(1_000_000);
      const F = [K('temp'), K('hum'), K('device'), K('msg')];
      for (let i = 0; i < n; i++) {
        ms += 1 + rng.int(1000);
        const nf = 2 + (i % 3 === 0 ? 2 : 0);
        w.arr(3 + 2 * nf);
        w.name(C.XADD);
        w.bulkKey(P.x, id);
        w.bulkKey(EMPTY, ms); // "<ms>" as an explicit ID (seq 0)
        for (let j = 0; j < nf; j++) {
          w.bulkBuf(F[j]);
          if (j < 2) {
            w.bulkInt(rng.int(10_000));
            e += 4;
          } else {
            const len = rng.range(8, 40);
            w.bulkPool(len, j === 3);
            e += len + 2 + (nf === 4 ? 6 : 0);
          }
        }
        e += 6;
        commands++;
      }
      if (rng.chance(0.3)) {
        const groups = rng.range(1, 2);
        for (let g = 0; g < groups; g++) {
          w.arr(5);
          w.name(C.XGROUP);
          w.name(C.CREATE);
          w.bulkKey(P.x, id);
          w.bulkKey(K('g'), g);
          w.name(C['0']);
          commands++;
          const cnt = rng.range(10, 200);
          w.arr(9);
          w.name(C.XREADGROUP);
          w.name(C.GROUP);
          w.bulkKey(K('g'), g);
          w.bulkKey(K('c'), rng.int(3));
          w.name(C.COUNT);
          w.bulkInt(cnt);
          w.name(C.STREAMS);
          w.bulkKey(P.x, id);
          w.name(C['>']);
          commands++;
          e += 40 + cnt * 30;
        }
      }
      return e;
    },
  };

  const order = Object.keys(RDB_SHARES);
  while (estTotal * RDB_EST_FACTOR < target) {
    if (dbLeft-- <= 0) {
      const r = rng.int(100);
      const to = r < 70 ? 0 : r < 85 ? 1 : r < 95 ? 2 : 3;
      dbLeft = rng.range(500, 5_000);
      if (to !== db) {
        w.arr(2);
        w.name(C.SELECT);
        w.bulkInt(to);
        commands++;
        db = to;
      }
    }
    // the kind furthest below its byte share goes next
    let best = order[0];
    let bestRatio = Infinity;
    for (const k of order) {
      const ratio = est[k] / RDB_SHARES[k];
      if (ratio < bestRatio) {
        bestRatio = ratio;
        best = k;
      }
    }
    const e = kinds[best]();
    est[best] += e;
    estTotal += e;
    keysOf[best]++;
    keys++;
  }
  w.flush();
  fs.closeSync(fd);
  return { streamBytes: w.offset, commands, keys, keysByKind: keysOf, estimatedRdbBytes: Math.round(estTotal * RDB_EST_FACTOR) };
}

// ---------------------------------------------------------------------------------------------
// redis-server helpers

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function cli(port, ...args) {
  const { stdout } = await execFileP('redis-cli', ['-h', HOST, '-p', String(port), ...args], { maxBuffer: 64 << 20 });
  return stdout;
}

async function keyspace(port) {
  const info = await cli(port, 'INFO', 'keyspace');
  const perDb = {};
  let total = 0;
  for (const m of info.matchAll(/^db(\d+):keys=(\d+),expires=(\d+)/gm)) {
    perDb[m[1]] = { keys: Number(m[2]), expires: Number(m[3]) };
    total += Number(m[2]);
  }
  return { total, perDb };
}

/**
 * Start redis-server (optionally under the measuring wrapper) in `dir` on a free port; resolves
 * once it logs "Ready to accept connections". Returns { port, cp, log(), done } where done is the
 * measurement promise when measured.
 */
async function startServer(dir, extraArgs, { measured = false, readyTimeoutMs = 30 * 60_000 } = {}) {
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', HOST,
    '--dir', dir,
    '--save', '',
    '--daemonize', 'no',
    '--logfile', '',
    '--protected-mode', 'yes',
    ...extraArgs,
  ];
  let logText = '';
  let cp;
  let done;
  const ready = new Promise((resolve, reject) => {
    const onOut = (d) => {
      logText += d;
      if (/Ready to accept connections/.test(logText)) resolve();
    };
    if (measured) {
      done = runMeasured(['redis-server', ...args], { onStdout: (d) => onOut(d), onStart: (c) => (cp = c) });
      done.then(
        () => reject(new Error(`redis-server exited before it was ready:\n${logText.slice(-3000)}`)),
        reject,
      );
    } else {
      cp = spawnTracked('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      cp.stdout.setEncoding('utf8');
      cp.stdout.on('data', onOut);
      cp.stderr.setEncoding('utf8');
      cp.stderr.on('data', (d) => (logText += d));
      cp.once('error', reject);
      cp.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${logText.slice(-3000)}`)));
    }
  });
  let to;
  try {
    await Promise.race([
      ready,
      new Promise((_, rej) => (to = setTimeout(() => rej(new Error('redis-server did not become ready in time')), readyTimeoutMs))),
    ]);
  } catch (e) {
    if (cp) killTree(cp);
    throw e;
  } finally {
    clearTimeout(to);
  }
  return { port, cp, done, log: () => logText };
}

async function stopServer(srv) {
  try {
    await cli(srv.port, 'SHUTDOWN', 'NOSAVE');
  } catch {
    /* the connection drops as the server exits */
  }
  const exited = srv.done ?? waitExit(srv.cp);
  let to;
  const timeout = new Promise((resolve) => (to = setTimeout(() => resolve('timeout'), 60_000)));
  const r = await Promise.race([exited.catch((e) => e), timeout]);
  clearTimeout(to);
  if (r === 'timeout') {
    killTree(srv.cp);
    await exited.catch(() => {});
  }
  return srv.done ? await srv.done : undefined;
}

// ---------------------------------------------------------------------------------------------
// inputs: generate or reuse

async function statSize(p) {
  try {
    return (await fsp.stat(p)).size;
  } catch {
    return -1;
  }
}
async function readJson(p) {
  try {
    return JSON.parse(await fsp.readFile(p, 'utf8'));
  } catch {
    return null;
  }
}

/** copy the first `n` bytes of src to dst */
async function copyPrefix(src, dst, n) {
  const rfd = fs.openSync(src, 'r');
  const wfd = fs.openSync(dst, 'w');
  const buf = Buffer.allocUnsafe(8 << 20);
  let done = 0;
  try {
    while (done < n) {
      const got = fs.readSync(rfd, buf, 0, Math.min(buf.length, n - done), done);
      if (got <= 0) throw new Error(`short read from ${src}`);
      let off = 0;
      while (off < got) off += fs.writeSync(wfd, buf, off, got - off);
      done += got;
    }
  } finally {
    fs.closeSync(rfd);
    fs.closeSync(wfd);
  }
}

async function ensureAof(outDir, sizes, regen) {
  const file = path.join(outDir, 'bench.aof');
  const small = path.join(outDir, 'bench-small.aof');
  const metaFile = path.join(outDir, 'bench.aof.meta.json');
  const seed = 0xa0f5eed;
  const meta = await readJson(metaFile);
  if (
    !regen &&
    meta &&
    meta.genVersion === GEN_VERSION &&
    meta.target === sizes.aof &&
    meta.smallTarget === sizes.aofSmall &&
    (await statSize(file)) === meta.size &&
    (await statSize(small)) === meta.small.size
  ) {
    log(`reusing ${path.relative(ROOT, file)} (${fmtMB(meta.size)} MB) and ${path.basename(small)} (${fmtMB(meta.small.size)} MB)`);
    return { file, small, meta, generated: false };
  }
  await fsp.rm(metaFile, { force: true });
  log(`generating ${path.relative(ROOT, file)} (~${fmtMB(sizes.aof)} MB)...`);
  const t = performance.now();
  const g = generateAof(file, sizes.aof, sizes.aofSmall, seed);
  const secs = (performance.now() - t) / 1000;
  log(`  ${fmtMB(g.size)} MB, ${g.commands} commands in ${secs.toFixed(1)} s (${fmtMB(g.size / secs)} MB/s)`);
  await copyPrefix(file, small, g.cut.offset);
  log(`  ${path.basename(small)}: first ${fmtMB(g.cut.offset)} MB (${g.cut.commands} commands, cut at a command boundary)`);
  const m = {
    genVersion: GEN_VERSION,
    seed,
    target: sizes.aof,
    smallTarget: sizes.aofSmall,
    size: g.size,
    commands: g.commands,
    commandsByName: g.commandsByName,
    small: { size: g.cut.offset, commands: g.cut.commands, commandsByName: g.cut.commandsByName },
    generatedAt: new Date().toISOString(),
    generateSeconds: secs,
  };
  await fsp.writeFile(metaFile, JSON.stringify(m, null, 2) + '\n');
  return { file, small, meta: m, generated: true };
}

/** build one RDB with a real redis-server fed through redis-cli --pipe */
async function buildRdb(dest, target, seed) {
  const dir = await fsp.mkdtemp(path.join(WORK, 'rdb-'));
  try {
    const streamFile = path.join(dir, 'commands.resp');
    log(`generating the command stream for ${path.basename(dest)} (RDB ~${fmtMB(target)} MB)...`);
    let t = performance.now();
    const g = generateRdbStream(streamFile, target, seed);
    const genSecs = (performance.now() - t) / 1000;
    log(`  ${fmtMB(g.streamBytes)} MB, ${g.commands} commands, ${g.keys} keys in ${genSecs.toFixed(1)} s`);

    const srv = await startServer(dir, ['--appendonly', 'no']);
    try {
      log(`  redis-server on port ${srv.port}; loading with redis-cli --pipe...`);
      const fd = fs.openSync(streamFile, 'r');
      t = performance.now();
      const pipe = spawnTracked('redis-cli', ['-h', HOST, '-p', String(srv.port), '--pipe'], { stdio: [fd, 'pipe', 'pipe'] });
      let out = '';
      pipe.stdout.setEncoding('utf8');
      pipe.stderr.setEncoding('utf8');
      pipe.stdout.on('data', (d) => (out += d));
      pipe.stderr.on('data', (d) => (out += d));
      const { code } = await waitExit(pipe);
      const pipeSecs = (performance.now() - t) / 1000;
      fs.closeSync(fd);
      const m = /errors: (\d+), replies: (\d+)/.exec(out);
      if (code !== 0 || !m || m[1] !== '0') throw new Error(`redis-cli --pipe failed (exit ${code}):\n${out.slice(-2000)}`);
      log(`  redis-cli --pipe: ${fmtS(pipeSecs)} s, ${m[2]} replies, ${fmtMB(g.streamBytes / pipeSecs)} MB/s`);
      const ks = await keyspace(srv.port);
      if (ks.total !== g.keys) throw new Error(`server has ${ks.total} keys, the generator made ${g.keys}`);
      log(`  DBSIZE total ${ks.total}; SAVE...`);
      t = performance.now();
      const saved = (await cli(srv.port, 'SAVE')).trim();
      if (saved !== 'OK') throw new Error(`SAVE answered ${saved}`);
      const saveSecs = (performance.now() - t) / 1000;
      const usedMemory = Number(/used_memory:(\d+)/.exec(await cli(srv.port, 'INFO', 'memory'))?.[1] ?? NaN);
      await stopServer(srv);
      await fsp.rename(path.join(dir, 'dump.rdb'), dest);
      const size = await statSize(dest);
      log(`  ${path.basename(dest)}: ${fmtMB(size)} MB (estimate was ${fmtMB(g.estimatedRdbBytes)} MB; SAVE ${fmtS(saveSecs)} s)`);
      return {
        size,
        seed,
        target,
        keys: ks.total,
        keysPerDb: ks.perDb,
        expires: Object.values(ks.perDb).reduce((a, d) => a + d.expires, 0),
        keysByKind: g.keysByKind,
        commands: g.commands,
        streamBytes: g.streamBytes,
        estimatedRdbBytes: g.estimatedRdbBytes,
        generateSeconds: genSecs,
        pipe: { seconds: pipeSecs, replies: Number(m[2]), mbPerSec: g.streamBytes / MB / pipeSecs },
        saveSeconds: saveSecs,
        serverUsedMemory: usedMemory,
      };
    } finally {
      killTree(srv.cp);
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function ensureRdb(outDir, sizes, regen) {
  const file = path.join(outDir, 'bench.rdb');
  const small = path.join(outDir, 'bench-small.rdb');
  const metaFile = path.join(outDir, 'bench.rdb.meta.json');
  const meta = await readJson(metaFile);
  if (
    !regen &&
    meta &&
    meta.genVersion === GEN_VERSION &&
    meta.target === sizes.rdb &&
    meta.smallTarget === sizes.rdbSmall &&
    (await statSize(file)) === meta.large.size &&
    (await statSize(small)) === meta.small.size
  ) {
    log(`reusing ${path.relative(ROOT, file)} (${fmtMB(meta.large.size)} MB) and ${path.basename(small)} (${fmtMB(meta.small.size)} MB)`);
    return { file, small, meta, generated: false };
  }
  await fsp.rm(metaFile, { force: true });
  const large = await buildRdb(file, sizes.rdb, 0x5eed0001);
  const smallMeta = await buildRdb(small, sizes.rdbSmall, 0x5eed0002);
  const m = {
    genVersion: GEN_VERSION,
    target: sizes.rdb,
    smallTarget: sizes.rdbSmall,
    redis: (await execFileP('redis-server', ['--version'])).stdout.trim(),
    generatedAt: new Date().toISOString(),
    large,
    small: smallMeta,
  };
  await fsp.writeFile(metaFile, JSON.stringify(m, null, 2) + '\n');
  return { file, small, meta: m, generated: true };
}

// ---------------------------------------------------------------------------------------------
// measurements

/** redis-server loading a file: the time it logs for the load, its peak RSS, DBSIZE after */
async function serverLoad(kind, file, runs) {
  const samples = [];
  let keys = null;
  for (let i = 0; i < runs; i++) {
    const dir = await fsp.mkdtemp(path.join(WORK, 'load-'));
    try {
      let args;
      if (kind === 'aof') {
        const ad = path.join(dir, 'appendonlydir');
        await fsp.mkdir(ad);
        await fsp.link(file, path.join(ad, 'appendonly.aof.1.base.aof'));
        await fsp.writeFile(path.join(ad, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.aof seq 1 type b\n');
        args = ['--appendonly', 'yes', '--appendfilename', 'appendonly.aof', '--appenddirname', 'appendonlydir'];
      } else {
        await fsp.link(file, path.join(dir, 'dump.rdb'));
        args = ['--appendonly', 'no', '--dbfilename', 'dump.rdb'];
      }
      const srv = await startServer(dir, [...args, '--enable-debug-command', 'yes'], { measured: true });
      let ks;
      let usedMemory = NaN;
      let digest = null;
      let digestSecs = NaN;
      try {
        ks = await keyspace(srv.port);
        usedMemory = Number(/used_memory:(\d+)/.exec(await cli(srv.port, 'INFO', 'memory'))?.[1] ?? NaN);
        // timed: `redkit replay` loads and digests, so the server's own digest of the same
        // dataset is the like-for-like half of the reference (informative, see the table notes)
        const t0 = performance.now();
        digest = (await cli(srv.port, 'DEBUG', 'DIGEST')).trim();
        digestSecs = (performance.now() - t0) / 1000;
      } catch (e) {
        await stopServer(srv);
        throw e;
      }
      const st = await stopServer(srv);
      const re = kind === 'aof' ? /DB loaded from append only file: ([\d.]+) seconds/ : /DB loaded from disk: ([\d.]+) seconds/;
      const m = re.exec(srv.log());
      if (!m) throw new Error(`no load time in the redis-server log:\n${srv.log().slice(-3000)}`);
      const secs = Number(m[1]);
      samples.push({ wall: secs, rssMiB: st.rssMiB, keys: ks.total, usedMemory, digest, digestSecs });
      log(`  redis-server load ${path.basename(file)} run ${i + 1}/${runs}: ${fmtS(secs)} s, peak RSS ${st.rssMiB.toFixed(1)} MiB, ${ks.total} keys; then DEBUG DIGEST ${fmtS(digestSecs)} s`);
      if (keys !== null && keys !== ks.total) throw new Error(`redis-server loaded ${keys} then ${ks.total} keys from ${file}`);
      keys = ks.total;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
  return {
    median: median(samples.map((s) => s.wall)),
    rssMiB: Math.max(...samples.map((s) => s.rssMiB)),
    samples,
    keys,
    usedMemory: Math.max(...samples.map((s) => s.usedMemory)),
    digest: samples[0]?.digest ?? null,
    digestMedian: median(samples.map((s) => s.digestSecs)),
  };
}

function redkitArgv(file, json = false) {
  return [process.execPath, REDKIT, 'check', '--no-progress', ...(json ? ['--json'] : []), file];
}

/** one extra `--json` run for the numbers redkit reports */
async function redkitJson(file) {
  const r = await runMeasured(redkitArgv(file, true));
  let doc = null;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    /* reported below */
  }
  return { rc: r.rc, doc, wall: r.wall, rssMiB: r.rssMiB, stderr: r.stderr };
}

/** which redkit build was measured: git HEAD, uncommitted source files, a hash of dist/ */
async function buildIdentity() {
  const id = { gitHead: null, uncommittedSourceFiles: null, distSha1: null, distNewestMtime: null };
  try {
    id.gitHead = (await execFileP('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
    const st = (await execFileP('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT })).stdout;
    id.uncommittedSourceFiles = st.split('\n').filter(Boolean).length;
  } catch {
    /* not a git checkout */
  }
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) files.push(p);
    }
  };
  walk(path.join(ROOT, 'dist'));
  files.sort();
  const h = createHash('sha1');
  let newest = 0;
  for (const f of files) {
    h.update(path.relative(ROOT, f));
    h.update(fs.readFileSync(f));
    newest = Math.max(newest, fs.statSync(f).mtimeMs);
  }
  id.distSha1 = h.digest('hex').slice(0, 12);
  id.distNewestMtime = new Date(newest).toISOString();
  return id;
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const sizes = sizesFor(opts.quick);
  const outDir = path.join(ROOT, 'bench', 'out', ...(opts.quick ? ['quick'] : []));
  await fsp.mkdir(outDir, { recursive: true });

  const missing = [];
  for (const t of ['redis-server', 'redis-cli', 'redis-check-aof', 'redis-check-rdb', 'python3']) if (!(await which(t))) missing.push(t);
  if (missing.length) throw new SetupError(`not on PATH: ${missing.join(', ')}`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new SetupError('dist/cli.js is missing: run `npm run build` (or `npm run bench`)');
  // resolve the real interpreter once (a pyenv shim would add a shell to every measurement)
  PYTHON = (await execFileP('python3', ['-c', 'import sys; print(sys.executable)'])).stdout.trim() || 'python3';

  WORK = await fsp.mkdtemp(path.join(outDir, 'tmp-'));
  process.on('exit', () => {
    try {
      fs.rmSync(WORK, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  });

  const redisVersion = (await execFileP('redis-server', ['--version'])).stdout.trim();
  const build = await buildIdentity();
  log(`${opts.quick ? 'QUICK' : 'FULL'} benchmark, ${opts.runs} run(s) per command; outputs in ${path.relative(ROOT, outDir)}/`);
  log(`node ${process.version}; ${redisVersion}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`);

  // 1. inputs
  const aof = await ensureAof(outDir, sizes, opts.regen);
  const rdb = await ensureRdb(outDir, sizes, opts.regen);

  const rows = [];
  const checks = []; // { what, ok, detail }
  const addCheck = (what, ok, detail) => {
    checks.push({ what, ok, detail });
    log(`  check: ${what}: ${ok ? 'ok' : 'FAILED'}${detail ? ` (${detail})` : ''}`);
  };
  const row = (tool, file, size, r, extra = {}) => {
    const o = {
      tool,
      file: path.relative(ROOT, file),
      sizeBytes: size,
      medianSeconds: r.median,
      medianCpuSeconds: r.cpu ?? null,
      mbPerSec: size / MB / r.median,
      peakRssMiB: r.rssMiB,
      samples: r.samples.map((s) => ({
        seconds: s.wall,
        peakRssMiB: s.rssMiB,
        ...(s.cpu !== undefined ? { cpuSeconds: s.cpu, otherProcessesCpuSeconds: s.foreign } : {}),
        ...(s.rc !== undefined ? { exitCode: s.rc } : {}),
      })),
      noisy: (r.foreignShare ?? 0) > 0.1,
      ...extra,
    };
    rows.push(o);
    return o;
  };

  const files = {
    aof: { path: aof.file, size: aof.meta.size },
    aofSmall: { path: aof.small, size: aof.meta.small.size },
    rdb: { path: rdb.file, size: rdb.meta.large.size },
    rdbSmall: { path: rdb.small, size: rdb.meta.small.size },
  };
  for (const f of Object.values(files)) await warmCache(f.path);

  // 2. AOF
  log('measuring redis-check-aof on bench.aof...');
  const refAof = await bench('redis-check-aof', ['redis-check-aof', files.aof.path], opts.runs);
  addCheck('redis-check-aof accepts bench.aof', refAof.exitCodes.every((c) => c === 0) && /is valid/.test(refAof.last.stdout), refAof.last.stdout.trim().split('\n').slice(-2).join(' | '));
  const refAofRow = row('redis-check-aof', files.aof.path, files.aof.size, refAof, { role: 'reference' });

  log('measuring redkit check on bench.aof...');
  const rkAof = await bench('redkit check', redkitArgv(files.aof.path), opts.runs);
  log('measuring redkit check on bench-small.aof...');
  const rkAofSmall = await bench('redkit check (small)', redkitArgv(files.aofSmall.path), opts.runs);

  let srvAof = null;
  if (opts.server) {
    log('measuring redis-server loading bench.aof...');
    srvAof = await serverLoad('aof', files.aof.path, opts.runs);
  }

  // 2b. replay (issue 6): the engine loading bench.aof, against redis-server loading it (time)
  // and the server's used_memory for the same dataset (peak RSS); the digest must be the server's
  log('measuring redkit replay on bench.aof (the in-memory engine)...');
  const replayArgv = (f) => [process.execPath, REDKIT, '--json', 'replay', '--no-progress', '--digest-compat', '7.0', f];
  const rkReplay = await bench('redkit replay', replayArgv(files.aof.path), opts.runs);
  addCheck('redkit replay exits 0 on bench.aof', rkReplay.exitCodes.every((c) => c === 0), rkReplay.last.stderr.slice(-500));
  let replayDoc = null;
  try {
    replayDoc = JSON.parse(rkReplay.last.stdout);
  } catch {
    /* reported by the checks below */
  }
  if (srvAof) {
    addCheck('redkit replay digest of bench.aof = redis-server DEBUG DIGEST', replayDoc?.digest === srvAof.digest, `redkit ${replayDoc?.digest}, server ${srvAof.digest}`);
    addCheck('redkit replay keys of bench.aof = redis-server keys', replayDoc?.keys === srvAof.keys, `redkit ${replayDoc?.keys}, server ${srvAof.keys}`);
  }

  // 3. RDB
  log('measuring redis-check-rdb on bench.rdb...');
  const refRdb = await bench('redis-check-rdb', ['redis-check-rdb', files.rdb.path], opts.runs);
  addCheck('redis-check-rdb accepts bench.rdb', refRdb.exitCodes.every((c) => c === 0) && /RDB looks OK/.test(refRdb.last.stdout), refRdb.last.stdout.trim().split('\n').slice(-2).join(' | '));
  const refRdbRow = row('redis-check-rdb', files.rdb.path, files.rdb.size, refRdb, { role: 'reference' });

  log('measuring redkit check on bench.rdb...');
  const rkRdb = await bench('redkit check', redkitArgv(files.rdb.path), opts.runs);
  log('measuring redkit check on bench-small.rdb...');
  const rkRdbSmall = await bench('redkit check (small)', redkitArgv(files.rdbSmall.path), opts.runs);

  let srvRdb = null;
  if (opts.server) {
    log('measuring redis-server loading bench.rdb...');
    srvRdb = await serverLoad('rdb', files.rdb.path, opts.runs);
  }

  // 3b. convert (issue 5): RDB -> AOF and RDB -> JSON, each against redis-check-rdb's time
  const convertRows = [];
  for (const [fmt, ext, factor] of [
    ['aof', 'aof', 1.4],
    ['json', 'jsonl', 5],
  ]) {
    for (const [label, f] of [
      ['', files.rdb],
      [' (small)', files.rdbSmall],
    ]) {
      const out = path.join(WORK, `convert.${ext}`);
      const argv = [process.execPath, REDKIT, 'convert', '--no-progress', f.path, out];
      const clean = () => fs.rmSync(out, { force: true });
      let r;
      let ref = refRdb;
      if (label) {
        log(`measuring redkit convert to ${fmt} on ${path.basename(f.path)}...`);
        r = await bench(`redkit convert ${fmt}${label}`, argv, opts.runs, clean);
      } else {
        // the ratio's reference is measured in turn with it (see benchInterleaved)
        log(`measuring redkit convert to ${fmt} on ${path.basename(f.path)}, in turn with redis-check-rdb...`);
        [ref, r] = await benchInterleaved(
          [
            { label: 'redis-check-rdb', argv: ['redis-check-rdb', f.path] },
            { label: `redkit convert ${fmt}`, argv, afterEach: clean },
          ],
          opts.runs,
        );
        log(`  redis-check-rdb in turn with it: median ${fmtS(ref.median)} s (measured alone earlier: ${fmtS(refRdb.median)} s)`);
      }
      addCheck(`redkit convert ${fmt} exits 0 on ${path.basename(f.path)}`, r.exitCodes.every((c) => c === 0), r.last.stderr.slice(-500));
      if (label) {
        row(`redkit convert ${fmt}`, f.path, f.size, r, { role: 'memory' });
        convertRows.push({ fmt, small: r });
        continue;
      }
      const ratio = r.median / ref.median;
      convertRows.push({
        fmt,
        row: row(`redkit convert ${fmt}`, f.path, f.size, r, {
          role: 'subject',
          reference: 'redis-check-rdb',
          referenceSeconds: ref.median,
          slowdown: ratio,
          target: `time <= ${factor}x redis-check-rdb, peak RSS < 200 MiB`,
          targetMet: ratio <= factor && r.rssMiB < 200,
        }),
        large: r,
      });
    }
  }

  // 4. what redkit reports (one --json run per file) and its exit codes
  log('checking what redkit reports (--json)...');
  const rkAofRow = row('redkit check', files.aof.path, files.aof.size, rkAof, {
    role: 'subject',
    reference: 'redis-check-aof',
    speedup: refAof.median / rkAof.median,
    target: 'speedup >= 5x',
    targetMet: refAof.median / rkAof.median >= 5,
  });
  const rkAofSmallRow = row('redkit check', files.aofSmall.path, files.aofSmall.size, rkAofSmall, { role: 'memory' });
  const rkRdbRow = row('redkit check', files.rdb.path, files.rdb.size, rkRdb, {
    role: 'subject',
    reference: 'redis-check-rdb',
    speedup: refRdb.median / rkRdb.median,
    target: 'speedup >= 1x (no slower)',
    targetMet: refRdb.median / rkRdb.median >= 1,
  });
  const rkRdbSmallRow = row('redkit check', files.rdbSmall.path, files.rdbSmall.size, rkRdbSmall, { role: 'memory' });
  if (srvAof) {
    row('redis-server load', files.aof.path, files.aof.size, srvAof, { role: 'reference', keys: srvAof.keys });
    rkAofRow.vsServerLoad = srvAof.median / rkAof.median;
  }
  let rkReplayRow;
  {
    const ratio = srvAof ? rkReplay.median / srvAof.median : null;
    const memRatio = srvAof ? (rkReplay.rssMiB * 1024 * 1024) / srvAof.usedMemory : null;
    rkReplayRow = row('redkit replay', files.aof.path, files.aof.size, rkReplay, {
      role: 'subject',
      reference: 'redis-server load',
      slowdown: ratio,
      serverUsedMemoryMiB: srvAof ? srvAof.usedMemory / 1024 / 1024 : null,
      rssVsUsedMemory: memRatio,
      target: 'time <= redis-server loading the AOF, peak RSS <= 2x its used_memory',
      targetMet: ratio !== null && ratio <= 1 && memRatio <= 2,
      // informative: replay also computes the digest; the server doing both takes this long
      serverLoadPlusDigestSeconds: srvAof ? srvAof.median + srvAof.digestMedian : null,
      vsServerLoadPlusDigest: srvAof ? rkReplay.median / (srvAof.median + srvAof.digestMedian) : null,
    });
  }
  if (srvRdb) {
    row('redis-server load', files.rdb.path, files.rdb.size, srvRdb, { role: 'reference', keys: srvRdb.keys });
    rkRdbRow.vsServerLoad = srvRdb.median / rkRdb.median;
  }

  for (const [name, r] of [
    ['bench.aof', rkAof],
    ['bench-small.aof', rkAofSmall],
    ['bench.rdb', rkRdb],
    ['bench-small.rdb', rkRdbSmall],
  ]) {
    const bad = r.exitCodes.filter((c) => c !== 0);
    addCheck(`redkit check exits 0 on ${name}`, bad.length === 0, bad.length ? `exit codes ${r.exitCodes.join(',')}; ${r.last.stdout.slice(-500)}${r.last.stderr.slice(-500)}` : '');
  }

  const json = {};
  for (const [k, f] of Object.entries(files)) json[k] = await redkitJson(f.path);
  for (const [k, j] of Object.entries(json)) {
    if (j.rc !== 0 || !j.doc) addCheck(`redkit check --json on ${path.basename(files[k].path)}`, false, `exit ${j.rc}; ${j.stderr.slice(-500)}`);
  }
  // RDB: keys equal DBSIZE before SAVE
  for (const [k, m] of [
    ['rdb', rdb.meta.large],
    ['rdbSmall', rdb.meta.small],
  ]) {
    const got = json[k].doc?.stats?.keys;
    addCheck(`redkit .stats.keys on ${path.basename(files[k].path)} = DBSIZE before SAVE`, got === m.keys, `redkit ${got}, server ${m.keys}`);
    const exp = json[k].doc?.stats?.expires;
    addCheck(`redkit .stats.expires on ${path.basename(files[k].path)} = expires before SAVE`, exp === m.expires, `redkit ${exp}, server ${m.expires}`);
  }
  if (srvRdb) addCheck('redis-server loads bench.rdb with every key', srvRdb.keys === rdb.meta.large.keys, `${srvRdb.keys} of ${rdb.meta.large.keys}`);
  // AOF: redkit counts commands (key counts of a RESP AOF need a replay); compare with the generator
  for (const [k, m] of [
    ['aof', aof.meta],
    ['aofSmall', aof.meta.small],
  ]) {
    const st = json[k].doc?.stats;
    const name = path.basename(files[k].path);
    addCheck(`redkit .stats.commands on ${name} = commands generated`, st?.commands === m.commands, `redkit ${st?.commands}, generator ${m.commands}`);
    const byName = st?.commandsByName ?? {};
    const diff = Object.keys({ ...byName, ...m.commandsByName }).filter((n) => byName[n] !== m.commandsByName[n]);
    addCheck(`redkit .stats.commandsByName on ${name} = generator's`, diff.length === 0, diff.map((n) => `${n}: ${byName[n]} vs ${m.commandsByName[n]}`).join(', '));
  }
  {
    // redkit promises redis-check-aof's own numbers
    const m = /ok_up_to=(\d+), ok_up_to_line=(\d+)/.exec(refAof.last.stdout);
    const f = json.aof.doc?.files?.[0];
    addCheck(
      'redkit okUpTo/okUpToLine on bench.aof = redis-check-aof ok_up_to/ok_up_to_line',
      !!m && !!f && f.okUpTo === Number(m[1]) && f.okUpToLine === Number(m[2]),
      `redkit ${f?.okUpTo}/${f?.okUpToLine}, redis-check-aof ${m?.[1]}/${m?.[2]}`,
    );
  }
  if (srvAof) {
    const got = json.aof.doc?.stats?.keys;
    // redkit does not count the keys of a RESP AOF (0): only compare once it reports some
    if (got) addCheck('redkit .stats.keys on bench.aof = DBSIZE after redis-server loads it', got === srvAof.keys, `redkit ${got}, server ${srvAof.keys}`);
    else log(`  (redkit reports no key count for a RESP AOF; redis-server holds ${srvAof.keys} keys after loading bench.aof)`);
  }

  // memory targets
  const LIMIT = 150;
  const FLAT = 16; // MiB the peak may grow while the file grows 4x
  const mem = [
    ['AOF', rkAofSmall, rkAof, files.aofSmall, files.aof],
    ['RDB', rkRdbSmall, rkRdb, files.rdbSmall, files.rdb],
  ].map(([kind, s, l, fs_, fl]) => {
    const growth = l.rssMiB - s.rssMiB;
    return {
      kind,
      smallFile: path.relative(ROOT, fs_.path),
      largeFile: path.relative(ROOT, fl.path),
      smallPeakRssMiB: s.rssMiB,
      largePeakRssMiB: l.rssMiB,
      growthMiB: growth,
      target: `peak < ${LIMIT} MiB on both, growth <= ${FLAT} MiB`,
      targetMet: s.rssMiB < LIMIT && l.rssMiB < LIMIT && growth <= FLAT,
    };
  });
  rkAofRow.memory = mem[0];
  rkRdbRow.memory = mem[1];

  // 5. report
  const targets = [
    { what: 'redkit check bench.aof vs redis-check-aof', target: '>= 5x faster', value: rkAofRow.speedup, met: rkAofRow.targetMet },
    { what: 'redkit check bench.rdb vs redis-check-rdb', target: 'no slower (>= 1x)', value: rkRdbRow.speedup, met: rkRdbRow.targetMet },
    ...convertRows.filter((c) => c.row).map((c) => ({ what: `redkit convert bench.rdb -> ${c.fmt} vs redis-check-rdb`, target: c.row.target, value: `${c.row.slowdown.toFixed(2)}x the time, peak RSS ${c.row.peakRssMiB.toFixed(1)} MiB`, met: c.row.targetMet })),
    ...(srvAof
      ? [{
          what: 'redkit replay bench.aof vs redis-server loading it',
          target: rkReplayRow.target,
          value: `${rkReplayRow.slowdown.toFixed(2)}x the time, peak RSS ${rkReplayRow.peakRssMiB.toFixed(0)} MiB = ${rkReplayRow.rssVsUsedMemory.toFixed(2)}x the server's used_memory (${rkReplayRow.serverUsedMemoryMiB.toFixed(0)} MiB)`,
          met: rkReplayRow.targetMet,
        }]
      : []),
    ...mem.map((m) => ({ what: `redkit check peak RSS, ${m.kind} small -> large`, target: m.target, value: [m.smallPeakRssMiB, m.largePeakRssMiB], met: m.targetMet })),
  ];

  const buildAfter = await buildIdentity();
  const distChanged = buildAfter.distSha1 !== build.distSha1;
  if (distChanged) log(`WARNING: dist/ changed during the run (${build.distSha1} -> ${buildAfter.distSha1}): the redkit rows may mix two builds`);
  const times = (x) => (x >= 1 ? `${x.toFixed(2)}x faster` : `${(1 / x).toFixed(2)}x slower`);
  const table = [];
  const head = ['tool', 'file', 'size MB', 'median s', 'CPU s', 'MB/s', 'peak RSS MiB', 'ratio vs reference', 'target met'];
  const speedRow = (r, ratio, met) => [
    r.tool + (r.noisy ? ' !' : ''),
    path.basename(r.file),
    fmtMB(r.sizeBytes),
    fmtS(r.medianSeconds),
    r.medianCpuSeconds === null ? '' : fmtS(r.medianCpuSeconds),
    r.mbPerSec.toFixed(0),
    r.peakRssMiB.toFixed(1),
    ratio,
    met,
  ];
  table.push(speedRow(refAofRow, 'reference', ''));
  table.push(speedRow(rkAofRow, `${times(rkAofRow.speedup)} (want >= 5x faster)`, rkAofRow.targetMet ? 'yes' : 'NO'));
  table.push(speedRow(rkAofSmallRow, `RSS ${mem[0].growthMiB >= 0 ? '+' : ''}${mem[0].growthMiB.toFixed(1)} MiB small->large`, mem[0].targetMet ? 'yes (mem)' : 'NO (mem)'));
  if (srvAof) table.push(speedRow(rows.find((r) => r.tool === 'redis-server load' && r.file === refAofRow.file), `redkit ${times(rkAofRow.vsServerLoad)}`, ''));
  if (srvAof) table.push(speedRow(rkReplayRow, `${rkReplayRow.slowdown.toFixed(2)}x redis-server's load time (want <= 1x); RSS ${rkReplayRow.rssVsUsedMemory.toFixed(2)}x used_memory (want <= 2x)`, rkReplayRow.targetMet ? 'yes' : 'NO'));
  table.push(speedRow(refRdbRow, 'reference', ''));
  table.push(speedRow(rkRdbRow, `${times(rkRdbRow.speedup)} (want no slower)`, rkRdbRow.targetMet ? 'yes' : 'NO'));
  table.push(speedRow(rkRdbSmallRow, `RSS ${mem[1].growthMiB >= 0 ? '+' : ''}${mem[1].growthMiB.toFixed(1)} MiB small->large`, mem[1].targetMet ? 'yes (mem)' : 'NO (mem)'));
  if (srvRdb) table.push(speedRow(rows.find((r) => r.tool === 'redis-server load' && r.file === refRdbRow.file), `redkit ${times(rkRdbRow.vsServerLoad)}`, ''));
  for (const c of convertRows.filter((x) => x.row)) {
    const want = c.fmt === 'aof' ? 1.4 : 5;
    table.push(speedRow(c.row, `${c.row.slowdown.toFixed(2)}x redis-check-rdb's ${fmtS(c.row.referenceSeconds)} s, run in turn (want <= ${want}x)`, c.row.targetMet ? 'yes' : 'NO'));
  }
  for (const [label, m] of [
    ['bench.rdb', rdb.meta.large],
    ['bench-small.rdb', rdb.meta.small],
  ]) {
    table.push([
      `redis-cli --pipe${rdb.generated ? '' : ' *'}`,
      `${label} input`,
      fmtMB(m.streamBytes),
      fmtS(m.pipe.seconds),
      '',
      m.pipe.mbPerSec.toFixed(0),
      '',
      'reference (replay)',
      '',
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i >= 2 && i <= 6 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [];
  out.push('');
  out.push(`redkit benchmark (${opts.quick ? 'quick' : 'full'}), ${opts.runs} runs per command: median wall time, max peak RSS`);
  out.push(`node ${process.version}, ${redisVersion.split(' ').slice(0, 3).join(' ')}, ${os.cpus().length} CPUs`);
  out.push(`redkit: git ${build.gitHead ?? '?'}${build.uncommittedSourceFiles ? ` + ${build.uncommittedSourceFiles} uncommitted src files` : ''}, dist ${build.distSha1} built ${build.distNewestMtime}`);
  if (distChanged) out.push(`WARNING: dist/ changed during the run (${build.distSha1} -> ${buildAfter.distSha1}, rebuilt by someone else?): the redkit rows may mix two builds.`);
  out.push('');
  out.push(line(head));
  out.push(sep);
  for (const r of table) out.push(line(r));
  out.push(sep);
  if (!rdb.generated) out.push(`* redis-cli --pipe timings are from when the RDBs were generated (${rdb.meta.generatedAt}); --regen measures them again.`);
  out.push('redis-server load: the load time redis-server logs (DB loaded from ...), peak RSS of the server process.');
  if (rkReplayRow?.serverLoadPlusDigestSeconds) {
    out.push(
      `redkit replay loads the AOF and computes its DEBUG DIGEST: the same server took ${fmtS(srvAof.median)} s to load it plus ${fmtS(srvAof.digestMedian)} s for DEBUG DIGEST, ` +
        `${fmtS(rkReplayRow.serverLoadPlusDigestSeconds)} s for both; replay took ${rkReplayRow.vsServerLoadPlusDigest.toFixed(2)}x that (informative; the target row compares with the load alone).`,
    );
  }
  out.push('CPU s: median user+system time of the measured process tree (can exceed wall time: Node uses helper threads).');
  if (rows.some((r) => r.noisy)) out.push('! other processes used over 10% of a core during a run of this row: its times are noisy; run again on an idle machine.');
  out.push('');
  out.push('Targets:');
  for (const t of targets) {
    const v = typeof t.value === 'string' ? t.value : Array.isArray(t.value) ? t.value.map((x) => `${x.toFixed(1)} MiB`).join(' -> ') : `${t.value.toFixed(2)}x (${times(t.value)})`;
    out.push(`  [${t.met ? 'yes' : ' NO'}] ${t.what}: ${v} (target ${t.target})`);
  }
  out.push('');
  const failed = checks.filter((c) => !c.ok);
  out.push(`Checks: ${checks.length - failed.length}/${checks.length} passed${failed.length ? '' : ''}`);
  for (const c of failed) out.push(`  FAILED ${c.what}${c.detail ? `: ${c.detail}` : ''}`);
  out.push('');
  process.stdout.write(out.join('\n') + '\n');

  const results = {
    generatedAt: new Date().toISOString(),
    mode: opts.quick ? 'quick' : 'full',
    runs: opts.runs,
    redkitBuild: build,
    redkitBuildChangedDuringRun: distChanged ? buildAfter : false,
    host: { node: process.version, redis: redisVersion, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemGiB: os.totalmem() / 2 ** 30, platform: `${os.platform()} ${os.release()}` },
    units: { size: 'bytes', mbPerSec: '10^6 bytes per second', peakRss: 'MiB (ru_maxrss of the measured process tree)' },
    inputs: {
      aof: { ...files.aof, path: path.relative(ROOT, files.aof.path), commands: aof.meta.commands, generated: aof.generated, serverKeys: srvAof?.keys ?? null },
      aofSmall: { ...files.aofSmall, path: path.relative(ROOT, files.aofSmall.path), commands: aof.meta.small.commands },
      rdb: { ...files.rdb, path: path.relative(ROOT, files.rdb.path), keys: rdb.meta.large.keys, expires: rdb.meta.large.expires, generated: rdb.generated },
      rdbSmall: { ...files.rdbSmall, path: path.relative(ROOT, files.rdbSmall.path), keys: rdb.meta.small.keys, expires: rdb.meta.small.expires },
    },
    pipe: {
      note: rdb.generated ? 'measured in this run' : `measured when the RDBs were generated (${rdb.meta.generatedAt})`,
      large: { streamBytes: rdb.meta.large.streamBytes, commands: rdb.meta.large.commands, ...rdb.meta.large.pipe },
      small: { streamBytes: rdb.meta.small.streamBytes, commands: rdb.meta.small.commands, ...rdb.meta.small.pipe },
    },
    rows,
    memory: mem,
    targets,
    checks,
    table: { head, rows: table },
    ok: failed.length === 0,
    allTargetsMet: targets.every((t) => t.met),
  };
  await fsp.writeFile(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, path.join(outDir, 'results.json'))}`);
  if (failed.length) process.exitCode = 1;
  else if (opts.strict && !results.allTargetsMet) process.exitCode = 1;
}

main().catch((e) => {
  killAll();
  if (e instanceof SetupError) {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`bench: ${e.stack ?? e}\n`);
    process.exitCode = 2;
  }
});
