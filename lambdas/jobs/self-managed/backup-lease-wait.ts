/**
 * A backup run that gave up on a lease held where it cannot look the holder
 * up (another host, another container, or a lease it cannot read): such a
 * lease is judged by its age alone (`--lease-stale-after`), so a holder that
 * died there blocks every run until then. Silence would hide it (issue 54
 * item 4), so the waiting run, which does nothing else, leaves:
 *
 * - the metrics (`--metrics-file`): `redis_dr_backup_lease_waiting 1` with
 *   the holder's host and `redis_dr_backup_lease_stale_timestamp_seconds`,
 *   the target's other series as the last real run left them;
 * - the heartbeat: `<url>/fail` with `--heartbeat-fail`, else `<url>/log`
 *   (the check's history shows the wait; its state is left to the success
 *   pings, whose absence alerts on its own).
 *
 * A holder this run can see (this host, boot and container) is a live run
 * doing the work: nothing is written or pinged (see docs/self-managed.md).
 */
import { pingHeartbeat } from '../../adapters/host/heartbeat.js';
import { updateFileAtomic } from '../../adapters/host/textfile.js';
import { formatLeaseWaitMetrics } from '../../domain/self-managed/backup-metrics.js';
import { heldElsewhere, leaseStaleAt, type FoundLease, type PidScope } from '../../domain/self-managed/lease.js';

/** What the waiting run knows and where it reports. */
export interface LeaseWaitRequest {
  readonly target: string;
  readonly found: FoundLease;
  readonly here: PidScope;
  readonly staleAfterMs: number;
  /** The run's message: who holds the lease, what it waits for. */
  readonly detail: string;
  readonly metricsFile?: string;
  readonly heartbeat?: { readonly url: string; readonly fail: boolean };
}

/** A step of the report (the run's StepResult). */
export interface LeaseWaitStep {
  readonly step: 'metrics' | 'heartbeat';
  readonly ok: boolean;
  readonly detail: string;
  readonly seconds: number;
}

/** Reports the wait (see the module comment); the steps it took, none for a holder in sight. Never throws. */
export async function reportLeaseWait(req: LeaseWaitRequest): Promise<LeaseWaitStep[]> {
  if (!heldElsewhere(req.found, req.here)) return [];
  const steps: LeaseWaitStep[] = [];
  const staleAtMs = leaseStaleAt(req.found, req.staleAfterMs);
  if (req.metricsFile) {
    const path = req.metricsFile;
    const wait = { target: req.target, holder: req.found.holder?.host ?? 'unreadable', staleAtMs };
    try {
      await updateFileAtomic(path, (previous) => formatLeaseWaitMetrics(wait, previous ?? ''));
      steps.push({ step: 'metrics', ok: true, detail: `lease wait written to ${path}`, seconds: 0 });
    } catch (err) {
      steps.push({ step: 'metrics', ok: false, detail: err instanceof Error ? err.message : String(err), seconds: 0 });
    }
  }
  if (req.heartbeat) {
    const event = req.heartbeat.fail ? 'fail' : 'log';
    const miss = await pingHeartbeat(req.heartbeat.url, event, req.detail);
    steps.push({ step: 'heartbeat', ok: miss === undefined, detail: miss ?? `pinged /${event}`, seconds: 0 });
  }
  return steps;
}
