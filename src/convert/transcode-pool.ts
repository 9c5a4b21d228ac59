// The RDB -> AOF pipeline of `convert`: the main thread reads and validates the RDB (the
// `check` reader, validate-only) and lists each key record it keeps (offset, length, db); a
// second thread reads those records from the file itself and turns them into RESP
// (convert/transcode.ts). Results come back in order and are written in order, so the output
// is what the single-threaded path writes. On two cores the conversion then costs about what
// the check alone does (the bench's RDB -> AOF row).
//
// Where no worker can start (compressed input or stdin, which cannot be read twice; running
// from the TypeScript sources, where the worker file is not built; small inputs), the same
// transcoder runs on the main thread, on the reader's own view of each record.

import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { FormatError } from '../model/errors.js';
import { RecordTranscoder } from './transcode.js';
import { claimTranscodeThread, transcodeThreadAvailable, transcodeWorkerMin } from './transcode-thread.js';

/** a batch for the worker closes after this many records or this many bytes of input */
const BATCH_RECORDS = 8192;
const BATCH_BYTES = 1 << 20;
/**
 * The first batches are smaller (1/16 of those limits, doubling): the worker is ready before
 * the reader has validated 8192 records of cold code, and waited for them (measured: first
 * batch 40-50 ms after the header).
 */
const RAMP_BATCHES = 5;
/** batches handed to the worker and not yet written out, before the reader waits */
const MAX_INFLIGHT = 2;

interface Piece {
  buf: Buffer | undefined;
  /** a worker's output buffer: give it back (recycle) once written */
  owned: boolean;
  error: Error | undefined;
  wait: Promise<void> | undefined;
}

type Reply = { id: number; buf?: ArrayBuffer; off?: number; len?: number; index?: ArrayBuffer; error?: { message: string; offset?: number } };

export class TranscodePipe {
  private readonly local: RecordTranscoder | undefined;
  private worker: Worker | undefined;
  private fd: number | undefined;
  // worker mode: the open batch (index of records) and the pieces of output, in order
  private index = new Float64Array(4 * BATCH_RECORDS);
  private count = 0;
  private batchBytes = 0;
  private readonly queue: Piece[] = [];
  private inflight = 0;
  private nextId = 0;
  private lastOut = 1 << 20;
  private readonly waiting = new Map<number, { piece: Piece; resolve: () => void }>();
  private failed: Error | undefined;
  /** batch indexes the worker handed back */
  private readonly indexes: ArrayBuffer[] = [];

  /** the input's size and mtime when the worker's descriptor was opened */
  private stamp: { size: number; mtimeMs: number } | undefined;

  private constructor(version: number, magic: 'REDIS' | 'VALKEY', strict: boolean, file: { path: string; size: number } | undefined) {
    if (file !== undefined) {
      try {
        if (transcodeThreadAvailable()) {
          this.fd = fs.openSync(file.path, 'r');
          // the worker reads the file a second time: it must be the file the reader has (a
          // file replaced since is read on the main thread only, from the reader's bytes)
          const st = fs.fstatSync(this.fd);
          if (st.size !== file.size) throw new Error('changed');
          this.stamp = { size: st.size, mtimeMs: st.mtimeMs };
          this.worker = claimTranscodeThread();
          this.worker.on('message', (m: Reply) => this.settle(m));
          this.worker.on('error', (e) => this.fail(e));
          this.worker.on('exit', (code) => {
            if (this.waiting.size > 0) this.fail(new Error(`the conversion thread stopped (exit code ${code})`));
          });
          this.worker.postMessage({ init: { version, magic, strict, fd: this.fd } });
        }
      } catch {
        this.close();
      }
    }
    if (!this.worker) this.local = new RecordTranscoder(version, magic, strict);
    this.threaded = this.worker !== undefined;
  }

  /** whether the records are converted on a second thread */
  readonly threaded: boolean;

  /** `file`: the plain RDB file being read, when a second thread may read it too */
  static start(version: number, magic: 'REDIS' | 'VALKEY', strict: boolean, file: { path: string; size: number } | undefined): TranscodePipe {
    return new TranscodePipe(version, magic, strict, file && file.size >= transcodeWorkerMin() ? file : undefined);
  }


