// Redis's glob-style pattern matching over key bytes, as KEYS applies it: `*`, `?`, `[abc]`,
// `[^abc]`, `[a-z]`, `\x` for a literal x. Follows stringmatchlen (util.c) step by step,
// quirks included: in `[a-]` the range runs from 'a' to ']' (the bracket then continues), an
// unclosed bracket ends with the pattern, and an empty key matches only the pattern `*`
// (KEYS's match-everything case).

export function globMatch(pattern: Uint8Array, s: Uint8Array, nocase = false): boolean {
  if (pattern.length === 1 && pattern[0] === 0x2a) return true;
  const skip = { longer: false };
  return match(pattern, 0, s, 0, nocase, skip);
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function match(p: Uint8Array, pi: number, s: Uint8Array, si: number, nocase: boolean, skip: { longer: boolean }): boolean {
  const pn = p.length;
  const sn = s.length;
  while (pi < pn && si < sn) {
    const c = p[pi]!;
    if (c === 0x2a /* * */) {
      while (pi + 1 < pn && p[pi + 1] === 0x2a) pi++;
      if (pi + 1 === pn) return true;
      for (; si < sn; si++) {
        if (match(p, pi + 1, s, si, nocase, skip)) return true;
        if (skip.longer) return false;
      }
      // no match for the rest anywhere later: a longer match of an earlier '*' cannot help
      skip.longer = true;
      return false;
    } else if (c === 0x3f /* ? */) {
      si++;
    } else if (c === 0x5b /* [ */) {
      pi++;
      const not = p[pi] === 0x5e;
      if (not) pi++;
      let hit = false;
      const ch = s[si]!;
      for (;;) {
        if (p[pi] === 0x5c && pn - pi >= 2) {
          pi++;
          if (p[pi] === ch) hit = true;
        } else if (p[pi] === 0x5d) {
          break;
        } else if (pi >= pn) {
          pi--; // an unclosed bracket: the pattern ends here
          break;
        } else if (pn - pi >= 3 && p[pi + 1] === 0x2d /* - */) {
          let a = p[pi]!;
          let b = p[pi + 2]!;
          if (a > b) [a, b] = [b, a];
          let x = ch;
          if (nocase) {
            a = lower(a);
            b = lower(b);
            x = lower(x);
          }
          pi += 2;
          if (x >= a && x <= b) hit = true;
        } else if (nocase ? lower(p[pi]!) === lower(ch) : p[pi] === ch) {
          hit = true;
        }
        pi++;
      }
      if (not) hit = !hit;
      if (!hit) return false;
      si++;
    } else {
      let lit = c;
      if (c === 0x5c && pn - pi >= 2) {
        pi++;
        lit = p[pi]!;
      }
      if (nocase ? lower(lit) !== lower(s[si]!) : lit !== s[si]) return false;
      si++;
    }
    pi++;
    if (si === sn) {
      while (pi < pn && p[pi] === 0x2a) pi++;
      break;
    }
  }
  return pi >= pn && si === sn;
}
