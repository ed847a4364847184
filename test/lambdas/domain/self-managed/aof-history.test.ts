import { describe, expect, it } from 'vitest';
import {
  AOF_MARKER_KEY,
  baseRecordKey,
  coverage,
  endKey,
  manifestKey,
  parseStoredKey,
  partKey,
  readStoredHistory,
  type StoredPart,
} from '../../../../lambdas/domain/self-managed/aof-layout.js';
import {
  baseRecordMismatch,
  BaseRecordError,
  chooseRestore,
  HistoryError,
  indexHistory,
  manifestRoles,
  parseBaseRecord,
  type BaseRecord,
} from '../../../../lambdas/domain/self-managed/aof-history.js';
import { parseAofManifest } from '../../../../lambdas/domain/self-managed/aof-manifest.js';

const SHA = 'ab'.repeat(32);
const part = (start: number, end: number): StoredPart => ({ key: `k${start}-${end}`, start, end, sha256: SHA });
const B = (n: number) => `appendonly.aof.${n}.base.rdb`;
const I = (n: number) => `appendonly.aof.${n}.incr.aof`;
const manifest = (lines: [string, number, 'b' | 'h' | 'i'][]) => parseAofManifest(lines.map(([f, s, t]) => `file ${f} seq ${s} type ${t}\n`).join(''));
const record = (timeSeconds: number | undefined, bytes = 100): BaseRecord => ({
  format: 'rdb',
  bytes,
  sha256: SHA,
  ...(timeSeconds !== undefined ? { timeSeconds } : {}),
});

describe('destination layout', () => {
  it.each([
    [partKey('appendonly.aof.3.incr.aof', 0, 1234, SHA), { kind: 'part', file: 'appendonly.aof.3.incr.aof' }],
    [partKey('my aof%.1.incr.aof', 10, 20, SHA), { kind: 'part', file: 'my aof%.1.incr.aof' }],
    [endKey('appendonly.aof.3.incr.aof', 99), { kind: 'end', file: 'appendonly.aof.3.incr.aof', end: 99 }],
    [baseRecordKey('appendonly.aof.3.base.rdb'), { kind: 'base-record', file: 'appendonly.aof.3.base.rdb' }],
    [manifestKey(1_795_396_090_123, 'cd'.repeat(32)), { kind: 'manifest', observedAtMs: 1_795_396_090_123, sha: 'cd'.repeat(8) }],
    [AOF_MARKER_KEY, { kind: 'marker' }],
  ])('%s is read back', (key, expected) => {
    expect(parseStoredKey(key)).toMatchObject(expected);
  });

  it('parts carry their offsets and checksum in the name, sorted by offset', () => {
    expect(partKey('a.1.incr.aof', 5, 17, SHA)).toBe(`files/a.1.incr.aof/0000000000000005-0000000000000017.${SHA}.part`);
    expect(parseStoredKey(partKey('a.1.incr.aof', 5, 17, SHA))).toEqual({
      kind: 'part',
      file: 'a.1.incr.aof',
      part: { key: partKey('a.1.incr.aof', 5, 17, SHA), start: 5, end: 17, sha256: SHA },
    });
  });

  it.each([`files/a/0000000000000005-0000000000000005.${SHA}.part`, 'files/a/x.part', 'other/thing', 'files/a/.tmp-123', 'manifests/12-ab.manifest'])(
    'ignores keys not of the layout: %s',
    (key) => {
      expect(parseStoredKey(key)).toBeUndefined();
    },
  );

  it.each([
    ['nothing', [], 0, undefined, 0],
    ['one part', [part(0, 10)], 10, undefined, 1],
    ['a run of parts', [part(10, 20), part(0, 10), part(20, 25)], 25, undefined, 3],
    ['a hole', [part(0, 10), part(15, 20)], 10, 15, 1],
    ['overlapping parts (two shippers)', [part(0, 10), part(5, 20), part(5, 8)], 20, undefined, 2],
    ['no part at byte 0', [part(5, 10)], 0, 5, 0],
    ['parts that start inside a longer one', [part(0, 10), part(2, 30), part(8, 12), part(12, 31), part(29, 40)], 40, undefined, 3],
    [
      'a long day of parts, every tenth shipped twice',
      Array.from({ length: 60_000 }, (_, k) => (k % 10 === 9 ? part((k - 1) * 10, (k + 1) * 10) : part(k * 10, (k + 1) * 10))),
      600_000,
      undefined,
      54_000,
    ],
  ])('coverage of %s', (_what, parts, end, hole, slices) => {
    const c = coverage(parts);
    expect(c.end).toBe(end);
    expect(c.nextAfterHole?.start).toBe(hole);
    expect(c.slices).toHaveLength(slices);
    // Slices tile [0, end) exactly: each starts where the one before ended (the starts held equal once: an expect() a
    // slice was 54,000 for the long day, at 7-27 us of CPU each).
    let at = 0;
    const starts: number[] = [];
    const ends: number[] = [];
    for (const s of c.slices) {
      starts.push(s.part.start + s.offset);
      ends.push(at);
      at += s.length;
    }
    expect(starts).toEqual(ends);
    expect(at).toBe(end);
  });
});

