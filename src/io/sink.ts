// Where a converter's output goes: a file written atomically (temp file, fsync, rename), or
// standard output with backpressure. Output is batched in memory and flushed in ~1 MiB writes.

import { AtomicWriter } from './atomic.js';
import { outputError } from '../model/errors.js';

export interface OutputSink {
  /** queue bytes (copied when they are a view) */
  push(b: Buffer | string): void;
  /** bytes queued but not written */
  readonly queued: number;
  /** write what is queued */
  flush(): Promise<void>;
  /** queue bytes the caller wants back: `released` says when (see BatchingSink) */
  pushOwned(b: Buffer): Promise<{ released: Promise<void> }>;
  /** flush, then make the output durable and visible */
  commit(): Promise<void>;
  /** drop everything; a file output leaves nothing behind */
  abort(): Promise<void>;
  readonly bytesWritten: number;
  /** written as it goes (standard output, a FIFO, a device): abort() cannot take back what was written */
  readonly direct: boolean;
}

const FLUSH_AT = 1 << 20;

abstract class BatchingSink implements OutputSink {
  abstract readonly direct: boolean;
  private parts: (Buffer | string)[] = [];
  queued = 0;
  bytesWritten = 0;

  push(b: Buffer | string): void {
    this.parts.push(b);
    this.queued += typeof b === 'string' ? b.length : b.length;
  }

  /** flush only when enough is queued (cheap to call often) */
  async maybeFlush(): Promise<void> {
    if (this.queued >= FLUSH_AT) await this.flush();
  }

  /** the write under way, so that the next batch is prepared while it runs */
  private inflight: Promise<void> = Promise.resolve();
  /** settles when the sink holds no reference to the last flushed batch any more */
  private lastReleased: Promise<void> = Promise.resolve();

  /**
   * Queue `b`, which the caller wants back, and flush. Resolves like flush (once the write
   * before has landed) with `released`: a promise of the moment the sink holds no reference
   * to b any more (its write landed, or b was copied into a bigger batch); only then may the
   * caller reuse b's memory.
   */
  async pushOwned(b: Buffer): Promise<{ released: Promise<void> }> {
    const alone = this.parts.length === 0;
    this.push(b);
    const done = this.flush();
    const released = alone ? this.lastReleased : Promise.resolve();
    await done;
    return { released };
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.queued = 0;
    let all: Buffer;
    if (parts.every((p) => typeof p === 'string')) all = Buffer.from((parts as string[]).join(''), 'utf8');
    else {
      const bufs = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
      all = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
    }
    this.bytesWritten += all.length;
    let release!: () => void;
    this.lastReleased = new Promise<void>((r) => (release = r));
    // one write in flight at a time: wait for the previous one, start this one, return
    const prev = this.inflight;
    const next = prev.then(() => this.write(all, release));
    next.catch(() => undefined); // observed by the next flush/commit, not lost
    this.inflight = next;
    await prev;
  }

  /** flush and wait until every write has landed */
  async drain(): Promise<void> {
    await this.flush();
    await this.inflight;
  }

  /** write b; call `released` once b's bytes are no longer needed (at the latest when done) */
  protected abstract write(b: Buffer, released: () => void): Promise<void>;
  abstract commit(): Promise<void>;
  abstract abort(): Promise<void>;
}

export class FileSink extends BatchingSink {
  private constructor(private readonly w: AtomicWriter) {
    super();
  }

  static async open(target: string): Promise<FileSink> {
    return new FileSink(await AtomicWriter.open(target));
  }

  get direct(): boolean {
    return this.w.direct;
  }

  protected async write(b: Buffer, released: () => void): Promise<void> {
    await this.w.write(b);
    released();
  }

  async commit(): Promise<void> {
    await this.drain();
    await this.w.commit();
  }

  override async abort(): Promise<void> {
    await this.drain().catch(() => undefined);
    await this.w.abort();
  }

}

export class StreamSink extends BatchingSink {
  readonly direct = true;

  constructor(private readonly out: NodeJS.WritableStream) {
    super();
  }

  protected write(b: Buffer, released: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      // the stream may keep b queued after write() returns: it is released by the callback
      const ok = this.out.write(b, (err) => {
        released();
        if (err) reject(outputError('standard output', err));
      });
      if (ok) resolve();
      else this.out.once('drain', resolve);
    });
  }

  async commit(): Promise<void> {
    await this.drain();
  }

  async abort(): Promise<void> {
    // what reached the stream cannot be taken back
  }
}
