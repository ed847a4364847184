import { describe, expect, it } from 'vitest';
import { AOF_METRICS, formatAofMetrics } from '../../../../lambdas/domain/self-managed/aof-metrics.js';

describe('AOF shipping metrics', () => {
  const base = {
    dir: '/var/lib/redis/appendonlydir',
    lagSeconds: 1.2345,
    shippedThroughMs: 1_795_396_090_500,
    rpoSeconds: 60,
    cycleEndedMs: 1_795_396_091_734,
    appendedBytes: 1000,
    uploadedBytes: 1040,
    parts: 7,
    errors: 0,
    heldBackBytes: 12,
    baseSeq: 3,
  };

  it('writes one gauge or counter per fact, labelled with the directory', () => {
    const text = formatAofMetrics(base);
    expect(text).toContain(`# TYPE ${AOF_METRICS.lag} gauge\n${AOF_METRICS.lag}{dir="/var/lib/redis/appendonlydir"} 1.235\n`);
    expect(text).toContain(`${AOF_METRICS.shippedThrough}{dir="/var/lib/redis/appendonlydir"} 1795396090.5\n`);
    expect(text).toContain(`${AOF_METRICS.withinRpo}{dir="/var/lib/redis/appendonlydir"} 1\n`);
    expect(text).toContain(`# TYPE ${AOF_METRICS.uploaded} counter\n${AOF_METRICS.uploaded}{dir="/var/lib/redis/appendonlydir"} 1040\n`);
    expect(text).toContain(`${AOF_METRICS.heldBack}{dir="/var/lib/redis/appendonlydir"} 12\n`);
    expect(text).toContain(`${AOF_METRICS.baseSeq}{dir="/var/lib/redis/appendonlydir"} 3\n`);
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^redis_dr_aof_[a-z_]+\{dir="[^"]*"\} -?[\d.]+$/);
  });

  it.each([
    [60, 1],
    [60.001, 0],
  ])('a lag of %s s against --rpo 60 s is within: %i', (lagSeconds, within) => {
    expect(formatAofMetrics({ ...base, lagSeconds })).toContain(`${AOF_METRICS.withinRpo}{dir="/var/lib/redis/appendonlydir"} ${within}\n`);
  });

  it('leaves out what is not known yet, and escapes the label', () => {
    const { shippedThroughMs: _s, ...rest } = base;
    const text = formatAofMetrics({ ...rest, dir: '/odd "dir"\\x' });
    expect(text).not.toContain(AOF_METRICS.shippedThrough);
    expect(text).toContain('{dir="/odd \\"dir\\"\\\\x"}');
  });

  it('is not within the RPO before a restorable moment, however small the lag; base_seq is always there (0: no base stored)', () => {
    const { shippedThroughMs: _s, ...rest } = base;
    const text = formatAofMetrics({ ...rest, lagSeconds: 0.003, baseSeq: 0 });
    expect(text).toContain(`${AOF_METRICS.withinRpo}{dir="/var/lib/redis/appendonlydir"} 0\n`);
    expect(text).toContain(`${AOF_METRICS.baseSeq}{dir="/var/lib/redis/appendonlydir"} 0\n`);
  });

  it('a failed cycle is not within the RPO whatever the lag; torn parts and missing timestamps are always written, aof_enabled when known', () => {
    const text = formatAofMetrics({ ...base, lagSeconds: 0.5, cycleOk: false, tornParts: 2, timestampsMissing: true, aofEnabled: false });
    expect(text).toContain(`${AOF_METRICS.withinRpo}{dir="/var/lib/redis/appendonlydir"} 0\n`);
    expect(text).toContain(`${AOF_METRICS.tornParts}{dir="/var/lib/redis/appendonlydir"} 2\n`);
    expect(text).toContain(`${AOF_METRICS.timestampsMissing}{dir="/var/lib/redis/appendonlydir"} 1\n`);
    expect(text).toContain(`${AOF_METRICS.aofEnabled}{dir="/var/lib/redis/appendonlydir"} 0\n`);
    const plain = formatAofMetrics(base);
    expect(plain).toContain(`${AOF_METRICS.tornParts}{dir="/var/lib/redis/appendonlydir"} 0\n`);
    expect(plain).toContain(`${AOF_METRICS.timestampsMissing}{dir="/var/lib/redis/appendonlydir"} 0\n`);
    expect(plain).not.toContain(AOF_METRICS.aofEnabled);
  });
});
