import { describe, expect, it } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { createRdbVerifier, type RdbCheckpoint, rdbVerdict } from '../../../../lambdas/domain/rdb/verifier.js';
import { both, file, str } from '../../../support/rdb-bytes.js';

/**
 * Valkey 9's slot import state (opcode 243 in `VALKEY` files), built byte by
 * byte as `clusterRDBSaveSlotImports` writes it and `clusterRDBLoadSlotImport`
 * reads it (valkey-io/valkey src/cluster_migrateslots.c): the job's 40-character
 * name as a string, the number of slot ranges, then each range's first and
 * last slot as RDB lengths. The local redis-server (7.0) writes no VALKEY file.
 */

/** An RDB length: 6-, 14- or 32-bit form, as rdbSaveLen picks. */
function len(n: number): number[] {
  if (n < 64) return [n];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff];
  return [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
const JOB = 'a3f1c0de5b7e9d2468ac13579bdf02468ace1357';
const JOB2 = '0123456789abcdef0123456789abcdef01234567';
/** Opcode 243, the job name and its ranges. */
const slotImport = (job: string, ranges: [number, number][]): number[] => [
  0xf3,
  ...str(job),
  ...len(ranges.length),
  ...ranges.flatMap(([a, b]) => [...len(a), ...len(b)]),
];
const stringKey = (key: string, value: string): number[] => [0x00, ...str(key), ...str(value)];

describe('Valkey 9 slot import state (opcode 243 in VALKEY files)', () => {
  it.each(['VALKEY080', 'VALKEY081'])(
    'reads a %s file saved during an atomic slot migration: the keys counted, the import and its ranges reported',
    (magic) => {
      const body = [
        0xfe,
        0x00,
        ...slotImport(JOB, [
          [0, 99],
          [5000, 16383],
        ]),
        ...stringKey('a', '1'),
        ...stringKey('b', '2'),
      ];
      const report = both(file(magic, body));
      expect(rdbVerdict(report)).toBe('ok');
      expect(report).toMatchObject({
        ok: true,
        keys: 2,
        slotImportJobs: 1,
        slotImports: [
          {
            job: JOB,
            ranges: [
              [0, 99],
              [5000, 16383],
            ],
            rangeCount: 2,
          },
        ],
      });
      expect(report.unsupported).toBeUndefined();
    },
  );

  it('reads several imports, one with no range, before the first database', () => {
    const body = [...slotImport(JOB, []), ...slotImport(JOB2, [[7, 7]]), 0xfe, 0x00, ...stringKey('k', 'v')];
    const report = both(file('VALKEY080', body));
    expect(report).toMatchObject({ ok: true, keys: 1, slotImportJobs: 2 });
    expect(report.slotImports).toEqual([
      { job: JOB, ranges: [], rangeCount: 0 },
      { job: JOB2, ranges: [[7, 7]], rangeCount: 1 },
    ]);
  });

  it('keeps the first 32 ranges of a job (the report stays small) and counts them all', () => {
    const ranges = Array.from({ length: 5000 }, (_, i): [number, number] => [i * 3, i * 3 + 1]);
    const report = both(file('VALKEY081', [...slotImport(JOB, ranges), 0xfe, 0x00, ...stringKey('k', 'v')]));
    expect(report.ok).toBe(true);
    expect(report.slotImports?.[0]?.rangeCount).toBe(5000);
    expect(report.slotImports?.[0]?.ranges).toEqual(ranges.slice(0, 32));
  });

  it('keeps 16 imports and counts them all', () => {
    const jobs = Array.from({ length: 20 }, (_, i) => slotImport(`${String(i).padStart(2, '0')}${JOB.slice(2)}`, [[i, i]]));
    const report = both(file('VALKEY080', [...jobs.flat(), 0xfe, 0x00, ...stringKey('k', 'v')]));
    expect(report).toMatchObject({ ok: true, slotImportJobs: 20 });
    expect(report.slotImports).toHaveLength(16);
  });

  it('reads the keys around it for a restore (migrate --from-rdb)', () => {
    const bytes = file('VALKEY080', [0xfe, 0x00, ...stringKey('a', '1'), ...slotImport(JOB, [[1, 2]]), ...stringKey('b', '2')]);
    for (const chunk of [bytes.length, 1]) {
      const reader = new RdbKeyReader({});
      const names = [];
      for (let at = 0; at < bytes.length; at += chunk) names.push(...reader.push(bytes.subarray(at, at + chunk)).map((k) => k.name.toString()));
      expect(reader.end().ok).toBe(true);
      expect(names).toEqual(['a', 'b']);
    }
  });

  it('carries the imports through a checkpoint (a verification paused and resumed in another invocation)', () => {
    const first = [0xfe, 0x00, ...slotImport(JOB, [[10, 20]]), ...stringKey('a', '1')];
    const bytes = file('VALKEY080', [...first, ...stringKey('b', '2')]);
    const cut = 9 + first.length; // magic + everything up to a top-level boundary
    const v1 = createRdbVerifier({ requireChecksum: true });
    v1.push(bytes.subarray(0, cut));
    v1.pause();
    expect(v1.state).toBe('paused');
    const checkpoint = JSON.parse(JSON.stringify(v1.checkpoint())) as RdbCheckpoint;
    expect(checkpoint.slotImports).toEqual([{ job: JOB, ranges: [[10, 20]], rangeCount: 1 }]);
    const v2 = createRdbVerifier({ requireChecksum: true, resumeFrom: checkpoint });
    v2.push(bytes.subarray(checkpoint.offset));
    // Besides what only a resumed verification says: its duplicate-key check covered the keys from the checkpoint on.
    const { duplicateKeyCheck, ...resumed } = v2.end();
    expect(duplicateKeyCheck).toEqual({ fromOffset: checkpoint.offset, detectionProbability: 1 });
    expect(resumed).toEqual(both(bytes));
  });

  it.each<[string, number[], RegExp]>([
    ['a job name shorter than 40 characters', slotImport(JOB.slice(1), [[0, 1]]), /slot import state \(opcode 243\): job name of 39 bytes/],
    ['a range ending past slot 16383', slotImport(JOB, [[0, 16384]]), /slot range 0-16384 ends past slot 16383/],
    ['a range starting after it ends', slotImport(JOB, [[9, 3]]), /slot range 9-3 starts after it ends/],
    ['more ranges than slots', [0xf3, ...str(JOB), ...len(16385)], /16385 slot ranges, more than the 16384 slots/],
    ['a record cut before its ranges end', [0xf3, ...str(JOB), ...len(2), 0x00, 0x01], /./],
  ])('refuses %s: corrupt, not unsupported', (_what, record, error) => {
    const report = both(file('VALKEY080', [0xfe, 0x00, ...record]));
    expect(report.ok).toBe(false);
    expect(report.unsupported).toBeUndefined();
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it.each(['REDIS0011', 'REDIS0012'])('still refuses opcode 243 in a %s file (the format of that version has no such byte)', (magic) => {
    const report = both(file(magic, [0xfe, 0x00, ...slotImport(JOB, [[0, 1]])]));
    expect(report.error?.message).toMatch(/unknown value type or opcode 243/);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('reads the same byte in a REDIS0013 file as Redis 8.6 key metadata, not as a slot import', () => {
    // A slot import record read as key metadata: its "class count" is the name's length byte (40), over the 7 Redis allows.
    const report = both(file('REDIS0013', [0xfe, 0x00, ...slotImport(JOB, [[0, 1]])]));
    expect(report.error?.message).toMatch(/key metadata \(opcode 243\): 40 metadata classes/);
  });
});
