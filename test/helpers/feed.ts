// Every streaming reader test runs three ways through this helper: whole, byte by byte, and
// in seeded random splits; each chunk is a sub-array of a larger buffer (byteOffset != 0).

export type FeedMode = 'whole' | 'bytes' | 'random';
export const FEED_MODES: FeedMode[] = ['whole', 'bytes', 'random'];

/** mulberry32: small deterministic PRNG for seeded tests */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Place bytes inside a larger buffer so the view has byteOffset != 0. */
export function offsetView(data: Uint8Array): Buffer {
  const big = Buffer.alloc(data.length + 13, 0xee);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(big, 7);
  return big.subarray(7, 7 + data.length);
}

export function chunksOf(data: Uint8Array, mode: FeedMode, seed = 1): Buffer[] {
  const out: Buffer[] = [];
  if (mode === 'whole') return [offsetView(data)];
  if (mode === 'bytes') {
    for (let i = 0; i < data.length; i++) out.push(offsetView(data.subarray(i, i + 1)));
    return out;
  }
  const r = rng(seed);
  let i = 0;
  while (i < data.length) {
    const n = 1 + Math.floor(r() * (r() < 0.5 ? 16 : 4096));
    out.push(offsetView(data.subarray(i, i + n)));
    i += n;
  }
  return out;
}
