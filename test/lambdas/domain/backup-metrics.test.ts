import { describe, expect, it } from 'vitest';
import { BACKUP_METRICS, formatBackupMetrics, parseLastSuccess } from '../../../lambdas/domain/backup-metrics';

describe('backup metrics (node_exporter textfile)', () => {
  const ok = { target: 'cache-1', ok: true, endedAtMs: 1_795_000_000_500, seconds: 12.5, bytes: 2048, keys: 10 };

  it('writes every gauge with HELP and TYPE, labelled with the target', () => {
    const text = formatBackupMetrics(ok);
    expect(text).toContain(`# TYPE ${BACKUP_METRICS.lastSuccess} gauge\n${BACKUP_METRICS.lastSuccess}{target="cache-1"} 1795000000.5\n`);
    expect(text).toContain(`${BACKUP_METRICS.success}{target="cache-1"} 1\n`);
    expect(text).toContain(`${BACKUP_METRICS.bytes}{target="cache-1"} 2048\n`);
    expect(text).toContain(`${BACKUP_METRICS.keys}{target="cache-1"} 10\n`);
    expect(text).toContain(`${BACKUP_METRICS.duration}{target="cache-1"} 12.5\n`);
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+\{[^}]*\} [\d.]+)$/);
  });

  it('a failed run keeps the last success time of the file before it and names the failed step', () => {
    const before = formatBackupMetrics(ok);
    const previous = parseLastSuccess(before, 'cache-1');
    expect(previous).toBe(1795000000.5);
    const failed = formatBackupMetrics({ ...ok, ok: false, endedAtMs: 1_795_000_900_000, bytes: 0, keys: 0, failedStep: 'save' }, previous);
    expect(failed).toContain(`${BACKUP_METRICS.lastSuccess}{target="cache-1"} 1795000000.5\n`);
    expect(failed).toContain(`${BACKUP_METRICS.lastRun}{target="cache-1"} 1795000900\n`);
    expect(failed).toContain(`${BACKUP_METRICS.success}{target="cache-1",step="save"} 0\n`);
  });

  it('a first run that fails writes no last-success gauge (an alert on its absence fires)', () => {
    expect(formatBackupMetrics({ ...ok, ok: false, failedStep: 'connect' })).not.toContain(BACKUP_METRICS.lastSuccess);
    expect(parseLastSuccess('', 'cache-1')).toBeUndefined();
    expect(parseLastSuccess(formatBackupMetrics(ok), 'other')).toBeUndefined();
  });

  it('escapes label values', () => {
    expect(formatBackupMetrics({ ...ok, target: 'a"b\\c' })).toContain('{target="a\\"b\\\\c"}');
  });
});
