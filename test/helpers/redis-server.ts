// Test harness: a real `redis-server` from PATH, the oracle of every format test.
//
// Each server runs on a free 127.0.0.1 port in a fresh temp dir with
// `--enable-debug-command yes` and (unless asked otherwise) `--save ''`. `stop()` shuts it down
// and removes the dir; anything a test forgets to stop is killed and removed when the test
// process exits. Tests that need a server use
//   describe.skipIf(!redisAvailable())(...)  plus  warnIfNoRedis('suite name')
// so a machine without redis-server skips them loudly (CI always has it).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisClient, RedisReplyError, type RedisArg, type Reply } from '../../src/io/redis-client.js';

export const REDIS_SERVER = 'redis-server';
export const REDIS_CLI = 'redis-cli';
export const HOST = '127.0.0.1';

/** The repository root (this file is test/helpers/redis-server.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let available: boolean | undefined;
let serverVersion: string | undefined;

/** Whether `redis-server` (and `redis-cli`) can be run from PATH. Cached. */
export function redisAvailable(): boolean {
  if (available === undefined) {
    const s = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const c = spawnSync(REDIS_CLI, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    available = s.status === 0 && c.status === 0;
    if (available) serverVersion = /v=(\S+)/.exec(s.stdout)?.[1];
  }
  return available;
}

/** The version of redis-server on PATH ("7.0.15"), or undefined without one. */
export function redisVersion(): string | undefined {
  redisAvailable();
  return serverVersion;
}

/** Print a loud notice when a suite is skipped for lack of redis-server. Returns whether it is. */
export function warnIfNoRedis(suite: string): boolean {
  if (redisAvailable()) return false;
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPED: ${suite}\n!! redis-server/redis-cli are not on PATH, so the tests that use a real Redis as\n` +
      `!! the oracle did not run. Install them (Debian: apt-get install redis-server) - CI does.\n${bar}\n`,
  );
  return true;
}

/** Extra `redis-server` options, passed as `--name value`. */
export type RedisConfig = Record<string, string | number | boolean>;

export interface StartOptions {
  /** More config: appendonly, aof-use-rdb-preamble, aof-timestamp-enabled, rdbcompression,
   * rdbchecksum, maxmemory-policy, dbfilename, appenddirname, ... Booleans become yes/no. */
  config?: RedisConfig;
  /** The `save` directive; default '' (no automatic snapshots). */
  save?: string;
  /** How long to wait for the first PONG (default 20 s). */
  startTimeoutMs?: number;
  /** Prepare the fresh dir before the server starts (e.g. copy files into it). */
  prepare?: (dir: string) => void | Promise<void>;
  /**
   * Keep keys whose expiry has passed, so the server shows a dataset as it was written, on any
   * date: it starts as a replica of 127.0.0.1:1, where nothing listens (a replica neither skips
   * expired keys when it loads an RDB nor expires keys itself; it waits for a master's DELs).
   * Without this, a fixture recorded with a TTL of weeks loses that key once the date passes
   * it (the Redis 6.2 fixtures' `db1:new` expired on 2026-11-23). The server is read-only.
   */
  frozenExpiry?: boolean;
}

export interface ShutdownOptions {
  /** SHUTDOWN SAVE instead of SHUTDOWN NOSAVE (default false). */
  save?: boolean;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** The server's working dir (a fresh temp dir). */
  readonly dir: string;
  readonly pid: number;
  readonly logFile: string;
  /** "7.0.15" */
  readonly version: string;
  /** A connection opened at start, selected on db 0 unless the test SELECTs. */
  readonly client: RedisClient;
  /** Shorthand for `client.call`. */
  call(...args: RedisArg[]): Promise<Reply>;
  /** Open another connection (authenticated when the config sets requirepass). */
  connect(db?: number): Promise<RedisClient>;
  /** `DEBUG DIGEST`: 40 hex chars, all zeros for an empty server. */
  digest(): Promise<string>;
  /** `DEBUG DIGEST-VALUE key` (in the given db, default 0). */
  digestValue(key: string | Buffer, db?: number): Promise<string>;
  /** Keys per db from INFO keyspace, e.g. { "0": 12, "5": 3 } (empty dbs absent). */
  keysPerDb(): Promise<Record<string, number>>;
  /** INFO [section] as name → value. */
  info(section?: string): Promise<Record<string, string>>;
  /** The RDB path from the config (dir/dbfilename). */
  readonly rdbPath: string;
  /** The AOF directory path from the config (dir/appenddirname). */
  readonly aofDirPath: string;
  /** Run a redis-cli syntax file through `redis-cli -p PORT` on stdin. `name` is a path, or a
   * file in scripts/ with or without its `.redis` extension. Throws on any error reply;
   * returns redis-cli's output. */
  loadDataset(name: string): Promise<string>;
  /** Run `redis-cli -h 127.0.0.1 -p PORT ...args` with optional stdin. */
  cli(args: readonly string[], input?: string | Buffer): Promise<CliResult>;
  /** `SAVE` and return the RDB path. */
  save(): Promise<string>;
  /** `BGREWRITEAOF`, wait until it is done, return the AOF dir path. */
  rewriteAof(): Promise<string>;
  /** Wait until no BGSAVE / AOF rewrite is in progress and none is scheduled. */
  waitPersistenceIdle(timeoutMs?: number): Promise<void>;
  /** Shut the process down (SHUTDOWN NOSAVE or SAVE) and wait for it to exit; the dir stays
   * until `stop()`, so files can be inspected. Idempotent. */
  shutdown(opts?: ShutdownOptions): Promise<void>;
  /** Shut down (as `shutdown`) and remove the temp dir. Idempotent; never throws for an
   * already dead server. */
  stop(opts?: ShutdownOptions): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

// ---------------------------------------------------------------------------------------------
// Safety net: whatever a test leaves running is killed (and its dir removed) at process exit.

const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function track(child: ChildProcess, dir: string): void {
  live.set(child, dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [c, d] of live) {
      try {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
}

/**
 * The exit hook does not run when the test worker is killed (vitest ends fork workers with a
 * signal, and a timed-out worker gets SIGKILL). So each server also gets a watchdog: a shell
 * in its own process group blocked reading a pipe from us. If we die, the pipe closes and the
 * watchdog kills that one server (by pid) and removes its dir. `release()` (a normal stop)
 * tells it to just exit.
 */
function watchdog(child: ChildProcess, dir: string): () => void {
  if (child.pid === undefined) return () => {};
  const script = 'read line; if [ "$line" != done ]; then kill -9 "$1" 2>/dev/null; rm -rf "$2"; fi';
  const w = spawn('/bin/sh', ['-c', script, 'redkit-redis-watchdog', String(child.pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  w.on('error', () => {
    /* no /bin/sh: the exit hook is all we have */
  });
  w.stdin!.on('error', () => {
    /* watchdog already gone */
  });
  w.unref();
  (w.stdin as unknown as { unref?: () => void }).unref?.();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    w.stdin!.end('done\n');
  };
}

// ---------------------------------------------------------------------------------------------

/** A currently free TCP port on 127.0.0.1 (racy by nature; `startRedis` retries on a clash). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function configArgs(config: RedisConfig): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    out.push(`--${k}`, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Start a fresh server. Retries with another port if the chosen one was taken meanwhile. */
export async function startRedis(opts: StartOptions = {}): Promise<RedisServer> {
  if (!redisAvailable()) throw new Error('redis-server is not on PATH');
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-redis-'));
    try {
      if (opts.prepare) await opts.prepare(dir);
      return await launch(dir, await freePort(), opts);
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      lastError = e;
      if (!(e instanceof PortClashError)) throw e;
    }
  }
  throw lastError;
}

class PortClashError extends Error {}

async function launch(dir: string, port: number, opts: StartOptions): Promise<RedisServer> {
  const logFile = path.join(dir, 'redis.log');
  const config: RedisConfig = {
    port,
    bind: HOST,
    dir,
    logfile: logFile,
    daemonize: 'no',
    'enable-debug-command': 'yes',
    save: opts.save ?? '',
    ...opts.config,
  };
  const args = configArgs(config);
  if (opts.frozenExpiry === true) args.push('--replicaof', HOST, '1');
  const child = spawn(REDIS_SERVER, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child, dir);
  const releaseWatchdog = watchdog(child, dir);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const isDead = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
  const describeDeath = () => {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    return `redis-server on port ${port} exited (${spawnError?.message ?? `code ${child.exitCode}, signal ${child.signalCode}`}):\n${output}${log.split('\n').slice(-30).join('\n')}`;
  };

  // Wait for PONG (and for loading to finish: PING answers -LOADING while a file loads).
  // With requirepass set, every connection (ours and redis-cli's) authenticates.
  const password = config['requirepass'] !== undefined && config['requirepass'] !== '' ? String(config['requirepass']) : undefined;
  const auth = password !== undefined ? { password } : {};
  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  let client: RedisClient | undefined;
  for (;;) {
    if (isDead()) {
      live.delete(child);
      releaseWatchdog();
      const msg = describeDeath();
      if (/Address already in use/i.test(msg)) throw new PortClashError(msg);
      throw new Error(msg);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      live.delete(child);
      releaseWatchdog();
      throw new Error(`redis-server on port ${port} did not answer PING in time:\n${describeDeath()}`);
    }
    try {
      client ??= await RedisClient.connect({ host: HOST, port, connectTimeoutMs: 2000, ...auth });
      const pong = await client.call('PING');
      if (pong === 'PONG') break;
    } catch (e) {
      if (e instanceof RedisReplyError && e.code !== 'LOADING') {
        // e.g. NOAUTH: waiting longer will not help
        client?.destroy();
        child.kill('SIGKILL');
        await exited;
        live.delete(child);
        releaseWatchdog();
        throw new Error(`redis-server on port ${port} answered ${e.command} with: ${e.message}`);
      }
      if (client && client.closed) client = undefined;
      if (!(e instanceof RedisReplyError) && client) {
        client.destroy();
        client = undefined;
      }
    }
    await sleep(25);
  }

  const theClient = client;
  let version: string, rdbPath: string, aofDirPath: string;
  try {
    version = (await infoOf(theClient, 'server'))['redis_version'] ?? 'unknown';
    const conf = async (name: string): Promise<string> => {
      const r = await theClient.call('CONFIG', 'GET', name);
      return Array.isArray(r) && Buffer.isBuffer(r[1]) ? r[1].toString() : '';
    };
    rdbPath = path.join(dir, await conf('dbfilename'));
    aofDirPath = path.join(dir, await conf('appenddirname'));
  } catch (e) {
    theClient.destroy();
    child.kill('SIGKILL');
    await exited;
    live.delete(child);
    releaseWatchdog();
    throw e;
  }

  let shutdownDone: Promise<void> | undefined;
  let stopDone: Promise<void> | undefined;

  const shutdown = (o: ShutdownOptions = {}): Promise<void> => {
    shutdownDone ??= (async () => {
      if (!isDead()) {
        let failure: unknown;
        try {
          // On success the server closes the connection without replying.
          await theClient.call('SHUTDOWN', o.save ? 'SAVE' : 'NOSAVE');
        } catch (e) {
          if (e instanceof RedisReplyError) failure = e;
        }
        // A failed SHUTDOWN (e.g. SAVE could not write) leaves it running: kill it then.
        const timer = setTimeout(() => child.kill('SIGKILL'), failure ? 0 : 15_000);
        await exited;
        clearTimeout(timer);
        if (failure) throw new Error(`SHUTDOWN failed: ${(failure as Error).message}`);
      }
      theClient.destroy();
    })();
    return shutdownDone;
  };

  const stop = (o: ShutdownOptions = {}): Promise<void> => {
    stopDone ??= (async () => {
      try {
        await shutdown(o);
      } finally {
        if (!isDead()) {
          child.kill('SIGKILL');
          await exited;
        }
        live.delete(child);
        releaseWatchdog();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    })();
    return stopDone;
  };

  const cli = (args: readonly string[], input?: string | Buffer): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const authArgs = password !== undefined ? ['-a', password, '--no-auth-warning'] : [];
      const p = spawn(REDIS_CLI, ['-h', HOST, '-p', String(port), ...authArgs, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on('data', (d: Buffer) => out.push(d));
      p.stderr.on('data', (d: Buffer) => err.push(d));
      p.once('error', reject);
      p.once('close', (code) =>
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code }),
      );
      p.stdin.on('error', () => {
        /* reported through the exit code */
      });
      p.stdin.end(input ?? '');
    });

  const waitPersistenceIdle = async (timeoutMs = 60_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const p = await infoOf(theClient, 'persistence');
      if (
        p['rdb_bgsave_in_progress'] === '0' &&
        p['aof_rewrite_in_progress'] === '0' &&
        (p['aof_rewrite_scheduled'] ?? '0') === '0'
      )
        return;
      if (Date.now() > until) throw new Error('persistence still busy after ' + timeoutMs + ' ms');
      await sleep(20);
    }
  };

  const server: RedisServer = {
    host: HOST,
    port,
    dir,
    pid: child.pid!,
    logFile,
    version,
    client: theClient,
    rdbPath,
    aofDirPath,
    call: (...args) => theClient.call(...args),
    connect: async (db = 0) => RedisClient.connect({ host: HOST, port, db, ...auth }),
    digest: async () => replyText(await theClient.call('DEBUG', 'DIGEST')),
    digestValue: async (key, db = 0) => {
      const c = db === 0 ? theClient : await RedisClient.connect({ host: HOST, port, db, ...auth });
      try {
        const r = await c.call('DEBUG', 'DIGEST-VALUE', key);
        return replyText(Array.isArray(r) ? r[0]! : r);
      } finally {
        if (c !== theClient) await c.close();
      }
    },
    keysPerDb: async () => {
      const ks = await infoOf(theClient, 'keyspace');
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(ks)) {
        const m = /^db(\d+)$/.exec(k);
        const n = /(?:^|,)keys=(\d+)/.exec(v);
        if (m && n) out[m[1]!] = Number(n[1]);
      }
      return out;
    },
    info: (section) => infoOf(theClient, section),
    cli,
    loadDataset: async (name) => {
      const file = resolveDataset(name);
      const r = await cli([], fs.readFileSync(file));
      if (r.code !== 0) throw new Error(`redis-cli exited with ${r.code} on ${file}: ${r.stderr}`);
      const errors = r.stdout.split('\n').filter((l) => ERROR_LINE.test(l));
      if (errors.length > 0 || r.stderr.trim() !== '') {
        throw new Error(`loading ${file} failed:\n${[...errors, r.stderr.trim()].filter(Boolean).join('\n')}`);
      }
      return r.stdout;
    },
    save: async () => {
      await theClient.call('SAVE');
      return rdbPath;
    },
    rewriteAof: async () => {
      await waitPersistenceIdle();
      await theClient.call('BGREWRITEAOF');
      await waitPersistenceIdle();
      return aofDirPath;
    },
    waitPersistenceIdle,
    shutdown,
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
  return server;
}

/** redis-cli prints an error reply as its text (no "(error)" prefix when stdin is not a tty). */
const ERROR_LINE =
  /^(\(error\) )?(ERR|WRONGTYPE|NOSCRIPT|BUSY|BUSYKEY|BUSYGROUP|NOGROUP|EXECABORT|NOPERM|NOAUTH|WRONGPASS|OOM|LOADING|READONLY|MISCONF|NOREPLICAS|MASTERDOWN|CROSSSLOT|CLUSTERDOWN|TRYAGAIN|NOPROTO|UNKILLABLE|NOTBUSY)( |$)/;

function resolveDataset(name: string): string {
  const candidates = [
    path.resolve(name),
    path.join(repoRoot, 'scripts', name),
    path.join(repoRoot, 'scripts', `${name}.redis`),
  ];
  for (const c of candidates) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  throw new Error(`dataset not found: ${name} (looked in ${candidates.join(', ')})`);
}

function replyText(r: Reply): string {
  if (Buffer.isBuffer(r)) return r.toString('utf8');
  if (typeof r === 'string') return r;
  throw new Error(`expected a string reply, got ${JSON.stringify(r)}`);
}

async function infoOf(client: RedisClient, section?: string): Promise<Record<string, string>> {
  const r = await client.call(...(section ? ['INFO', section] : ['INFO']));
  const out: Record<string, string> = {};
  for (const line of replyText(r).split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface ExistingFiles {
  /** An RDB file: copied as the new server's dbfilename (its base name). */
  rdb?: string;
  /** A multi-part AOF directory (Redis 7+): copied whole; the server starts with
   * appendonly yes and appenddirname = its base name. */
  aofDir?: string;
  /** A single-file AOF (Redis ≤ 6.2 `appendonly.aof`): copied; appendonly yes and
   * appendfilename = its base name (Redis 7 upgrades it to a manifest on load). */
  aof?: string;
}

/**
 * Start a fresh server on copies of existing persistence files, so a test can check that a
 * file we produced loads and reproduces a digest. The originals are never touched.
 */
export async function startWithFiles(files: ExistingFiles, opts: StartOptions = {}): Promise<RedisServer> {
  const given = [files.rdb, files.aofDir, files.aof].filter((f) => f !== undefined).length;
  if (given === 0) throw new Error('startWithFiles: give rdb, aofDir or aof');
  if (files.aofDir !== undefined && files.aof !== undefined) throw new Error('startWithFiles: aofDir and aof exclude each other');
  const config: RedisConfig = {};
  if (files.rdb !== undefined) {
    config['dbfilename'] = path.basename(files.rdb);
    config['appendonly'] = 'no';
  }
  if (files.aofDir !== undefined) {
    config['appendonly'] = 'yes';
    config['appenddirname'] = path.basename(files.aofDir);
  }
  if (files.aof !== undefined) {
    config['appendonly'] = 'yes';
    config['appendfilename'] = path.basename(files.aof);
  }
  const prepare = async (dir: string) => {
    if (files.rdb !== undefined) fs.copyFileSync(files.rdb, path.join(dir, path.basename(files.rdb)));
    if (files.aofDir !== undefined) {
      fs.cpSync(files.aofDir, path.join(dir, path.basename(files.aofDir)), { recursive: true });
    }
    if (files.aof !== undefined) fs.copyFileSync(files.aof, path.join(dir, path.basename(files.aof)));
    // Copies of read-only fixtures must be writable: the server appends to the last AOF part.
    for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
      fs.chmodSync(path.join(dir, f), fs.statSync(path.join(dir, f)).isDirectory() ? 0o755 : 0o644);
    }
    await opts.prepare?.(dir);
  };
  return startRedis({ ...opts, config: { ...config, ...opts.config }, prepare });
}

/**
 * What a fresh server holds after loading these files: its DEBUG DIGEST and keys per db, with
 * every key the files hold, also those whose expiry has passed since they were written
 * (`frozenExpiry`), so that a comparison with a recorded digest does not depend on the date.
 */
export async function loadedState(files: ExistingFiles): Promise<{ digest: string; dbsize: Record<string, number> }> {
  const s = await startWithFiles(files, { frozenExpiry: true });
  try {
    return { digest: await s.digest(), dbsize: await s.keysPerDb() };
  } finally {
    await s.stop();
  }
}