  /**
   * Queue one key record: `raw()` is its bytes (a view, valid during the call), `offset` where
   * they start in the file; a SELECT goes before it when asked.
   */
  record(raw: () => Buffer, offset: number, length: number, db: number, select: boolean): void {
    if (this.local) {
      const b = raw();
      this.local.record(b, 0, b.length, db, select, offset);
      return;
    }
    const i = 4 * this.count++;
    this.index[i] = offset;
    this.index[i + 1] = length;
    this.index[i + 2] = db;
    this.index[i + 3] = select ? 1 : 0;
    this.batchBytes += length;
    if (this.nextId < RAMP_BATCHES) {
      const shift = RAMP_BATCHES - 1 - this.nextId;
      if (this.count === BATCH_RECORDS >> shift || this.batchBytes >= BATCH_BYTES >> shift) this.flushBatch();
    } else if (this.count === BATCH_RECORDS || this.batchBytes >= BATCH_BYTES) this.flushBatch();
  }

  /** Queue RESP made on the main thread, after every record queued so far. */
  resp(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.local) {
      this.local.raw(bytes);
      return;
    }
    this.flushBatch();
    this.queue.push({ buf: Buffer.from(bytes), owned: false, error: undefined, wait: undefined });
  }

  /** Hand the open batch to the worker. */
  private flushBatch(): void {
    if (this.count === 0 || !this.worker) return;
    const id = this.nextId++;
    const piece: Piece = { buf: undefined, owned: true, error: undefined, wait: undefined };
    piece.wait = new Promise<void>((resolve) => this.waiting.set(id, { piece, resolve }));
    this.queue.push(piece);
    this.inflight++;
    const ab = this.index.buffer as ArrayBuffer;
    // the output of a batch is about 1.4x its input: the worker's next buffer starts near that
    this.worker.postMessage({ id, index: ab, n: this.count, next: this.lastOut }, [ab]);
    // an index the worker handed back, or a new one (256 KiB each: made per batch, they were
    // most of the main thread's allocations by size, and its malloc heap grew with them)
    const back = this.indexes.pop();
    this.index = back !== undefined ? new Float64Array(back) : new Float64Array(4 * BATCH_RECORDS);
    this.count = 0;
    this.batchBytes = 0;
  }

  /**
   * The RESP ready to be written, in order. With `all`, waits for everything; otherwise only
   * while too many batches are in flight (so the reader never runs far ahead of the worker).
   */
  async ready(all: boolean): Promise<{ buf: Buffer; owned: boolean }[]> {
    if (this.local) return this.local.length > 0 ? [{ buf: this.local.take(), owned: false }] : [];
    if (all) this.flushBatch();
    const out: { buf: Buffer; owned: boolean }[] = [];
    for (;;) {
      const head = this.queue[0];
      if (!head) break;
      if (head.buf === undefined && head.error === undefined) {
        if (!all && this.inflight <= MAX_INFLIGHT) break;
        await head.wait;
      }
      this.queue.shift();
      if (head.error) throw head.error;
      if (head.wait) this.inflight--;
      out.push({ buf: head.buf!, owned: head.owned });
    }
    if (this.failed) throw this.failed;
    return out;
  }

  /**
   * After the last ready(true): fails when the file changed while the worker read it (in
   * place: Redis itself replaces an RDB by renaming, which does not touch the open file).
   */
  checkUnchanged(path: string): void {
    if (this.fd === undefined || !this.stamp) return;
    const st = fs.fstatSync(this.fd);
    if (st.size !== this.stamp.size || st.mtimeMs !== this.stamp.mtimeMs) {
      throw new FormatError(`${path} was modified during the conversion (size ${this.stamp.size} -> ${st.size}): convert a copy that nothing writes to`, 0);
    }
  }

  /** Give a worker's output buffer back once the sink has let go of it. */
  recycle(buf: Buffer): void {
    if (!this.worker || this.failed) return;
    const ab = buf.buffer as ArrayBuffer;
    this.worker.postMessage({ recycle: ab }, [ab]);
  }

  close(): void {
    if (this.worker) void this.worker.terminate();
    this.worker = undefined;
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* closed */
      }
      this.fd = undefined;
    }
  }

  private settle(m: Reply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (m.error) w.piece.error = m.error.offset !== undefined ? new FormatError(m.error.message, m.error.offset) : new Error(m.error.message);
    else {
      w.piece.buf = Buffer.from(m.buf!, m.off!, m.len!);
      if (m.index !== undefined && this.indexes.length < 2) this.indexes.push(m.index);
      this.lastOut = Math.max(1 << 16, m.len! + (m.len! >> 3));
    }
    w.resolve();
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const [, w] of this.waiting) {
      w.piece.error = e;
      w.resolve();
    }
    this.waiting.clear();
  }
}
