import { describe, expect, it } from 'vitest';
import { RespStreamReader, type RespScanResult } from '../../src/codec/resp.js';
import { encodeCommand } from '../../src/codec/resp-writer.js';
import { FEED_MODES, chunksOf, type FeedMode } from '../helpers/feed.js';

interface Seen {
  commands: { args: string[]; offset: number; end: number; line: number; name: string }[];
  annotations: { text: string; offset: number }[];
  result: RespScanResult;
}

function scan(data: Buffer, mode: FeedMode, seed = 1): Seen {
  const seen: Seen = { commands: [], annotations: [], result: undefined as unknown as RespScanResult };
  const r = new RespStreamReader({
    command(rec) {
      seen.commands.push({ args: rec.args().map((a) => a.toString('latin1')), offset: rec.offset, end: rec.end, line: rec.line, name: rec.name });
    },
    annotation(text, offset) {
      seen.annotations.push({ text, offset });
    },
  });
  for (const c of chunksOf(data, mode, seed)) r.push(c);
  seen.result = r.finish();
  return seen;
}

const cmd = (...a: string[]) => encodeCommand(a);

describe('RespStreamReader', () => {
  const aof = Buffer.concat([
    Buffer.from('#TS:1700000000\r\n'),
    cmd('SELECT', '0'),
    cmd('set', 'k', 'v'),
    cmd('MULTI'),
    cmd('INCR', 'n'),
    cmd('EXEC'),
    Buffer.from('#TS:1700000001\r\n'),
    cmd('RPUSH', 'l', 'a\r\nb', ''),
  ]);

  for (const mode of FEED_MODES) {
    it(`reads commands, names, offsets, lines and annotations (${mode})`, () => {
      const s = scan(aof, mode, 7);
      expect(s.commands.map((c) => c.name)).toEqual(['SELECT', 'SET', 'MULTI', 'INCR', 'EXEC', 'RPUSH']);
      expect(s.commands[5]!.args).toEqual(['RPUSH', 'l', 'a\r\nb', '']);
      expect(s.commands[0]!.offset).toBe(16);
      expect(s.commands[1]!.offset).toBe(s.commands[0]!.end);
      // lines: 1 + 2*argc per command, annotations not counted (as redis-check-aof counts)
      expect(s.commands[0]!.line).toBe(1);
      expect(s.commands[1]!.line).toBe(1 + 5);
      expect(s.annotations).toEqual([
        { text: '#TS:1700000000', offset: 0 },
        { text: '#TS:1700000001', offset: s.commands[4]!.end },
      ]);
      expect(s.result.problem).toBeUndefined();
      expect(s.result.okUpTo).toBe(aof.length);
      expect(s.result.size).toBe(aof.length);
      expect(s.result.line).toBe(1 + 5 + 7 + 3 + 5 + 3 + 9);
      expect(s.result.commands).toBe(6);
    });
  }

  it('cuts at the start of a truncated command, whatever the split', () => {
    const whole = Buffer.concat([cmd('SET', 'a', '1'), cmd('SET', 'b', '2')]);
    const first = cmd('SET', 'a', '1').length;
    for (let cut = first + 1; cut < whole.length; cut++) {
      for (const mode of FEED_MODES) {
        const s = scan(whole.subarray(0, cut), mode, cut);
        expect(s.result.okUpTo).toBe(first);
        expect(s.result.problem?.truncated).toBe(true);
        expect(s.commands.length).toBe(1);
      }
    }
  });

  it('rewinds okUpTo to the MULTI of an unterminated transaction', () => {
    const data = Buffer.concat([cmd('SET', 'a', '1'), cmd('MULTI'), cmd('SET', 'b', '2')]);
    for (const mode of FEED_MODES) {
      const s = scan(data, mode);
      expect(s.result.okUpTo).toBe(cmd('SET', 'a', '1').length);
      expect(s.result.openMulti).toBe(true);
      expect(s.result.problem?.message).toMatch(/EOF before reading EXEC/);
    }
  });

  it('rejects a nested MULTI and a lone EXEC at the right record', () => {
    const a = cmd('SET', 'a', '1');
    const nested = scan(Buffer.concat([a, cmd('MULTI'), cmd('MULTI'), cmd('EXEC')]), 'whole');
    expect(nested.result.okUpTo).toBe(a.length);
    expect(nested.result.problem?.message).toMatch(/Unexpected MULTI/);
    const lone = scan(Buffer.concat([a, cmd('EXEC')]), 'bytes');
    expect(lone.result.okUpTo).toBe(a.length);
    expect(lone.result.problem?.message).toMatch(/Unexpected EXEC/);
  });

  it('reports a format error with its offset and keeps what came before', () => {
    const a = cmd('SET', 'a', '1');
    const bad = Buffer.concat([a, Buffer.from('garbage\r\n'), cmd('SET', 'b', '2')]);
    for (const mode of FEED_MODES) {
      const s = scan(bad, mode);
      expect(s.result.okUpTo).toBe(a.length);
      expect(s.result.problem).toMatchObject({ offset: a.length, truncated: false });
      expect(s.commands.length).toBe(1);
    }
  });

  it('checks the CRLF after a payload and the $ prefix', () => {
    const a = cmd('SET', 'a', '1');
    const wrongLen = Buffer.concat([a, Buffer.from('*3\r\n$3\r\nSET\r\n$2\r\nb\r\n$1\r\n2\r\n')]);
    const s = scan(wrongLen, 'random', 3);
    expect(s.result.okUpTo).toBe(a.length);
    expect(s.result.problem?.message).toMatch(/Expected \\r\\n/);
    const noDollar = Buffer.concat([a, Buffer.from('*2\r\n#3\r\nSET\r\n')]);
    expect(scan(noDollar, 'whole').result.problem?.message).toMatch(/Expected prefix '\$'/);
  });

  it('names counts beyond 2^53 as the file holds them (clamped to LONG_MAX like strtol), not as a rounded double', () => {
    for (const mode of ['whole', 'random'] as const) {
      const huge = scan(Buffer.from('*99999999999999999999\r\n$3\r\nSET\r\n'), mode);
      expect(huge.result.problem?.message).toBe(
        'unexpected end of file: argument 2 of 9223372036854775807 is missing; Redis reads this count with atoi() as -1 and refuses the file (Bad file format)',
      );
      const big = scan(Buffer.from('*2\r\n$3\r\nGET\r\n$12345678901234567\r\nab'), mode);
      expect(big.result.problem?.message).toBe('Expected to read 12345678901234569 bytes, got 2 bytes (file truncated inside argument 2 of 2)');
      const exact = scan(Buffer.from('*9007199254740993\r\n'), mode);
      expect(exact.result.problem?.message).toBe(
        'unexpected end of file: argument 1 of 9007199254740993 is missing; Redis reads this count with atoi() as 1 and reads the file differently from here',
      );
    }
  });

  it('a count Redis cannot read as an int is no truncated tail: Redis refuses the file, whatever follows', () => {
    // Redis's AOF loader: argc = atoi(buf + 1); if (argc < 1) goto fmterr. redis-check-aof reads
    // a long and calls the same bytes a truncated file; ok_up_to is the same either way
    const a = cmd('SET', 'a', '1');
    for (const mode of ['whole', 'random'] as const) {
      const neg = scan(Buffer.concat([a, Buffer.from('*2147483648\r\n$3\r\nSET\r\n')]), mode);
      expect(neg.result.okUpTo).toBe(a.length);
      expect(neg.result.problem).toMatchObject({ truncated: false, message: 'unexpected end of file: argument 2 of 2147483648 is missing; Redis reads this count with atoi() as -2147483648 and refuses the file (Bad file format)' });
      const cut = scan(Buffer.concat([a, Buffer.from('*4294967298\r\n$3\r\nSET\r\n$5\r\nab')]), mode);
      expect(cut.result.problem).toMatchObject({ truncated: false });
      expect(cut.result.problem?.message).toMatch(/as 2 and reads the file differently from here$/);
      // the largest count an int holds is still an ordinary truncated tail
      const max = scan(Buffer.concat([a, Buffer.from('*2147483647\r\n$3\r\nSET\r\n')]), mode);
      expect(max.result.problem).toMatchObject({ truncated: true, message: 'unexpected end of file: argument 2 of 2147483647 is missing' });
    }
  });

  it('accepts header forms strtol accepts, as redis-check-aof does', () => {
    // "*\r\n" is argc 0 (no digits: endptr = nptr); "* 1" skips the space; "$+3" takes the sign
    const data = Buffer.from('*\r\n* 1\r\n$+4\r\nPING\r\n');
    const s = scan(data, 'bytes');
    expect(s.result.problem).toBeUndefined();
    expect(s.commands.map((c) => c.args.length)).toEqual([0, 1]);
  });

  it('does not wait for a huge declared length to be buffered before failing at EOF', () => {
    const data = Buffer.concat([cmd('SET', 'a', '1'), Buffer.from('*3\r\n$3\r\nSET\r\n$999999999999\r\nxx')]);
    const s = scan(data, 'random', 5);
    expect(s.result.okUpTo).toBe(cmd('SET', 'a', '1').length);
    expect(s.result.problem?.truncated).toBe(true);
  });
});
