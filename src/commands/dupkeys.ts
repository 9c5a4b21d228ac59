// Duplicate keys in an RDB: Redis refuses to load such a file ("RDB has duplicated key"), yet
// a streaming reader that does not keep the keys cannot see them. KeyFingerprints keeps 64
// bits per key (two 32-bit hashes of db and key, in one open-addressing table: ~12-24 bytes
// a key); a fingerprint seen twice makes the key a suspect, and `confirm` settles the
// suspects exactly on a second read (a different key with the same 64 bits must not be
// reported as a duplicate).

// the two hashes of the last fingerprint() call (no array per key)
let fa = 0;
let fb = 0;

/** FNV-1a (32-bit) and a second, independent multiplicative hash over db and key bytes */
function fingerprint(db: number, key: Uint8Array): void {
  let a = 0x811c9dc5 ^ db;
  let b = 0x9e3779b9 ^ Math.imul(db + 1, 0x85ebca6b);
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0xcc9e2d51);
    b = (b << 15) | (b >>> 17);
  }
  b ^= key.length;
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b);
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b ^= b >>> 16;
  fa = a >>> 0;
  fb = b >>> 0;
  if (fa === 0 && fb === 0) fb = 1; // (0, 0) marks an empty slot
}

export class KeyFingerprints {
  /** slot i: t[2i], t[2i + 1] (together: one cache line touched per probe) */
  private t = new Uint32Array(2 << 16);
  private slots = 1 << 16;
  private used = 0;
  /** fingerprints seen more than once, as "hi:lo" */
  private readonly suspects = new Set<string>();

  /** Record a key; true when its fingerprint was seen before (a suspected duplicate). */
  add(db: number, key: Uint8Array): boolean {
    fingerprint(db, key);
    const h = fa;
    const l = fb;
    if (2 * (this.used + 1) > this.slots) this.grow();
    const seen = this.insert(h, l);
    if (seen) this.suspects.add(`${h}:${l}`);
    return seen;
  }

  get suspected(): boolean {
    return this.suspects.size > 0;
  }

  /** Whether a key is one of the suspects (for the confirming read). */
  isSuspect(db: number, key: Uint8Array): boolean {
    fingerprint(db, key);
    return this.suspects.has(`${fa}:${fb}`);
  }

  private insert(h: number, l: number): boolean {
    const t = this.t;
    const mask = this.slots - 1;
    for (let i = (h ^ Math.imul(l, 0x27d4eb2d)) & mask; ; i = (i + 1) & mask) {
      const a = t[2 * i]!;
      const b = t[2 * i + 1]!;
      if (a === 0 && b === 0) {
        t[2 * i] = h;
        t[2 * i + 1] = l;
        this.used++;
        return false;
      }
      if (a === h && b === l) return true;
    }
  }

  private grow(): void {
    const old = this.t;
    this.slots *= 2;
    this.t = new Uint32Array(2 * this.slots);
    this.used = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
  }
}

/**
 * The exact check of the suspects: feed every key again (`see`), then `first()` is a key met
 * twice in one db, if any.
 */
export class SuspectCounter {
  private readonly seen = new Set<string>();
  private dup: { db: number; key: Buffer; offset: number } | undefined;

  constructor(private readonly fp: KeyFingerprints) {}

  see(db: number, key: Uint8Array, offset: number): void {
    if (this.dup || !this.fp.isSuspect(db, key)) return;
    const id = `${db}:${Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1')}`;
    if (this.seen.has(id)) this.dup = { db, key: Buffer.from(key), offset };
    else this.seen.add(id);
  }

  first(): { db: number; key: Buffer; offset: number } | undefined {
    return this.dup;
  }
}
