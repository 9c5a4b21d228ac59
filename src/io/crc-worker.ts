// Worker thread of ParallelCrc (io/crc.ts): folds ring slots into a CRC-64.
// workerData: { ring: SharedArrayBuffer (slots of SLOT bytes), flags: SharedArrayBuffer (one
// Int32 per slot: 1 = holds a chunk, 0 = free) }. Messages in: { slot, len } in stream order,
// then { end } (a stream offset); out: { crc } or { error }.

import { parentPort, workerData } from 'node:worker_threads';
import { Crc64 } from '../codec/crc64.js';

const { ring, flags: flagsBuf, slotSize } = workerData as { ring: SharedArrayBuffer; flags: SharedArrayBuffer; slotSize: number };
const bytes = new Uint8Array(ring);
const flags = new Int32Array(flagsBuf);
const crc = new Crc64();
let offset = 0;
// the last two chunks stay held (not released) so the fold can stop inside one of them
const held: { slot: number; start: number; len: number; l: number; h: number }[] = [];

function release(slot: number): void {
  Atomics.store(flags, slot, 0);
  Atomics.notify(flags, slot);
}

parentPort!.on('message', (m: { slot?: number; len?: number; end?: number }) => {
  if (m.slot !== undefined && m.len !== undefined) {
    const view = bytes.subarray(m.slot * slotSize, m.slot * slotSize + m.len);
    held.push({ slot: m.slot, start: offset, len: m.len, l: crc.l, h: crc.h });
    crc.update(view);
    offset += m.len;
    if (held.length > 2) release(held.shift()!.slot);
    return;
  }
  if (m.end !== undefined) {
    const at = m.end;
    const h = held.find((x) => at >= x.start && at <= x.start + x.len);
    if (!h) {
      parentPort!.postMessage({ error: `CRC end ${at} is outside the chunks held (${held.map((x) => `${x.start}+${x.len}`).join(', ')})` });
      return;
    }
    const c = new Crc64();
    c.l = h.l;
    c.h = h.h;
    c.update(bytes, h.slot * slotSize, h.slot * slotSize + (at - h.start));
    parentPort!.postMessage({ crc: c.hex() });
  }
});
