import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/model/errors.js';
import { ReplyError, ReplyParser, type Reply, type ReplyParserOptions } from '../../src/codec/resp-reply.js';

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

type Splitter = { name: string; split: (b: Buffer) => Buffer[] };

/** Every streaming case runs whole, byte by byte, in seeded random splits, and from
 * sub-arrays of a larger buffer (byteOffset != 0). */
const SPLITTERS: Splitter[] = [
  { name: 'whole', split: (b) => [b] },
  { name: 'byte by byte', split: (b) => Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1)) },
  ...[1, 2, 3, 42, 1337].map((seed) => ({
    name: `random splits (seed ${seed})`,
    split: (b: Buffer) => {
      const rnd = mulberry32(seed);
      const out: Buffer[] = [];
      let i = 0;
      while (i < b.length) {
        const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 200));
        out.push(b.subarray(i, i + n));
        i += n;
      }
      return out;
    },
  })),
  {
    name: 'offset sub-arrays',
    split: (b) => {
      const host = Buffer.alloc(b.length + 64, 0xee);
      b.copy(host, 32);
      const mid = Math.floor(b.length / 2);
      return [host.subarray(32, 32 + mid), host.subarray(32 + mid, 32 + b.length)];
    },
  },
];

function parseAll(chunks: Buffer[], opts?: ReplyParserOptions): Reply[] {
  const p = new ReplyParser(opts);
  const out: Reply[] = [];
  for (const c of chunks) {
    p.feed(c);
    for (let r = p.next(); r !== undefined; r = p.next()) out.push(r);
  }
  expect(p.buffered).toBe(0);
  expect(p.offset).toBe(chunks.reduce((n, c) => n + c.length, 0));
  return out;
}

function expectEveryWay(bytes: Buffer, expected: Reply[]): void {
  for (const s of SPLITTERS) {
    expect(parseAll(s.split(bytes)), s.name).toEqual(expected);
  }
}

function expectErrorEveryWay(bytes: Buffer, pattern: RegExp, offset?: number, opts?: ReplyParserOptions): void {
  for (const s of SPLITTERS) {
    const p = new ReplyParser(opts);
    let err: unknown;
    try {
      for (const c of s.split(bytes)) {
        p.feed(c);
        while (p.next() !== undefined) {
          /* drain */
        }
      }
    } catch (e) {
      err = e;
    }
    expect(err, s.name).toBeInstanceOf(FormatError);
    expect((err as FormatError).message, s.name).toMatch(pattern);
    if (offset !== undefined) expect((err as FormatError).offset, s.name).toBe(offset);
  }
}

const b = (s: string) => Buffer.from(s, 'latin1');

const CASES: { name: string; wire: string | Buffer; replies: Reply[] }[] = [
  { name: 'simple string', wire: '+OK\r\n', replies: ['OK'] },
  { name: 'empty simple string', wire: '+\r\n', replies: [''] },
  { name: 'error', wire: '-ERR unknown command\r\n', replies: [new ReplyError('ERR unknown command')] },
  { name: 'integers', wire: ':0\r\n:-1\r\n:42\r\n:-0\r\n', replies: [0, -1, 42, -0] },
  {
    name: 'integers around 2^53 and int64 limits',
    wire: ':9007199254740991\r\n:-9007199254740991\r\n:9007199254740992\r\n:9223372036854775807\r\n:-9223372036854775808\r\n',
    replies: [9007199254740991, -9007199254740991, 9007199254740992n, 9223372036854775807n, -9223372036854775808n],
  },
  { name: 'bulk string', wire: '$5\r\nhello\r\n', replies: [b('hello')] },
  { name: 'empty bulk string', wire: '$0\r\n\r\n', replies: [b('')] },
  { name: 'nil bulk string', wire: '$-1\r\n', replies: [null] },
  { name: 'bulk string holding CRLF and binary', wire: b('$6\r\n\r\n\x00\xff\r\n\r\n'), replies: [b('\r\n\x00\xff\r\n')] },
  { name: 'empty array', wire: '*0\r\n', replies: [[]] },
  { name: 'nil array', wire: '*-1\r\n', replies: [null] },
  {
    name: 'flat array of mixed types',
    wire: '*6\r\n+OK\r\n:7\r\n$3\r\nabc\r\n$-1\r\n-WRONGTYPE no\r\n*-1\r\n',
    replies: [['OK', 7, b('abc'), null, new ReplyError('WRONGTYPE no'), null]],
  },
  {
    name: 'nested arrays (XREADGROUP-like)',
    wire: '*1\r\n*2\r\n$6\r\nstream\r\n*2\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$3\r\n2-0\r\n*0\r\n',
    replies: [[[b('stream'), [[b('1-1'), [b('f'), b('v')]], [b('2-0'), []]]]]],
  },
  {
    name: 'arrays ending in an empty array, then more replies',
    wire: '*2\r\n:1\r\n*0\r\n+after\r\n',
    replies: [[1, []], 'after'],
  },
  {
    name: 'several replies back to back',
    wire: '+PONG\r\n$1\r\nx\r\n:3\r\n*1\r\n$0\r\n\r\n-ERR x\r\n',
    replies: ['PONG', b('x'), 3, [b('')], new ReplyError('ERR x')],
  },
];

