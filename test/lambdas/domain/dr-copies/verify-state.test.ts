import { describe, expect, it } from 'vitest';
import {
  NOT_CHECKPOINTABLE,
  notCheckpointableReport,
  packCheckpoint,
  packTemplates,
  STEP_FUNCTIONS_MAX_STATE_BYTES,
  stateBytes,
  unpackTemplates,
  VERIFY_STATE_MAX_BYTES,
} from '../../../../lambdas/domain/dr-copies/verify-state.js';
import { type RdbCheckpoint, type RdbReport, rdbVerdict } from '../../../../lambdas/domain/rdb/verifier.js';

describe('the state a paused DR verification hands to Step Functions', () => {
  it.each<[string, unknown, number]>([
    ['ASCII JSON', { a: 'bc' }, 10],
    ['a character of two UTF-8 bytes counted as two', { a: 'é' }, 10],
    ['a character of four UTF-8 bytes counted as four', { a: '😀' }, 12],
  ])('measures %s as Step Functions counts it (UTF-8 bytes of its JSON)', (_what, state, bytes) => {
    expect(stateBytes(state)).toBe(bytes);
  });

  it('keeps a quarter of the 256 KiB quota as margin', () => {
    expect(STEP_FUNCTIONS_MAX_STATE_BYTES).toBe(256 * 1024);
    expect(VERIFY_STATE_MAX_BYTES).toBe(STEP_FUNCTIONS_MAX_STATE_BYTES * 0.75);
  });

  it('a state too large to carry is "not verified" (unsupported), never ok and never corrupt, with the counts so far and why', () => {
    const paused: RdbReport = {
      ok: false,
      version: 15,
      checksum: 'absent',
      keys: 7,
      expires: 0,
      databases: [0],
      byType: { hash: 7 },
      auxFields: {},
      functionLibraries: 0,
      error: { offset: 900, message: 'unexpected end of input while reading an opcode' },
    };
    const checkpoint = { offset: 900, version: 15, hashTemplates: [[1, 2] as const, [2, 3] as const] } as unknown as RdbCheckpoint;
    const report = notCheckpointableReport(paused, checkpoint, 300_000);
    expect(rdbVerdict(report)).toBe('unsupported');
    expect(report).toMatchObject({ keys: 7, byType: { hash: 7 }, unsupported: { version: 15, writtenBy: 'Redis 8.10 or later (RDB 15 hash templates)' } });
    expect(report.error).toEqual({
      offset: 900,
      message: `${NOT_CHECKPOINTABLE}: at byte 900 the paused verification's state is 300000 bytes (2 hash templates defined so far), over the 196608 bytes kept under Step Functions' 262144-byte state limit; verify it in one process (redis-dr verify-rdb), which keeps no checkpoint`,
    });
  });
});

describe('the reason a state too large to carry gives names what made it large', () => {
  it('a file of 30,000 databases and no template: its databases, never a template registry', () => {
    const databases = Array.from({ length: 30_000 }, (_, db) => db);
    const checkpoint = {
      offset: 500_000,
      version: 10,
      databases,
      keysByDb: Object.fromEntries(databases.map((db) => [String(db), 1])),
      functionLibraryNames: ['lib'],
      auxFields: { 'redis-ver': '7.0.15' },
    } as unknown as RdbCheckpoint;
    const paused = {
      ok: false,
      version: 10,
      checksum: 'absent',
      keys: 30_000,
      expires: 0,
      databases,
      byType: {},
      auxFields: {},
      functionLibraries: 1,
    } as RdbReport;
    const report = notCheckpointableReport(paused, checkpoint, stateBytes(checkpoint));
    expect(report.unsupported).toEqual({ version: 10, writtenBy: 'RDB version 10' });
    expect(report.error?.message).toMatch(
      /^not verified: state too large to checkpoint: at byte 500000 the paused verification's state is \d+ bytes \(0 hash templates defined so far, 30000 databases\), over/,
    );
    expect(report.error?.message).not.toMatch(/template registry/);
  });
});

describe('the template registry as a checkpoint carries it', () => {
  it.each<[string, [number, number][]]>([
    ['none', []],
    ['dense ids from 0, as a server numbers them', Array.from({ length: 300 }, (_, i) => [i, (i % 9) + 1])],
    [
      'ids out of order, repeated gaps and large field counts',
      [
        [7, 1],
        [3, 200],
        [2 ** 40, 70_000],
        [5, 2],
      ],
    ],
    [
      'ids up to 2^62 (taken as Redis takes them, kept as doubles)',
      [
        [2 ** 62, 3],
        [2 ** 53 + 2, 1],
        [0, 1],
      ],
    ],
  ])('packs and unpacks %s exactly', (_what, entries) => {
    expect(unpackTemplates(packTemplates(entries))).toEqual(entries);
  });

  it('takes under three characters a template where the pairs take about nine', () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => [i, 3] as [number, number]);
    expect(packTemplates(entries).length).toBeLessThan(30_000);
    expect(JSON.stringify(entries).length).toBeGreaterThan(80_000);
  });

  it('refuses text that is no packed registry, naming what is wrong', () => {
    expect(() => unpackTemplates('[[1,2]]')).toThrow(/a packed template registry starts with "t1:"/);
    expect(() => unpackTemplates(`t1:${Buffer.from([0x82]).toString('base64')}`)).toThrow(/ends inside a number/);
  });

  it('packs only the registry of a checkpoint', () => {
    expect(packCheckpoint({ offset: 9, hashTemplates: [[0, 2] as const] })).toEqual({ offset: 9, hashTemplates: packTemplates([[0, 2]]) });
    const none: { offset: number; hashTemplates?: [number, number][] } = { offset: 9 };
    expect(packCheckpoint(none)).toEqual({ offset: 9 });
  });
});
