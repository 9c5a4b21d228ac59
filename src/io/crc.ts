// The CRC-64 of an RDB stream computed on a second thread while the main thread parses it:
// on two cores the checksum stops costing the parser anything (measured: ~15% of the RDB
// check). Chunks are copied into a fixed ring of shared slots (a memcpy per MiB), so memory
// stays flat: the worker never holds more than the ring.

import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WORKER_URL = new URL('./crc-worker.js', import.meta.url);
const SLOTS = 4;

export class ParallelCrc {
  private next = 0;
  private readonly bytes: Uint8Array;
  private readonly flags: Int32Array;

  private constructor(
    private readonly worker: Worker,
    ring: SharedArrayBuffer,
    flags: SharedArrayBuffer,
    private readonly slotSize: number,
  ) {
    this.bytes = new Uint8Array(ring);
    this.flags = new Int32Array(flags);
    worker.unref();
  }

  /**
   * A running worker for chunks of at most `slotSize` bytes, or undefined where none can start
   * (running from the TypeScript sources, where the worker file is not built).
   */
  static start(slotSize: number): ParallelCrc | undefined {
    try {
      if (WORKER_URL.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER_URL))) return undefined;
      const ring = new SharedArrayBuffer(SLOTS * slotSize);
      const flags = new SharedArrayBuffer(SLOTS * 4);
      // a small heap: the worker allocates almost nothing (its RSS counts against the check's)
      const worker = new Worker(WORKER_URL, { workerData: { ring, flags, slotSize }, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1, codeRangeSizeMb: 4 } });
      return new ParallelCrc(worker, ring, flags, slotSize);
    } catch {
      return undefined;
    }
  }

  /** Hand over the next bytes of the stream (in order, from offset 0). */
  push(chunk: Uint8Array): void {
    for (let off = 0; off < chunk.length; off += this.slotSize) {
      const part = chunk.subarray(off, Math.min(chunk.length, off + this.slotSize));
      const slot = this.next;
      this.next = (this.next + 1) % SLOTS;
      // wait until the worker has released the slot (it folds ~1 GB/s; the parser is slower)
      while (Atomics.load(this.flags, slot) !== 0) Atomics.wait(this.flags, slot, 1, 100);
      this.bytes.set(part, slot * this.slotSize);
      Atomics.store(this.flags, slot, 1);
      this.worker.postMessage({ slot, len: part.length });
    }
  }

  /** The CRC-64 (16 hex digits) of stream bytes [0, end); `end` is in one of the last chunks. */
  result(end: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.worker.once('error', onError);
      this.worker.once('message', (m: { crc?: string; error?: string }) => {
        this.worker.off('error', onError);
        if (m.crc) resolve(m.crc);
        else reject(new Error(m.error));
      });
      this.worker.postMessage({ end });
    });
  }

  close(): void {
    void this.worker.terminate();
  }
}
