import { describe, expect, it } from 'vitest';
import { ReplyParser } from '../../src/codec/resp-reply.js';
import { encodeCommand, encodedCommandLength, RespWriter, type RespArg } from '../../src/codec/resp-writer.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reference encoding, written the slow obvious way. */
function reference(args: readonly RespArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Byte equality without vitest's slow element-by-element diff of large buffers. */
function expectBytes(got: Uint8Array, want: Uint8Array): void {
  const g = Buffer.from(got.buffer, got.byteOffset, got.length);
  if (g.equals(want)) return;
  let i = 0;
  while (i < g.length && i < want.length && g[i] === want[i]) i++;
  expect.fail(
    `bytes differ at ${i} (lengths ${g.length} / ${want.length}): ` +
      `${g.subarray(i, i + 16).toString('hex')} vs ${Buffer.from(want).subarray(i, i + 16).toString('hex')}`,
  );
}

/** Decode with the reply parser: a command is an array of bulk strings. */
function decode(bytes: Buffer): Buffer[][] {
  const p = new ReplyParser();
  p.feed(bytes);
  const out: Buffer[][] = [];
  for (let r = p.next(); r !== undefined; r = p.next()) out.push(r as Buffer[]);
  expect(p.buffered).toBe(0);
  return out;
}

function randomArgs(rnd: () => number): RespArg[] {
  const n = Math.floor(rnd() * 6);
  const args: RespArg[] = [];
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(rnd() * 4);
    const len = rnd() < 0.1 ? Math.floor(rnd() * 20000) : Math.floor(rnd() * 40);
    if (kind === 0) {
      let s = '';
      for (let j = 0; j < len; j++) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
      args.push(s);
    } else if (kind === 1) {
      // non-ASCII text: byte length differs from string length
      let s = '';
      for (let j = 0; j < Math.min(len, 50); j++) s += ['é', '€', '😀', 'a', '\r', '\n', '\0'][Math.floor(rnd() * 7)];
      args.push(s);
    } else {
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
      args.push(kind === 2 ? b : new Uint8Array(b));
    }
  }
  return args;
}

describe('encodeCommand', () => {
  it('encodes a command as an array of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', 'v']).toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
  });

  it('encodes zero arguments and empty arguments', () => {
    expect(encodeCommand([]).toString('latin1')).toBe('*0\r\n');
    expect(encodeCommand(['', Buffer.alloc(0)]).toString('latin1')).toBe('*2\r\n$0\r\n\r\n$0\r\n\r\n');
  });

  it('keeps binary bytes, including CR, LF, NUL and 0xff', () => {
    const v = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x24, 0x2a]);
    const out = encodeCommand(['SET', v, v]);
    expectBytes(out, reference(['SET', v, v]));
    expect(decode(out)).toEqual([[Buffer.from('SET'), v, v]]);
  });

  it('counts UTF-8 bytes, not UTF-16 units, for string arguments', () => {
    const out = encodeCommand(['é€😀']);
    expect(out.toString('latin1').startsWith('*1\r\n$9\r\n')).toBe(true);
    expect(decode(out)[0]![0]!.toString('utf8')).toBe('é€😀');
  });

  it('accepts plain Uint8Arrays and sub-arrays with a byte offset', () => {
    const big = Buffer.from('xxxxHELLOyyyy');
    const sub = big.subarray(4, 9);
    expect(sub.byteOffset).not.toBe(0);
    const u8 = new Uint8Array([1, 2, 3]);
    expectBytes(encodeCommand([sub, u8]), reference([sub, u8]));
  });

  it('writes length prefixes correctly on digit-count boundaries', () => {
    for (const len of [0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535, 65536, 1 << 20]) {
      const v = Buffer.alloc(len, 0x61);
      const out = encodeCommand(['X', v]);
      expect(out.length).toBe(encodedCommandLength(['X', v]));
      expectBytes(out, reference(['X', v]));
    }
  });

  it('matches the reference encoding on seeded random commands', () => {
    const rnd = mulberry32(1234);
    for (let i = 0; i < 500; i++) {
      const args = randomArgs(rnd);
      const out = encodeCommand(args);
      expect(out.length).toBe(encodedCommandLength(args));
      expectBytes(out, reference(args));
    }
  });
});

describe('RespWriter', () => {
  it('starts empty', () => {
    const w = new RespWriter();
    expect(w.length).toBe(0);
    expect(w.take().length).toBe(0);
  });

  it('buffers pushed commands and hands them over with take()', () => {
    const w = new RespWriter();
    w.push(['SELECT', '1']).push(['SET', Buffer.from('k'), 'v']);
    const expected = Buffer.concat([reference(['SELECT', '1']), reference(['SET', 'k', 'v'])]);
    expect(w.length).toBe(expected.length);
    expectBytes(w.take(), expected);
    expect(w.length).toBe(0);
    expect(w.take().length).toBe(0);
  });

  it('never overwrites bytes already taken, across growth', () => {
    const w = new RespWriter(16);
    const rnd = mulberry32(99);
    const taken: { got: Buffer; want: Buffer }[] = [];
    let want: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const args = randomArgs(rnd);
      w.push(args);
      want.push(reference(args));
      if (rnd() < 0.3) {
        taken.push({ got: w.take(), want: Buffer.concat(want) });
        want = [];
      }
    }
    taken.push({ got: w.take(), want: Buffer.concat(want) });
    for (const t of taken) expectBytes(t.got, t.want);
  });

  it('keeps untaken bytes when it grows', () => {
    const w = new RespWriter(16);
    const payload = Buffer.alloc(100_000, 0x5a);
    w.push(['A']);
    w.push(['B', payload]);
    w.push(['C']);
    expectBytes(w.take(), Buffer.concat([reference(['A']), reference(['B', payload]), reference(['C'])]));
  });

  it('passes raw RESP through with pushRaw', () => {
    const w = new RespWriter(16);
    const raw = reference(['PING']);
    w.push(['ECHO', 'x']).pushRaw(raw).push(['QUIT']);
    expect(decode(w.take())).toEqual([
      [Buffer.from('ECHO'), Buffer.from('x')],
      [Buffer.from('PING')],
      [Buffer.from('QUIT')],
    ]);
  });

  it('rejects a silly chunk size', () => {
    expect(() => new RespWriter(0)).toThrow(RangeError);
  });
});