describe('ReplyParser', () => {
  for (const c of CASES) {
    it(`parses ${c.name} whole, byte by byte and in random splits`, () => {
      expectEveryWay(typeof c.wire === 'string' ? b(c.wire) : c.wire, c.replies);
    });
  }

  it('parses all cases concatenated into one stream', () => {
    const wire = Buffer.concat(CASES.map((c) => (typeof c.wire === 'string' ? b(c.wire) : c.wire)));
    expectEveryWay(wire, CASES.flatMap((c) => c.replies));
  });

  it('parses deep nesting without recursion', () => {
    const depth = 100_000;
    const wire = b('*1\r\n'.repeat(depth) + ':1\r\n+tail\r\n');
    for (const s of [SPLITTERS[0]!, SPLITTERS[2]!]) {
      const got = parseAll(s.split(wire));
      expect(got.length, s.name).toBe(2);
      expect(got[1], s.name).toBe('tail');
      // walk it iteratively: a recursive deep-equal would overflow the stack
      let r: Reply = got[0]!;
      for (let i = 0; i < depth; i++) {
        if (!Array.isArray(r) || r.length !== 1) expect.fail(`not a one-element array at depth ${i}`);
        r = r[0]!;
      }
      expect(r).toBe(1);
    }
  });

  it('parses a 1 MiB bulk string and a 10000-element array in random splits', () => {
    const rnd = mulberry32(7);
    const payload = Buffer.alloc(1 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(rnd() * 256);
    const items: Buffer[] = [];
    let wire = `*10000\r\n`;
    for (let i = 0; i < 10000; i++) {
      items.push(b(`item:${i}`));
      wire += `$${`item:${i}`.length}\r\nitem:${i}\r\n`;
    }
    const bytes = Buffer.concat([b(`$${payload.length}\r\n`), payload, b('\r\n'), b(wire)]);
    for (const s of [SPLITTERS[0]!, SPLITTERS[2]!, SPLITTERS[5]!, SPLITTERS[7]!]) {
      const got = parseAll(s.split(bytes));
      expect(got.length, s.name).toBe(2);
      expect((got[0] as Buffer).equals(payload), s.name).toBe(true);
      expect((got[1] as Buffer[]).map((x) => x.toString('latin1')), s.name).toEqual(items.map((x) => x.toString('latin1')));
    }
  });

  it('returns undefined until a reply is complete', () => {
    const p = new ReplyParser();
    p.feed(b('$5\r\nhel'));
    expect(p.next()).toBeUndefined();
    expect(p.pending).toBe(0);
    p.feed(b('lo\r'));
    expect(p.next()).toBeUndefined();
    p.feed(b('\n*2\r\n:1\r\n'));
    expect(p.pending).toBe(1);
    expect(p.next()).toEqual(b('hello'));
    expect(p.next()).toBeUndefined();
    p.feed(b(':2\r\n'));
    expect(p.next()).toEqual([1, 2]);
  });

  it('returns bulk strings that own their bytes', () => {
    const p = new ReplyParser();
    const chunk = b('$3\r\nabc\r\n');
    p.feed(chunk);
    const v = p.next() as Buffer;
    chunk.fill(0x7a);
    p.feed(b('$3\r\nxyz\r\n$3\r\nqqq\r\n'));
    expect(v.toString()).toBe('abc');
    expect((p.next() as Buffer).toString()).toBe('xyz');
  });

  it('exposes the error code of error replies', () => {
    expect(new ReplyError('WRONGTYPE Operation against a key').code).toBe('WRONGTYPE');
    expect(new ReplyError('ERR').code).toBe('ERR');
  });

  describe('protocol errors', () => {
    it('rejects an unknown type byte, with its absolute offset', () => {
      expectErrorEveryWay(b('+OK\r\n?what\r\n'), /unexpected reply type byte 0x3f/, 5);
    });
    it('rejects a bad bulk length', () => {
      expectErrorEveryWay(b('$abc\r\n'), /invalid bulk length/);
      expectErrorEveryWay(b('$-2\r\n'), /invalid bulk length/);
      expectErrorEveryWay(b('$\r\n'), /empty bulk length/);
    });
    it('rejects a bad array length', () => {
      expectErrorEveryWay(b('*x\r\n'), /invalid array length/);
    });
    it('rejects a bad integer', () => {
      expectErrorEveryWay(b(':12a\r\n'), /invalid integer/);
      expectErrorEveryWay(b(':\r\n'), /empty integer/);
      expectErrorEveryWay(b(':-\r\n'), /empty integer/);
    });
    it('rejects a bulk string not followed by CRLF', () => {
      expectErrorEveryWay(b('$3\r\nabcd\r\n'), /not terminated by CRLF/, 7);
    });
    it('rejects CR not followed by LF', () => {
      expectErrorEveryWay(b('+OK\rX\n'), /expected LF after CR/, 4);
    });
    it('enforces the configured limits before buffering a payload', () => {
      expectErrorEveryWay(b('$1000\r\n'), /exceeds the limit/, 1, { maxBulkLength: 999 });
      expectErrorEveryWay(b('*11\r\n'), /exceeds the limit/, 1, { maxArrayLength: 10 });
      expectErrorEveryWay(b('+' + 'x'.repeat(200)), /line too long/, undefined, { maxLineLength: 100 });
      expectErrorEveryWay(b('$99999999999999999999\r\n'), /too large/);
    });
    it('keeps failing after an error', () => {
      const p = new ReplyParser();
      expect(() => p.feed(b('!\r\n'))).toThrow(FormatError);
      expect(() => p.feed(b('+OK\r\n'))).toThrow(FormatError);
    });
  });
});
