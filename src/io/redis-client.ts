// A minimal RESP2 client over node:net (TCP or a unix socket), enough for `digest redis://…`
// and `replay`. Commands issued in the same tick are batched into one socket write; replies
// resolve a FIFO of pending calls, so any number of calls may be in flight (pipelining).

import net from 'node:net';
import { ReplyError, ReplyParser, type Reply } from '../codec/resp-reply.js';
import { RespWriter, type RespArg } from '../codec/resp-writer.js';

export type { Reply } from '../codec/resp-reply.js';

export interface RedisConnectOptions {
  /** TCP host (default 127.0.0.1); ignored when `path` is set. */
  host?: string;
  /** TCP port (default 6379). */
  port?: number;
  /** Unix socket path. */
  path?: string;
  /** AUTH [username] password after connecting. */
  username?: string;
  password?: string;
  /** SELECT this db after connecting (when not 0). */
  db?: number;
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
}

/** An argument to `call`: numbers are sent as their decimal text. */
export type RedisArg = RespArg | number | bigint;

/** A server error reply (or a failure of the connection) for one call. */
export class RedisReplyError extends Error {
  /** The error code sent by the server, e.g. "ERR", "WRONGTYPE". */
  readonly code: string;
  /** The command name of the call that failed. */
  readonly command: string;
  constructor(reply: ReplyError, command: string) {
    super(reply.message);
    this.name = 'RedisReplyError';
    this.code = reply.code;
    this.command = command;
  }
}

export class RedisConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisConnectionError';
  }
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  command: string;
}

/** Parse `redis://[[user]:password@]host[:port][/db]` or `unix:///path[?db=N]` (no TLS: `rediss:` is refused).
 * AUTH is sent only when there is a password. */
export function parseRedisUrl(url: string): RedisConnectOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a redis URL: ${url}`);
  }
  const opts: RedisConnectOptions = {};
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  const dbParam = u.searchParams.get('db');
  if (u.protocol === 'redis:') {
    opts.host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    opts.port = u.port ? Number(u.port) : 6379;
    const p = u.pathname.replace(/^\//, '');
    if (p) opts.db = parseDb(p, url);
  } else if (u.protocol === 'unix:') {
    opts.path = decodeURIComponent(u.pathname);
  } else {
    throw new Error(`unsupported URL scheme ${u.protocol} (use redis:// or unix://)`);
  }
  if (dbParam !== null) opts.db = parseDb(dbParam, url);
  return opts;
}

function parseDb(s: string, url: string): number {
  if (!/^\d+$/.test(s)) throw new Error(`bad database number in ${url}`);
  return Number(s);
}

export class RedisClient {
  private readonly parser = new ReplyParser();
  private readonly writer = new RespWriter();
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private flushScheduled = false;
  private closedError: Error | undefined;
  /** resolved when no call is in flight any more (for a graceful close) */
  private idleWaiters: (() => void)[] = [];
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly socket: net.Socket, private readonly where: string) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.failAll(new RedisConnectionError(`${this.where}: ${err.message}`, { cause: err })));
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.failAll(new RedisConnectionError(`${this.where}: connection closed`));
        resolve();
      });
    });
  }

  /** Connect, then AUTH and SELECT as the options ask. */
  static async connect(opts: RedisConnectOptions = {}): Promise<RedisClient> {
    const where = opts.path !== undefined ? `unix:${opts.path}` : `${opts.host ?? '127.0.0.1'}:${opts.port ?? 6379}`;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s =
        opts.path !== undefined
          ? net.createConnection({ path: opts.path })
          : net.createConnection({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 6379 });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RedisConnectionError(`${where}: connect timed out`));
      }, opts.connectTimeoutMs ?? 10_000);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new RedisConnectionError(`${where}: ${err.message}`, { cause: err }));
      });
    });
    const client = new RedisClient(socket, where);
    try {
      if (opts.password !== undefined) {
        if (opts.username !== undefined) await client.call('AUTH', opts.username, opts.password);
        else await client.call('AUTH', opts.password);
      }
      if (opts.db !== undefined && opts.db !== 0) await client.call('SELECT', opts.db);
    } catch (e) {
      client.destroy();
      throw e;
    }
    return client;
  }

  /** Calls sent and not answered yet. */
  get inFlight(): number {
    return this.pending.length - this.pendingHead;
  }

  /** True once the connection is gone (closed, destroyed or failed). */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Send one command; resolves with its reply, rejects with RedisReplyError on an error reply. */
  call(...args: RedisArg[]): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const encoded: RespArg[] = new Array(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      encoded[i] = typeof a === 'number' || typeof a === 'bigint' ? String(a) : a;
    }
    this.writer.push(encoded);
    const command = args.length > 0 ? argText(args[0]!) : '';
    const p = new Promise<Reply>((resolve, reject) => {
      this.pending.push({ resolve, reject, command });
    });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return p;
  }

  /** Resolves when the socket's write buffer has drained (for backpressure in bulk sends). */
  async drained(): Promise<void> {
    this.flush();
    if (!this.socket.writableNeedDrain || this.closedError) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Wait for every in-flight reply, then close the connection gracefully. */
  async close(): Promise<void> {
    if (!this.closedError) {
      this.flush();
      if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (!this.closedError) {
        this.closedError = new RedisConnectionError(`${this.where}: client closed`);
        this.socket.end();
      }
    }
    await this.closedPromise;
  }

  /** Drop the connection now; in-flight calls reject. */
  destroy(): void {
    this.failAll(new RedisConnectionError(`${this.where}: client destroyed`));
    this.socket.destroy();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.writer.length === 0 || this.closedError) return;
    this.socket.write(this.writer.take());
  }

  private onData(chunk: Buffer): void {
    try {
      this.parser.feed(chunk);
    } catch (e) {
      this.failAll(new RedisConnectionError(`${this.where}: protocol error: ${(e as Error).message}`, { cause: e }));
      this.socket.destroy();
      return;
    }
    for (let r = this.parser.next(); r !== undefined; r = this.parser.next()) {
      if (this.pendingHead >= this.pending.length) {
        this.failAll(new RedisConnectionError(`${this.where}: reply without a pending call`));
        this.socket.destroy();
        return;
      }
      const p = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = undefined as unknown as Pending;
      if (this.pendingHead === this.pending.length) {
        this.pending.length = 0;
        this.pendingHead = 0;
      } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
        this.pending.splice(0, this.pendingHead);
        this.pendingHead = 0;
      }
      if (r instanceof ReplyError) p.reject(new RedisReplyError(r, p.command));
      else p.resolve(r);
    }
    if (this.inFlight === 0) this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private failAll(err: Error): void {
    if (!this.closedError) this.closedError = err;
    const waiting = this.pending.slice(this.pendingHead);
    this.pending.length = 0;
    this.pendingHead = 0;
    for (const p of waiting) p.reject(err);
    this.wakeIdleWaiters();
  }
}

function argText(a: RedisArg): string {
  if (typeof a === 'string') return a;
  if (typeof a === 'number' || typeof a === 'bigint') return String(a);
  return Buffer.from(a.buffer, a.byteOffset, Math.min(a.length, 64)).toString('latin1');
}
