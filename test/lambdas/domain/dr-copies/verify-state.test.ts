import { describe, expect, it } from 'vitest';
import {
  NOT_CHECKPOINTABLE,
  notCheckpointableReport,
  STEP_FUNCTIONS_MAX_STATE_BYTES,
  stateBytes,
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
