// Worker thread of TranscodePipe (convert/transcode-pool.ts): reads the input file itself
// (positional reads on a descriptor the main thread opened) and turns the key records the main
// thread validated and listed into RESP with a RecordTranscoder.
// It may be started before the input is open (convert/transcode-thread.ts), so its settings come
// in the first message: { init: { version, magic, strict, fd } }. Then: { id, index: ArrayBuffer,
// n }, the index holding n records of 4 float64s (absolute start, length, db, select flag); out:
// { id, buf: ArrayBuffer, off, len, index } (the index handed back for the next batch) or
// { id, error: { message, offset? } }.

import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { FormatError } from '../model/errors.js';
import { RecordTranscoder } from './transcode.js';

interface Init {
  version: number;
  magic: 'REDIS' | 'VALKEY';
  strict: boolean;
  fd: number;
}
let t: RecordTranscoder | undefined;
let fd = -1;
const WINDOW = 2 << 20;

// file bytes [winStart, winStart + winLen) are in win, one of two buffers used in turn: a
// record's views are dropped before the next record, so the other buffer is always free
let spare = Buffer.allocUnsafe(WINDOW);
let win = Buffer.allocUnsafe(WINDOW);
let winStart = 0;
let winLen = 0;

/** make the window cover [start, end) of the file */
function cover(start: number, end: number): void {
  if (start >= winStart && end <= winStart + winLen) return;
  // records come in file order: read on from this one
  const size = Math.max(WINDOW, end - start);
  let next = spare.length >= size ? spare : Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const n = fs.readSync(fd, next, got, size - got, start + got);
    if (n === 0) break;
    got += n;
  }
  if (got < end - start) throw new Error(`the input ended at byte ${start + got} while reading it again (bytes ${start}..${end} were read before): did it change during the conversion?`);
  // a window grown for one big record is not kept
  spare = win.length === WINDOW ? win : Buffer.allocUnsafe(WINDOW);
  if (next.length !== WINDOW && next !== spare) next = next.subarray(0, size);
  win = next;
  winStart = start;
  winLen = got;
}

/** output buffers given back by the main thread */
const free: ArrayBuffer[] = [];

parentPort!.on('message', (m: { id: number; index: ArrayBuffer; n: number; next: number; recycle?: ArrayBuffer; init?: Init }) => {
  if (m.init) {
    t = new RecordTranscoder(m.init.version, m.init.magic, m.init.strict);
    fd = m.init.fd;
    return;
  }
  if (m.recycle) {
    if (free.length < 3) free.push(m.recycle);
    return;
  }
  try {
    if (!t) throw new Error('internal: a batch came before the settings');
    const ix = new Float64Array(m.index);
    for (let i = 0; i < m.n; i++) {
      const start = ix[4 * i]!;
      const end = start + ix[4 * i + 1]!;
      cover(start, end);
      t.record(win, start - winStart, end - winStart, ix[4 * i + 2]!, ix[4 * i + 3]! !== 0, start);
    }
    // a buffer of its own per batch, handed over without a copy; the main thread gives the
    // buffers back once written, so a few of them go round
    const i = free.findIndex((b) => b.byteLength >= m.next);
    const reuse = i >= 0 ? Buffer.from(free.splice(i, 1)[0]!) : undefined;
    const out = t.take(true, m.next, reuse);
    parentPort!.postMessage({ id: m.id, buf: out.buffer, off: out.byteOffset, len: out.length, index: m.index }, [out.buffer as ArrayBuffer, m.index]);
  } catch (e) {
    const offset = e instanceof FormatError ? e.offset : undefined;
    parentPort!.postMessage({ id: m.id, error: { message: e instanceof Error ? e.message : String(e), offset } });
  }
});
