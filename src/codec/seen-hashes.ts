// The 32-bit hashes of a collection's members, for the duplicate checks of validate-only
// reading (sets, hashes and sorted sets: Redis refuses a file that repeats a member). A
// JS Set<number> costs ~60 ns an insert; this open-addressing table, kept between
// collections and emptied by bumping a generation number instead of clearing, ~10 ns.
//
// A repeated hash only says "maybe a duplicate": the caller then decides with the bytes.

/** above this many slots (32 MiB of tables) a collection's hashes go to a JS Set instead */
const MAX_SLOTS = 1 << 22;

export class SeenHashes {
  private keys = new Int32Array(1024);
  private gens = new Int32Array(1024);
  private mask = 1023;
  private gen = 0;
  private count = 0;
  private big: Set<number> | undefined;

  /** Start an empty set. */
  reset(): void {
    this.count = 0;
    this.big = undefined;
    if (++this.gen === 0x7fffffff) {
      this.gens.fill(0);
      this.gen = 1;
    }
  }

  /** Add h; true when it was there already. */
  add(h: number): boolean {
    if (this.big !== undefined) {
      if (this.big.has(h)) return true;
      this.big.add(h);
      return false;
    }
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    if (this.big !== undefined) return this.add(h);
    const keys = this.keys;
    const gens = this.gens;
    const gen = this.gen;
    const mask = this.mask;
    for (let i = Math.imul(h, 0x9e3779b1) >>> 0; ; i++) {
      const s = i & mask;
      if (gens[s] !== gen) {
        gens[s] = gen;
        keys[s] = h;
        this.count++;
        return false;
      }
      if (keys[s] === h) return true;
    }
  }

  /** Double the table (rehashing this generation's keys), or move to a JS Set. */
  private grow(): void {
    const oldKeys = this.keys;
    const oldGens = this.gens;
    const gen = this.gen;
    const size = 2 * (this.mask + 1);
    if (size > MAX_SLOTS) {
      const big = new Set<number>();
      for (let s = 0; s < oldGens.length; s++) if (oldGens[s] === gen) big.add(oldKeys[s]!);
      this.big = big;
      return;
    }
    this.keys = new Int32Array(size);
    this.gens = new Int32Array(size);
    this.mask = size - 1;
    this.count = 0;
    for (let s = 0; s < oldGens.length; s++) if (oldGens[s] === gen) this.add(oldKeys[s]!);
  }
}

const digits = new Uint8Array(24);

/** FNV-1a of an integer's decimal text (what fnvBytes gives for those bytes), without the text */
export function fnvInt(v: number): number {
  if (!Number.isSafeInteger(v)) return fnvText(String(v));
  let n = 0;
  let u = v < 0 ? -v : v;
  do {
    const q = Math.floor(u / 10);
    digits[n++] = 0x30 + (u - q * 10);
    u = q;
  } while (u > 0);
  if (v < 0) digits[n++] = 0x2d;
  let h = 0x811c9dc5 ^ n;
  for (let k = n - 1; k >= 0; k--) h = Math.imul(h ^ digits[k]!, 0x01000193);
  return h;
}

/** FNV-1a over latin1 text: equal to fnvBytes of the same bytes */
export function fnvText(t: string): number {
  let h = 0x811c9dc5 ^ t.length;
  for (let k = 0; k < t.length; k++) h = Math.imul(h ^ t.charCodeAt(k), 0x01000193);
  return h;
}

/** FNV-1a over bytes [s, e) */
export function fnvBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5 ^ (e - s);
  for (let k = s; k < e; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  return h;
}
