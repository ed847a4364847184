import { describe, expect, it } from 'vitest';
import {
  AofManifestError,
  appendFilenameOf,
  formatAofManifest,
  formatManifestName,
  parseAofManifest,
  splitManifestArgs,
} from '../../../../lambdas/domain/self-managed/aof-manifest.js';

/** What redis-server 7.0.15 wrote (appendonly yes, a rewrite in progress, then done, with history kept). */
const WRITTEN = 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n';
const REWRITING = 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n';
const WITH_HISTORY = [
  'file appendonly.aof.2.base.rdb seq 2 type b',
  'file appendonly.aof.1.base.rdb seq 1 type h',
  'file appendonly.aof.1.incr.aof seq 1 type h',
  'file appendonly.aof.2.incr.aof seq 2 type i',
  '',
].join('\n');
/**
 * What Redis 8 writes (aofInfoFormat in src/aof.c since redis/redis#13773):
 * each increment's replication offset at its start, and at a clean shutdown
 * the last one's end; a former increment keeps its offsets in the history.
 */
const REDIS8_SHUTDOWN = 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i startoffset 0 endoffset 1846\n';
const REDIS8_HISTORY = [
  'file appendonly.aof.2.base.rdb seq 2 type b',
  'file appendonly.aof.1.base.rdb seq 1 type h',
  'file appendonly.aof.1.incr.aof seq 1 type h startoffset 0',
  'file appendonly.aof.2.incr.aof seq 2 type i startoffset 1846',
  '',
].join('\n');