describe('what the shipper makes of a manifest', () => {
  it.each([
    [
      'steady',
      [
        [B(1), 1, 'b'],
        [I(1), 1, 'i'],
      ],
      I(1),
      [],
      B(1),
    ],
    [
      'a rewrite started',
      [
        [B(1), 1, 'b'],
        [I(1), 1, 'i'],
        [I(2), 2, 'i'],
      ],
      I(2),
      [I(1)],
      B(1),
    ],
    [
      'a rewrite done, history kept',
      [
        [B(2), 2, 'b'],
        [B(1), 1, 'h'],
        [I(1), 1, 'h'],
        [I(2), 2, 'i'],
      ],
      I(2),
      [I(1)],
      B(2),
    ],
    [
      'a failed rewrite left increments',
      [
        [B(1), 1, 'b'],
        [I(1), 1, 'i'],
        [I(2), 2, 'i'],
        [I(3), 3, 'i'],
      ],
      I(3),
      [I(1), I(2)],
      B(1),
    ],
  ] as const)('%s', (_what, lines, active, finished, base) => {
    expect(manifestRoles(manifest(lines.map((l) => [...l])))).toEqual({ active, finished, base });
  });
});

/** A destination holding these manifests, parts and records. */
function history(spec: {
  manifests: [string, number, 'b' | 'h' | 'i'][][];
  parts: Record<string, [number, number][]>;
  ends?: Record<string, number>;
  records?: Record<string, BaseRecord>;
}) {
  const keys = [
    ...Object.entries(spec.parts).flatMap(([file, ps]) => ps.map(([s, e]) => partKey(file, s, e, SHA))),
    ...Object.entries(spec.ends ?? {}).map(([file, end]) => endKey(file, end)),
    ...Object.keys(spec.records ?? {}).map(baseRecordKey),
  ];
  return indexHistory(spec.manifests.map(manifest), readStoredHistory(keys), new Map(Object.entries(spec.records ?? {})));
}

