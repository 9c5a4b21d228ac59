// Redis's glob-style pattern matching (stringmatchlen in util.c) over key bytes:
// `*`, `?`, `[abc]`, `[^abc]`, `[a-z]`, and `\x` to match x literally.

export function globMatch(pattern: Uint8Array, s: Uint8Array, nocase = false): boolean {
  return match(pattern, 0, s, 0, nocase);
}

function lower(c: number, nocase: boolean): number {
  return nocase && c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function match(p: Uint8Array, pi: number, s: Uint8Array, si: number, nocase: boolean): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === 0x2a /* * */) {
      while (pi + 1 < p.length && p[pi + 1] === 0x2a) pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (match(p, pi + 1, s, k, nocase)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === 0x3f /* ? */) {
      si++;
      pi++;
      continue;
    }
    if (c === 0x5b /* [ */) {
      pi++;
      const not = p[pi] === 0x5e;
      if (not) pi++;
      let hit = false;
      const ch = lower(s[si]!, nocase);
      while (pi < p.length && p[pi] !== 0x5d) {
        if (p[pi] === 0x5c && pi + 1 < p.length) {
          pi++;
          if (lower(p[pi]!, nocase) === ch) hit = true;
        } else if (pi + 2 < p.length && p[pi + 1] === 0x2d /* - */ && p[pi + 2] !== 0x5d) {
          let a = lower(p[pi]!, nocase);
          let b = lower(p[pi + 2]!, nocase);
          if (a > b) [a, b] = [b, a];
          if (ch >= a && ch <= b) hit = true;
          pi += 2;
        } else if (lower(p[pi]!, nocase) === ch) hit = true;
        pi++;
      }
      if (pi < p.length) pi++; // the ]
      if (not) hit = !hit;
      if (!hit) return false;
      si++;
      continue;
    }
    let lit = c;
    if (c === 0x5c && pi + 1 < p.length) {
      pi++;
      lit = p[pi]!;
    }
    if (lower(lit, nocase) !== lower(s[si]!, nocase)) return false;
    pi++;
    si++;
  }
  return si === s.length;
}