describe('AOF manifest', () => {
  it.each([
    ['as the server writes it', WRITTEN, 'appendonly.aof.1.base.rdb', [1], []],
    ['during a rewrite (two increments)', REWRITING, 'appendonly.aof.1.base.rdb', [1, 2], []],
    ['with history entries', WITH_HISTORY, 'appendonly.aof.2.base.rdb', [2], ['appendonly.aof.1.base.rdb', 'appendonly.aof.1.incr.aof']],
    [
      'keys in any order and case, comments, CRLF',
      '# written by hand\nSEQ 3 TYPE b FILE a.3.base.aof\r\nfile a.4.incr.aof type i seq 4\n',
      'a.3.base.aof',
      [4],
      [],
    ],
    ['increments only (no base)', 'file appendonly.aof.5.incr.aof seq 5 type i\n', undefined, [5], []],
    ['as Redis 8 writes it at a clean shutdown (startoffset, endoffset)', REDIS8_SHUTDOWN, 'appendonly.aof.1.base.rdb', [1], []],
    [
      'as Redis 8 writes it after a rewrite (offsets kept in the history)',
      REDIS8_HISTORY,
      'appendonly.aof.2.base.rdb',
      [2],
      ['appendonly.aof.1.base.rdb', 'appendonly.aof.1.incr.aof'],
    ],
    ['a quoted name with a space', 'file "my aof.1.base.rdb" seq 1 type b\nfile "my\\x20aof.1.incr.aof" seq 1 type i\n', 'my aof.1.base.rdb', [1], []],
  ])('parses a manifest %s', (_what, text, base, incrSeqs, history) => {
    const m = parseAofManifest(text);
    expect(m.base?.name).toBe(base);
    expect(m.incrs.map((i) => i.seq)).toEqual(incrSeqs);
    expect(m.history.map((h) => h.name)).toEqual(history);
  });

  it.each([
    [
      'an unknown key',
      'file a.1.incr.aof seq 1 type i startoffset 0 fenced 1\n',
      1,
      'fenced',
      /unknown field "fenced" \(value "1"\): redis-dr knows file, seq, type, startoffset and endoffset.*not guessed/,
    ],
    [
      'a start offset that is no number',
      'file a.1.incr.aof seq 1 type i startoffset x\n',
      1,
      'startoffset',
      /field "startoffset" must be a replication offset \(a whole number >= 0\), got "x"/,
    ],
    ['a negative end offset', 'file a.1.incr.aof seq 1 type i startoffset 0 endoffset -5\n', 1, 'endoffset', /field "endoffset" must be a replication offset/],
    ['a type written as a word', 'file a.1.base.rdb seq 1 type base\n', 1, 'type', /field "type" must be b \(base\), h \(history\) or i \(incr\), got "base"/],
    ['seq 0', 'file a.1.incr.aof seq 0 type i\n', 1, 'seq', /field "seq" must be a whole number >= 1, got "0"/],
    ['seq not a number', 'file a.1.incr.aof seq x1 type i\n', 1, 'seq', /got "x1"/],
    ['a path for a name', 'file ../etc/passwd seq 1 type b\n', 1, 'file', /plain file name/],
    ['no type', 'file a.1.incr.aof seq 1 foo\n', 1, undefined, /key value pairs/],
    ['missing the seq', 'file a.1.incr.aof type i x y\n', 1, 'x', /unknown field "x"/],
    ['missing a field', 'file a.1.incr.aof type i\n', 1, 'seq', /field "seq" is missing/],
    ['two bases', 'file a.1.base.rdb seq 1 type b\nfile a.2.base.rdb seq 2 type b\n', 2, 'type', /a second base file/],
    ['increments out of order', 'file a.2.incr.aof seq 2 type i\nfile a.1.incr.aof seq 1 type i\n', 2, 'seq', /seq 1 does not follow 2/],
    ['a blank line', 'file a.1.base.rdb seq 1 type b\n\nfile a.1.incr.aof seq 1 type i\n', 2, undefined, /blank line/],
    ['a last line without its newline', 'file a.1.base.rdb seq 1 type b', 1, undefined, /does not end with a newline/],
    ['unbalanced quotes', 'file "a.1.base.rdb seq 1 type b\n', 1, undefined, /unbalanced quotes/],
    ['a name listed twice', 'file a seq 1 type h\nfile a seq 2 type i\n', 2, 'file', /listed twice/],
  ])('refuses %s, naming the line and the field', (_what, text, line, field, message) => {
    let error: unknown;
    try {
      parseAofManifest(text, 'appendonly.aof.manifest');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AofManifestError);
    const e = error as AofManifestError;
    expect(e.line).toBe(line);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^appendonly\.aof\.manifest/);
  });

  it('keeps the replication offsets Redis 8 records (they say nothing about what a file holds)', () => {
    const m = parseAofManifest(REDIS8_HISTORY);
    expect(m.incrs).toEqual([{ name: 'appendonly.aof.2.incr.aof', seq: 2, type: 'incr', line: 4, startOffset: '1846' }]);
    expect(m.history[1]).toMatchObject({ name: 'appendonly.aof.1.incr.aof', startOffset: '0' });
    expect(m.base).not.toHaveProperty('startOffset');
    expect(parseAofManifest(REDIS8_SHUTDOWN).incrs[0]).toMatchObject({ startOffset: '0', endOffset: '1846' });
    // Offsets past 2^53 stay exact (they are kept as written).
    expect(parseAofManifest('file a.1.incr.aof seq 1 type i startoffset 9223372036854775807\n').incrs[0]!.startOffset).toBe('9223372036854775807');
  });

  it('refuses an empty manifest and one of comments only', () => {
    expect(() => parseAofManifest('')).toThrow(/empty manifest/);
    expect(() => parseAofManifest('# nothing\n')).toThrow(/empty manifest/);
  });

  it('refuses a line longer than the server reads (1024 bytes)', () => {
    expect(() => parseAofManifest(`file ${'a'.repeat(1030)} seq 1 type b\n`)).toThrow(/longer than 1024 bytes/);
  });

  it.each([
    ['plain words', 'a b  c', ['a', 'b', 'c']],
    ['double quotes with escapes', '"a b" "\\x41\\n" "q\\"q"', ['a b', 'A\n', 'q"q']],
    ['single quotes', "'it\\'s' x", ["it's", 'x']],
    ['a quote not followed by a space', '"a"b', undefined],
    ['an open quote', '"abc', undefined],
  ])('splits arguments as the server does: %s', (_what, line, args) => {
    expect(splitManifestArgs(line)).toEqual(args);
  });

  it('formats what it parses, quoting names the way the server does', () => {
    expect(formatAofManifest({ base: { name: 'appendonly.aof.3.base.rdb', seq: 3 }, incrs: [{ name: 'appendonly.aof.3.incr.aof', seq: 3 }] })).toBe(
      'file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n',
    );
    for (const name of ['my aof.1.incr.aof', 'tab\there', 'quote"d', 'back\\slash', 'é.aof']) {
      const text = formatAofManifest({ incrs: [{ name, seq: 1 }] });
      expect(parseAofManifest(text).incrs[0]!.name).toBe(name);
    }
    expect(formatManifestName('appendonly.aof.1.incr.aof')).toBe('appendonly.aof.1.incr.aof');
  });

  it('writes a start offset where Redis 8 does (after the type), and reads it back', () => {
    const text = formatAofManifest({
      base: { name: 'appendonly.aof.2.base.rdb', seq: 2 },
      incrs: [
        { name: 'appendonly.aof.2.incr.aof', seq: 2, startOffset: '1846' },
        { name: 'appendonly.aof.3.incr.aof', seq: 3 },
      ],
    });
    expect(text).toBe(
      'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i startoffset 1846\nfile appendonly.aof.3.incr.aof seq 3 type i\n',
    );
    expect(parseAofManifest(text).incrs.map((i) => i.startOffset)).toEqual(['1846', undefined]);
  });

  it.each([
    ['appendonly.aof.manifest', 'appendonly.aof'],
    ['my.aof.manifest', 'my.aof'],
    ['temp-appendonly.aof.manifest', undefined],
    ['appendonly.aof.1.incr.aof', undefined],
  ])('the appendfilename of %s is %s', (file, name) => {
    expect(appendFilenameOf(file)).toBe(name);
  });
});