describe('restore planning', () => {
  const ONE = {
    manifests: [
      [
        [B(1), 1, 'b'],
        [I(1), 1, 'i'],
      ],
    ] as [string, number, 'b' | 'h' | 'i'][][],
    parts: {
      [B(1)]: [[0, 100]] as [number, number][],
      [I(1)]: [
        [0, 50],
        [50, 80],
      ] as [number, number][],
    },
    records: { [B(1)]: record(1000) },
  };

  it('to the end: the base and its increments', () => {
    const r = chooseRestore(history(ONE));
    expect(r).toMatchObject({ ok: true, chain: { base: { name: B(1), anchor: 1 }, incrs: [{ name: I(1), covered: 80 }] } });
    expect(r.ok && r.chain.break).toBeUndefined();
  });

  it.each([
    ['just after the base second', 1001_000, true],
    ['in the base second', 1000_999, false],
    ['before the base', 999_000, false],
  ])('--until %s', (_what, untilMs, ok) => {
    const r = chooseRestore(history(ONE), untilMs);
    expect(r.ok).toBe(ok);
    if (r.ok) expect(r.cutSecond).toBe(Math.floor(untilMs / 1000));
    else
      expect(r).toMatchObject({
        kind: 'before-oldest',
        oldestMs: 1001_000,
        message: expect.stringContaining('the oldest point available, 1970-01-01T00:16:41Z (base appendonly.aof.1.base.rdb'),
      });
  });

  const REWRITTEN = {
    manifests: [
      [
        [B(1), 1, 'b'],
        [I(1), 1, 'i'],
      ],
      [
        [B(1), 1, 'b'],
        [I(1), 1, 'i'],
        [I(2), 2, 'i'],
      ],
      [
        [B(2), 2, 'b'],
        [B(1), 1, 'h'],
        [I(1), 1, 'h'],
        [I(2), 2, 'i'],
      ],
      [
        [B(2), 2, 'b'],
        [I(2), 2, 'i'],
      ],
    ] as [string, number, 'b' | 'h' | 'i'][][],
    parts: { [B(1)]: [[0, 100]], [I(1)]: [[0, 70]], [B(2)]: [[0, 120]], [I(2)]: [[0, 30]] } as Record<string, [number, number][]>,
    ends: { [I(1)]: 70 },
    records: { [B(1)]: record(1000), [B(2)]: record(2000, 120) },
  };

  it('across a rewrite: the end from the newest base; an earlier time from the older base through both increments', () => {
    const h = history(REWRITTEN);
    expect(h.links.has(1)).toBe(true);
    expect(chooseRestore(h)).toMatchObject({ ok: true, chain: { base: { name: B(2) }, incrs: [{ name: I(2) }] } });
    const earlier = chooseRestore(h, 1500_000);
    expect(earlier).toMatchObject({ ok: true, cutSecond: 1500, chain: { base: { name: B(1) }, incrs: [{ name: I(1), complete: true }, { name: I(2) }] } });
    expect(earlier.ok && earlier.chain.break).toBeUndefined();
    expect(chooseRestore(h, 2500_000)).toMatchObject({ ok: true, chain: { base: { name: B(2) } } });
  });

  it('a base with commands of unknown time (an old single-file AOF) records none: --until before the next base says why it cannot be used', () => {
    const untimed: BaseRecord = { format: 'rdb+aof', bytes: 100, sha256: SHA, commands: 3, untimedCommands: 3 };
    const h = history({ ...REWRITTEN, records: { [B(1)]: untimed, [B(2)]: record(2000, 120) } });
    expect(chooseRestore(h, 1500_000)).toMatchObject({
      ok: false,
      kind: 'before-oldest',
      message: expect.stringMatching(
        /before the oldest point available, 1970-01-01T00:33:21Z \(base appendonly\.aof\.2\.base\.rdb.*; older bases record no time, so --until cannot use them \(base appendonly\.aof\.1\.base\.rdb: 3 commands follow its RDB preamble with no #TS annotation before them, so when they ran is unknown\)/,
      ),
    });
    expect(chooseRestore(h, 2500_000)).toMatchObject({ ok: true, chain: { base: { name: B(2) } } });
    expect(chooseRestore(h)).toMatchObject({ ok: true, chain: { base: { name: B(2) } } });
  });

  it('an increment the server removed before it was shipped whole: the gap is named, the end still restores', () => {
    const h = history({ ...REWRITTEN, ends: {} });
    expect(chooseRestore(h)).toMatchObject({ ok: true, chain: { base: { name: B(2) } } });
    const r = chooseRestore(h, 1500_000);
    expect(r).toMatchObject({
      ok: true,
      chain: {
        base: { name: B(1) },
        break: {
          after: { name: I(1), covered: 70 },
          why: expect.stringContaining('appendonly.aof.1.incr.aof was shipped up to byte 70 and its end was never recorded'),
        },
      },
    });
  });

  it('an increment not held to its recorded end is a gap', () => {
    const h = history({ ...REWRITTEN, ends: { [I(1)]: 90 } });
    expect(chooseRestore(h, 1500_000)).toMatchObject({
      ok: true,
      chain: { break: { why: expect.stringContaining('ends at byte 90 but the destination holds only 70 bytes') } },
    });
  });

  it('the AOF switched off and on: no manifest links the increments, so the older chain stops', () => {
    const h = history({
      manifests: [
        [
          [B(1), 1, 'b'],
          [I(1), 1, 'i'],
        ],
        [
          [B(2), 2, 'b'],
          [I(2), 2, 'i'],
        ],
      ],
      parts: REWRITTEN.parts,
      ends: { [I(1)]: 70 },
      records: REWRITTEN.records,
    });
    expect(chooseRestore(h)).toMatchObject({ ok: true, chain: { base: { name: B(2) } } });
    expect(chooseRestore(h, 1500_000)).toMatchObject({
      ok: true,
      chain: {
        base: { name: B(1) },
        break: { why: expect.stringContaining('no manifest shows appendonly.aof.2.incr.aof continuing appendonly.aof.1.incr.aof') },
      },
    });
  });

  it('a hole in the newest increment refuses a restore to the end, naming it', () => {
    const h = history({
      ...ONE,
      parts: {
        ...ONE.parts,
        [I(1)]: [
          [0, 50],
          [60, 80],
        ],
      },
    });
    expect(chooseRestore(h)).toMatchObject({
      ok: false,
      kind: 'gap',
      message: expect.stringContaining('appendonly.aof.1.incr.aof is held up to byte 50, then bytes 50-60 are missing'),
    });
  });

  it('a base not stored whole is not used', () => {
    const h = history({ ...REWRITTEN, parts: { ...REWRITTEN.parts, [B(2)]: [[0, 60]] } });
    expect(chooseRestore(h)).toMatchObject({ ok: true, chain: { base: { name: B(1) }, incrs: [{ name: I(1) }, { name: I(2) }] } });
  });

  it('no timestamps: --until is refused saying it needs them; the end restores', () => {
    const h = history({ ...ONE, records: { [B(1)]: record(undefined) } });
    expect(chooseRestore(h).ok).toBe(true);
    expect(chooseRestore(h, 5000_000)).toMatchObject({ ok: false, kind: 'no-timestamps', message: expect.stringContaining('aof-timestamp-enabled yes') });
  });

  it('an empty destination', () => {
    expect(chooseRestore(history({ manifests: [], parts: {} }))).toMatchObject({
      ok: false,
      kind: 'empty',
      message: expect.stringContaining('no shipped AOF history'),
    });
  });

  it('two lineages in one destination are refused', () => {
    expect(() =>
      history({
        manifests: [
          [
            [B(1), 1, 'b'],
            [I(1), 1, 'i'],
          ],
          [
            [B(1), 2, 'b'],
            [I(3), 3, 'i'],
          ],
        ],
        parts: {},
      }),
    ).toThrow(HistoryError);
  });
});

describe('torn parts', () => {
  const m = manifest([
    [B(1), 1, 'b'],
    [I(1), 1, 'i'],
  ]);
  const listing = (incrBytes: number[]) => [
    { key: partKey(B(1), 0, 100, SHA), bytes: 100 },
    { key: baseRecordKey(B(1)), bytes: 50 },
    ...incrBytes.map((bytes, k) => ({ key: partKey(I(1), k * 10, k * 10 + 10, SHA), bytes })),
  ];

  it("a part whose listed length is not its name's is torn, not held; the newest increment's chain stops there, naming it", () => {
    const stored = readStoredHistory(listing([10, 4, 10]));
    expect(stored.files.get(I(1))).toMatchObject({ parts: [{ start: 0 }, { start: 20 }], torn: [{ start: 10, end: 20, bytes: 4 }] });
    const choice = chooseRestore(indexHistory([m], stored, new Map([[B(1), record(1000)]])));
    expect(choice).toMatchObject({
      ok: false,
      kind: 'gap',
      message: expect.stringContaining(`${I(1)} is held up to byte 10, then the stored part for bytes 10-20 is torn (4 of 10 bytes stored)`),
    });
  });

  it('a torn last part is not silently left out of a restore to the end', () => {
    const choice = chooseRestore(indexHistory([m], readStoredHistory(listing([10, 10, 3])), new Map([[B(1), record(1000)]])));
    expect(choice).toMatchObject({
      ok: false,
      kind: 'gap',
      message: expect.stringContaining('the stored part for bytes 20-30 is torn (3 of 10 bytes stored)'),
    });
  });

  it('a key found damaged by its SHA-256 is torn too; keys without lengths are taken as whole', () => {
    const stored = readStoredHistory(listing([10, 10]), new Set([partKey(I(1), 10, 20, SHA)]));
    expect(stored.files.get(I(1))!.torn).toMatchObject([{ start: 10, bytes: -1 }]);
    expect(readStoredHistory(listing([10, 4]).map((o) => o.key)).files.get(I(1))!.torn).toEqual([]);
  });

  it('a torn base is not stored whole, and the refusal names it', () => {
    const l = listing([10]);
    l[0] = { key: partKey(B(1), 0, 100, SHA), bytes: 60 };
    expect(chooseRestore(indexHistory([m], readStoredHistory(l), new Map()))).toMatchObject({
      ok: false,
      kind: 'empty',
      message: expect.stringContaining(`${B(1)}: the stored part for bytes 0-100 is torn (60 of 100 bytes stored)`),
    });
  });
});

describe('stored base records', () => {
  const key = baseRecordKey(B(1));
  it('parses a record as ship-aof writes it', () => {
    const r = record(1_700_000_000);
    expect(parseBaseRecord(`${JSON.stringify(r, null, 2)}\n`, key)).toEqual(r);
  });
  it.each([
    ['{"forma', /^files\/appendonly\.aof\.1\.base\.rdb\/base\.json is not valid JSON \(.+\)$/],
    ['', /is not valid JSON/],
    ['[]', /is not a base record \(not an object\)/],
    [JSON.stringify({ format: 'zip', bytes: 1, sha256: SHA }), /is not a base record \(format "zip"\)/],
    [JSON.stringify({ format: 'rdb', bytes: '1', sha256: SHA }), /is not a base record \(bytes "1"\)/],
    [JSON.stringify({ format: 'rdb', bytes: 1, sha256: 'x' }), /is not a base record \(sha256 "x"\)/],
    [JSON.stringify({ format: 'rdb', bytes: 1, sha256: SHA, keys: -1 }), /is not a base record \(keys -1\)/],
  ])('refuses %j, naming the file', (text, why) => {
    expect(() => parseBaseRecord(text, key)).toThrow(BaseRecordError);
    expect(() => parseBaseRecord(text, key)).toThrow(why);
  });
  it('a record matches its parts when they hold its size and its whole part carries its SHA-256', () => {
    expect(baseRecordMismatch(record(1, 100), [part(0, 100)])).toBeUndefined();
    expect(baseRecordMismatch(record(1, 100), [part(0, 60)])).toBe('its record gives 100 bytes, its parts hold 60');
    expect(baseRecordMismatch(record(1, 100), [{ ...part(0, 100), sha256: 'cd'.repeat(32) }])).toBe("its record's SHA-256 is not its part's");
  });
});
