import { describe, expect, it } from 'vitest';
import {
  formatManifest,
  parseManifest,
  splitArgs,
  MANIFEST_DUPLICATE_BASE,
  MANIFEST_EMPTY,
  MANIFEST_FILE_IS_PATH,
  MANIFEST_INVALID_FORMAT,
  MANIFEST_NON_MONOTONIC,
  MANIFEST_TOO_LONG_LINE,
  MANIFEST_UNKNOWN_TYPE,
  type ManifestEntry,
} from '../../src/codec/manifest.js';
import { FormatError } from '../../src/model/errors.js';

const B = (s: string): Buffer => Buffer.from(s, 'latin1');

function parseError(text: string | Buffer): FormatError {
  try {
    parseManifest(typeof text === 'string' ? B(text) : text);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('splitArgs (sdssplitargs)', () => {
  it('splits on blanks', () => {
    expect(splitArgs('file a seq 1 type b')).toEqual(['file', 'a', 'seq', '1', 'type', 'b']);
    expect(splitArgs('  a \t b\r\n')).toEqual(['a', 'b']);
    expect(splitArgs('')).toEqual([]);
    expect(splitArgs('   ')).toEqual([]);
  });

  it('double quotes with C escapes', () => {
    expect(splitArgs('"a b" c')).toEqual(['a b', 'c']);
    expect(splitArgs('"\\n\\r\\t\\b\\a\\\\\\"\\q"')).toEqual(['\n\r\t\b\x07\\"q']);
    expect(splitArgs('"\\x41\\x7a\\xff\\x00"')).toEqual(['Az\xff\x00']);
    expect(splitArgs('"\\xZZ"')).toEqual(['xZZ']); // not hex: \x is just x
    expect(splitArgs('"\\x4"')).toEqual(['x4']);
    expect(splitArgs('""')).toEqual(['']);
  });

  it('single quotes escape only \\\'', () => {
    expect(splitArgs("'a b' c")).toEqual(['a b', 'c']);
    expect(splitArgs("'it\\'s'")).toEqual(["it's"]);
    expect(splitArgs("'\\n\\x41'")).toEqual(['\\n\\x41']);
  });

  it('a quote can open in the middle of a token', () => {
    expect(splitArgs('ab"c d"')).toEqual(['abc d']);
    expect(splitArgs("ab'c d' e")).toEqual(['abc d', 'e']);
  });

  it('null on unbalanced quotes or text right after a closing quote', () => {
    expect(splitArgs('"abc')).toBeNull();
    expect(splitArgs("'abc")).toBeNull();
    expect(splitArgs('"abc\\"')).toBeNull();
    expect(splitArgs('"foo"bar')).toBeNull();
    expect(splitArgs("'foo'bar")).toBeNull();
    expect(splitArgs('"foo" bar')).toEqual(['foo', 'bar']);
    expect(splitArgs('"foo"\tbar')).toEqual(['foo', 'bar']);
    expect(splitArgs('"foo"\vbar')).toEqual(['foo', 'bar']); // isspace() includes \v
  });

  it('\\v and \\f are blanks between tokens but not token ends (as in C)', () => {
    expect(splitArgs('\va\fb')).toEqual(['a\fb']);
  });

  it('the line ends at a NUL char, like a C string', () => {
    expect(splitArgs('a b\0c d')).toEqual(['a', 'b']);
    expect(splitArgs('"a\0b"')).toBeNull();
  });
});

describe('parseManifest', () => {
  it('parses what Redis writes', () => {
    const text =
      'file appendonly.aof.2.base.rdb seq 2 type b\n' +
      'file appendonly.aof.1.incr.aof seq 1 type h\n' +
      'file appendonly.aof.2.incr.aof seq 2 type i\n' +
      'file appendonly.aof.3.incr.aof seq 3 type i\n';
    const m = parseManifest(B(text));
    expect(m.base).toEqual({ file: 'appendonly.aof.2.base.rdb', seq: 2, type: 'base', line: 1, offset: 0 });
    expect(m.history.map((e) => e.file)).toEqual(['appendonly.aof.1.incr.aof']);
    expect(m.incrs.map((e) => [e.file, e.seq, e.line])).toEqual([
      ['appendonly.aof.2.incr.aof', 2, 3],
      ['appendonly.aof.3.incr.aof', 3, 4],
    ]);
    expect(m.incrs[1]!.offset).toBe(text.indexOf('file appendonly.aof.3'));
    expect(m.entries.map((e) => e.type)).toEqual(['base', 'history', 'incr', 'incr']);
  });

  it('skips comments, counts them as lines, and allows a final comment without newline', () => {
    const m = parseManifest(B('# hello\nfile a seq 1 type b\n#\nfile b seq 1 type i\n# no newline'));
    expect(m.base!.line).toBe(2);
    expect(m.incrs[0]!.line).toBe(4);
    expect(parseManifest(B('# only a comment\n')).entries).toEqual([]);
  });

  it('keys are case-insensitive, in any order, unknown keys ignored, CRLF accepted', () => {
    const m = parseManifest(B('TYPE i Seq 7 FiLe x.aof future value\r\n'));
    expect(m.incrs[0]).toMatchObject({ file: 'x.aof', seq: 7, type: 'incr' });
  });

  it('type is the first character of the value; a repeated key overrides', () => {
    const m = parseManifest(B('file a seq 1 type incremental\nfile b seq 5 seq 9 type i file c\n'));
    expect(m.incrs.map((e) => [e.file, e.seq])).toEqual([
      ['a', 1],
      ['c', 9],
    ]);
  });

  it('seq goes through atoll: leading digits count, sign allowed', () => {
    const m = parseManifest(B('file a seq 12abc type b\nfile h seq -3 type h\n'));
    expect(m.base!.seq).toBe(12);
    expect(m.history[0]!.seq).toBe(-3);
  });

  it('quoted names with spaces and \\xHH (UTF-8) bytes', () => {
    const m = parseManifest(B('file "my file\\x20\\xc3\\xa9.aof" seq 1 type i\nfile \'it\\\'s.rdb\' seq 1 type b\n'));
    expect(m.incrs[0]!.file).toBe('my file é.aof');
    expect(m.base!.file).toBe("it's.rdb");
  });

  it(`empty manifest: "${MANIFEST_EMPTY}"`, () => {
    const e = parseError('');
    expect(e.message).toBe(MANIFEST_EMPTY);
    expect(e.offset).toBe(0);
  });

  it('messages carry the line number, the line and its offset', () => {
    const text = '# c\nfile a seq 1 type b\nfile b seq 2 type b\n';
    const e = parseError(text);
    expect(e.message).toBe(`line 3: ${MANIFEST_DUPLICATE_BASE}: 'file b seq 2 type b'`);
    expect(e.offset).toBe(text.indexOf('file b'));
  });

  describe(`"${MANIFEST_TOO_LONG_LINE}"`, () => {
    const pad = (n: number): string => 'file ' + 'x'.repeat(n - 'file  seq 1 type b'.length) + ' seq 1 type b';
    it('a line of 1024 bytes with its newline is fine, 1025 is not', () => {
      expect(pad(1023).length).toBe(1023);
      expect(parseManifest(B(pad(1023) + '\n')).base!.file.length).toBe(1023 - 18);
      const e = parseError(pad(1024) + '\n');
      expect(e.message).toMatch(/^line 1: The AOF manifest file contains too long line: 'file xxx/);
      expect(e.offset).toBe(0);
    });
    it('a missing final newline', () => {
      const e = parseError('file a seq 1 type b\nfile b seq 1 type i');
      expect(e.message).toBe(`line 2: ${MANIFEST_TOO_LONG_LINE}: 'file b seq 1 type i'`);
      expect(e.offset).toBe(20);
    });
    it('a NUL byte hides the newline (strchr)', () => {
      expect(parseError(B('file a\0 seq 1 type b\n')).message).toMatch(/too long line/);
    });
    it('a long comment continues as a new line, as with fgets', () => {
      // 1024 bytes of comment, then the rest of that line is read as line 2.
      const e = parseError('#' + 'c'.repeat(1100) + '\nfile a seq 1 type b\n');
      expect(e.message).toMatch(/^line 2: Invalid AOF manifest file format: 'c+'$/);
      expect(e.offset).toBe(1024);
    });
  });

  describe(`"${MANIFEST_INVALID_FORMAT}"`, () => {
    const cases: [string, string][] = [
      ['an empty line', 'file a seq 1 type b\n\nfile b seq 1 type i\n'],
      ['a blank line', '  \t \n'],
      ['too few tokens', 'file a seq 1\n'],
      ['an odd token count', 'file a seq 1 type b x\n'],
      ['unbalanced quotes', 'file "a seq 1 type b\n'],
      ['text after a closing quote', 'file "a"b seq 1 type b\n'],
      ['no file key', 'name a seq 1 type b\n'],
      ['no seq key', 'file a sequence 1 type b\n'],
      ['seq 0', 'file a seq 0 type b\n'],
      ['seq not a number', 'file a seq abc type b\n'],
      ['no type key', 'file a seq 1 kind b\n'],
      ['an empty type', 'file a seq 1 type ""\n'],
    ];
    for (const [what, text] of cases) {
      it(what, () => {
        const e = parseError(text);
        expect(e.message).toContain(`: ${MANIFEST_INVALID_FORMAT}: '`);
        expect(e.message).toMatch(/^line \d+: /);
      });
    }
    it('reports the right line', () => {
      expect(parseError('file a seq 1 type b\n\n').message).toBe(`line 2: ${MANIFEST_INVALID_FORMAT}: ''`);
    });
  });

  it(`"${MANIFEST_FILE_IS_PATH}" for '/' and '\\'`, () => {
    expect(parseError('file dir/a seq 1 type b\n').message).toBe(`line 1: ${MANIFEST_FILE_IS_PATH}: 'file dir/a seq 1 type b'`);
    expect(parseError('file ../a seq 1 type b\n').message).toContain(MANIFEST_FILE_IS_PATH);
    expect(parseError('file "a\\\\b" seq 1 type b\n').message).toContain(MANIFEST_FILE_IS_PATH);
    expect(parseError('file "\\x2fetc" seq 1 type i\n').message).toContain(MANIFEST_FILE_IS_PATH);
  });

  it(`"${MANIFEST_DUPLICATE_BASE}"`, () => {
    expect(parseError('file a seq 1 type b\nfile a seq 1 type b\n').message).toBe(
      `line 2: ${MANIFEST_DUPLICATE_BASE}: 'file a seq 1 type b'`,
    );
  });

  it(`"${MANIFEST_NON_MONOTONIC}" (incr only; history may repeat)`, () => {
    expect(parseError('file a seq 2 type i\nfile b seq 2 type i\n').message).toBe(
      `line 2: ${MANIFEST_NON_MONOTONIC}: 'file b seq 2 type i'`,
    );
    expect(parseError('file a seq 3 type i\nfile b seq 1 type i\n').message).toContain(MANIFEST_NON_MONOTONIC);
    expect(parseError('file a seq -1 type i\n').message).toContain(MANIFEST_NON_MONOTONIC);
    expect(parseManifest(B('file a seq 5 type h\nfile b seq 1 type h\nfile c seq 1 type i\n')).entries).toHaveLength(3);
  });

  it(`"${MANIFEST_UNKNOWN_TYPE}"`, () => {
    expect(parseError('file a seq 1 type x\n').message).toBe(`line 1: ${MANIFEST_UNKNOWN_TYPE}: 'file a seq 1 type x'`);
    expect(parseError('file a seq 1 type B\n').message).toContain(MANIFEST_UNKNOWN_TYPE); // case matters
  });

  it('shows non-printable bytes of the line escaped', () => {
    expect(parseError(B('file a seq 1 type \x01\n')).message).toBe(`line 1: ${MANIFEST_UNKNOWN_TYPE}: 'file a seq 1 type \\x01'`);
  });
});

describe('formatManifest', () => {
  it('writes aofInfoFormat lines', () => {
    expect(
      formatManifest([
        { file: 'appendonly.aof.2.base.rdb', seq: 2, type: 'base' },
        { file: 'appendonly.aof.1.incr.aof', seq: 1, type: 'history' },
        { file: 'appendonly.aof.2.incr.aof', seq: 2, type: 'incr' },
      ]),
    ).toBe(
      'file appendonly.aof.2.base.rdb seq 2 type b\n' +
        'file appendonly.aof.1.incr.aof seq 1 type h\n' +
        'file appendonly.aof.2.incr.aof seq 2 type i\n',
    );
  });

  it('quotes names the way sdscatrepr does', () => {
    expect(formatManifest([{ file: 'a b', seq: 1, type: 'incr' }])).toBe('file "a b" seq 1 type i\n');
    expect(formatManifest([{ file: 'q"\n\r\t\x07\b\x7f\x01\v.aof', seq: 1, type: 'incr' }])).toBe(
      'file "q\\"\\n\\r\\t\\a\\b\\x7f\\x01\\x0b.aof" seq 1 type i\n',
    );
    expect(formatManifest([{ file: 'é', seq: 1, type: 'incr' }])).toBe('file "\\xc3\\xa9" seq 1 type i\n');
    // Redis writes `file it's …` unquoted, which its own parser rejects; we quote it.
    expect(formatManifest([{ file: "it's", seq: 1, type: 'incr' }])).toBe('file "it\'s" seq 1 type i\n');
    expect(parseError("file it's seq 1 type i\n").message).toContain(MANIFEST_INVALID_FORMAT);
  });

  it('round-trips through parseManifest', () => {
    const names = [
      'appendonly.aof.1.base.rdb',
      'with space.aof',
      'tab\there',
      'quote"and"',
      'new\nline',
      "single'quote",
      '#hash',
      'ünïcödé ✓.aof',
      '\x01\x7f\x1b',
      '"',
      "'",
    ];
    const entries: Pick<ManifestEntry, 'file' | 'seq' | 'type'>[] = names.map((file, i) => ({
      file,
      seq: i + 1,
      type: i === 0 ? 'base' : i % 3 === 0 ? 'history' : 'incr',
    }));
    const m = parseManifest(Buffer.from(formatManifest(entries), 'latin1'));
    expect(m.entries.map((e) => ({ file: e.file, seq: e.seq, type: e.type }))).toEqual(entries);
  });

  it('refuses what Redis could not read back', () => {
    expect(() => formatManifest([{ file: '', seq: 1, type: 'base' }])).toThrow(RangeError);
    expect(() => formatManifest([{ file: 'a/b', seq: 1, type: 'base' }])).toThrow(RangeError);
    expect(() => formatManifest([{ file: 'a\\b', seq: 1, type: 'base' }])).toThrow(RangeError);
    expect(() => formatManifest([{ file: 'a\0b', seq: 1, type: 'base' }])).toThrow(RangeError);
    expect(() => formatManifest([{ file: 'a', seq: 0, type: 'base' }])).toThrow(RangeError);
    expect(() => formatManifest([{ file: 'a', seq: 1.5, type: 'base' }])).toThrow(RangeError);
  });
});
