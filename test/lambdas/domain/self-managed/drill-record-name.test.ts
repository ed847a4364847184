import { describe, expect, it } from 'vitest';
import { DRILL_RECORD_PREFIX, drillRecordName } from '../../../../lambdas/domain/self-managed/drill-record.js';

describe('drillRecordName', () => {
  it('names a record by its target and start to the millisecond, never as an .rdb', () => {
    const name = drillRecordName('Cache-A', new Date('2026-11-25T03:15:00.123Z'));
    expect(name).toBe('redis-dr-drill-cache-a-20261125T031500.123Z.json');
    expect(name.startsWith(DRILL_RECORD_PREFIX)).toBe(true);
    expect(name.endsWith('.rdb')).toBe(false);
  });

  it('gives two drills started in the same second two names (their records do not meet), one instant one name', () => {
    const first = drillRecordName('cache', new Date('2026-11-25T03:15:00.001Z'));
    const second = drillRecordName('cache', new Date('2026-11-25T03:15:00.999Z'));
    expect(second).not.toBe(first);
    expect(drillRecordName('cache', new Date('2026-11-25T03:15:00.001Z'))).toBe(first);
  });
});
