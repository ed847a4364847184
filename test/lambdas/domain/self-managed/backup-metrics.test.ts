import { describe, expect, it } from 'vitest';
import { BACKUP_METRICS, formatBackupMetrics, formatLeaseWaitMetrics, parseLastSuccess } from '../../../../lambdas/domain/self-managed/backup-metrics.js';

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
    const failed = formatBackupMetrics({ ...ok, ok: false, endedAtMs: 1_795_000_900_000, bytes: 0, keys: 0, failedStep: 'save' }, before);
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

  it("two targets sharing one file keep each other's series (one HELP and TYPE per metric)", () => {
    const first = formatBackupMetrics(ok);
    const both = formatBackupMetrics({ ...ok, target: 'cache-2', keys: 20 }, first);
    expect(both).toContain(`${BACKUP_METRICS.keys}{target="cache-1"} 10\n`);
    expect(both).toContain(`${BACKUP_METRICS.keys}{target="cache-2"} 20\n`);
    expect(both.match(new RegExp(`# TYPE ${BACKUP_METRICS.keys} gauge`, 'g'))).toHaveLength(1);
    // cache-1 again, failing: its own series replaced, its last success carried, cache-2's untouched.
    const again = formatBackupMetrics({ ...ok, ok: false, endedAtMs: 1_795_000_900_000, keys: 0, failedStep: 'connect' }, both);
    expect(again).toContain(`${BACKUP_METRICS.success}{target="cache-1",step="connect"} 0\n`);
    expect(again).not.toContain(`${BACKUP_METRICS.success}{target="cache-1"} 1`);
    expect(again).toContain(`${BACKUP_METRICS.lastSuccess}{target="cache-1"} 1795000000.5\n`);
    expect(again).toContain(`${BACKUP_METRICS.keys}{target="cache-2"} 20\n`);
    expect(again).toContain(`${BACKUP_METRICS.success}{target="cache-2"} 1\n`);
  });

  it('a collapse sets redis_dr_backup_keyspace_collapsed 1; a run that did not judge keeps it, a good one clears it', () => {
    const collapsed = formatBackupMetrics({ ...ok, ok: false, failedStep: 'keyspace', collapsed: true });
    expect(collapsed).toContain(`${BACKUP_METRICS.collapsed}{target="cache-1"} 1\n`);
    expect(formatBackupMetrics({ ...ok, ok: false, failedStep: 'connect' }, collapsed)).toContain(`${BACKUP_METRICS.collapsed}{target="cache-1"} 1\n`);
    expect(formatBackupMetrics({ ...ok, collapsed: false }, collapsed)).toContain(`${BACKUP_METRICS.collapsed}{target="cache-1"} 0\n`);
  });

  it("a run waiting on a lease held elsewhere sets the wait, keeping the target's series and the other targets'; a run that gets it clears it", () => {
    const both = formatBackupMetrics({ ...ok, target: 'cache-2' }, formatBackupMetrics(ok));
    const waiting = formatLeaseWaitMetrics({ target: 'cache-1', holder: 'host-b', staleAtMs: 1_795_021_600_000 }, both);
    expect(waiting).toContain(`${BACKUP_METRICS.leaseWaiting}{target="cache-1",holder="host-b"} 1\n`);
    expect(waiting).toContain(`${BACKUP_METRICS.leaseStaleAt}{target="cache-1"} 1795021600\n`);
    expect(waiting).toContain(`${BACKUP_METRICS.leaseWaiting}{target="cache-2"} 0\n`);
    for (const line of both.split('\n').filter((l) => l.startsWith('redis_dr_') && !l.startsWith(`${BACKUP_METRICS.leaseWaiting}{target="cache-1"}`)))
      expect(waiting).toContain(line);
    expect(waiting).not.toContain(`${BACKUP_METRICS.leaseWaiting}{target="cache-1"} 0`);
    // Waiting again: one wait series, not two.
    const again = formatLeaseWaitMetrics({ target: 'cache-1', holder: 'host-b', staleAtMs: 1_795_021_700_000 }, waiting);
    expect(again.match(/redis_dr_backup_lease_waiting\{target="cache-1"/g)).toHaveLength(1);
    expect(again).toContain(`${BACKUP_METRICS.leaseStaleAt}{target="cache-1"} 1795021700\n`);
    expect(again).not.toContain('1795021600');
    const cleared = formatBackupMetrics(ok, again);
    expect(cleared).toContain(`${BACKUP_METRICS.leaseWaiting}{target="cache-1"} 0\n`);
    expect(cleared).not.toContain(`${BACKUP_METRICS.leaseStaleAt}{target="cache-1"}`);
  });
});
