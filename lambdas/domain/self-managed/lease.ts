/**
 * The destination lease of `redis-dr backup`, the pure half: one run at a
 * time per target and destination, so that two overlapping runs (a cron
 * line that overlaps the one before, a manual run beside the timer) never
 * judge, hold and prune the same backups at once — the earlier one could
 * otherwise print OK for a backup the other's retention deleted. The lease
 * is a lock file (folders) or an object written with `If-None-Match: *`
 * (S3); it names its holder, so a lease left by a run that died (its pid
 * gone on the same host, boot and pid namespace, or older than a bound) is
 * taken over. Pure: the adapters (adapters/storage/backup-store.ts, adapters/storage/backup-store-s3.ts) read and write it.
 */

/**
 * Where a pid means something: a host's name and, when readable, its boot
 * id and pid namespace (adapters/host/process.ts thisPidScope). A pid seen
 * from another host (an NFS client), another boot (the pid reused since a
 * reboot) or another container (its own pid numbers) says nothing.
 */
export interface PidScope {
  /** `os.hostname()`. */
  readonly host: string;
  /** Linux `/proc/sys/kernel/random/boot_id`, when readable. */
  readonly boot?: string;
  /** Linux `/proc/self/ns/pid` (`pid:[4026531836]`), when readable. */
  readonly pidNamespace?: string;
}

/** Whether a pid recorded in `a` can be looked up in `b`: the same host, boot and pid namespace (unknown ones equal only unknown ones). */
export function samePidScope(a: PidScope, b: PidScope): boolean {
  return a.host === b.host && a.boot === b.boot && a.pidNamespace === b.pidNamespace;
}

/** Who holds a lease: written into the lease file or object. */
export interface LeaseHolder extends PidScope {
  /** What holds it, e.g. `redis-dr backup`. */
  readonly owner: string;
  readonly pid: number;
  /** When it was taken (ISO). */
  readonly start: string;
  /** Random per run: a run releases only a lease that still carries its token. */
  readonly token: string;
  /** When the holder last said it is still working (ISO): the age of a lease is counted from here. */
  readonly refreshed?: string;
}

/** The lease's name in the destination (a dot file: never listed as a backup). */
export function leaseName(target: string): string {
  return `.redis-dr-${target.toLowerCase()}.lease`;
}

/** The lease file or object's text. */
export function formatLease(holder: LeaseHolder): string {
  return `${JSON.stringify(holder, null, 2)}\n`;
}

/** A lease's holder, or `undefined` when the text is not one (then it is judged by its age alone). */
export function parseLease(text: string): LeaseHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LeaseHolder>;
    if (typeof v.owner !== 'string' || typeof v.host !== 'string' || typeof v.start !== 'string' || typeof v.token !== 'string') return undefined;
    if (!Number.isInteger(v.pid) || Number.isNaN(Date.parse(v.start))) return undefined;
    // Written by a redis-dr before boot ids were recorded: no boot, so judged by age on a host that has one.
    if ((v.boot !== undefined && typeof v.boot !== 'string') || (v.pidNamespace !== undefined && typeof v.pidNamespace !== 'string')) return undefined;
    if (v.refreshed !== undefined && (typeof v.refreshed !== 'string' || Number.isNaN(Date.parse(v.refreshed)))) return undefined;
    return v as LeaseHolder;
  } catch {
    return undefined;
  }
}

/** What is known of a lease found in place. */
export interface FoundLease {
  readonly holder?: LeaseHolder;
  /** When it was written (file mtime, object LastModified): the age of a lease that cannot be read. */
  readonly writtenAt: Date;
}

/**
 * Why a lease found in place may be taken over, or `undefined` when its
 * holder may still be running:
 * - a holder in this pid scope (host, boot, pid namespace: {@link samePidScope})
 *   whose pid is gone (`alive` false) — and never one whose pid is alive,
 *   however old its lease (a long backup is not a dead one);
 * - a holder on this host during an earlier boot (both boot ids known and
 *   different): a reboot ended it, whatever the age;
 * - else a lease not refreshed for longer than `staleAfterMs` (a holder
 *   elsewhere — another host, another container — that died, or one that
 *   cannot be read). A pid from elsewhere is never looked up: there it may
 *   name another process, alive or not.
 */
export function staleLease(
  found: FoundLease,
  here: PidScope & { readonly now: Date; readonly alive: (pid: number) => boolean },
  staleAfterMs: number,
): string | undefined {
  const h = found.holder;
  if (h && samePidScope(h, here)) return here.alive(h.pid) ? undefined : `its holder, pid ${h.pid} on ${h.host}, is gone`;
  if (h && h.host === here.host && h.boot !== undefined && here.boot !== undefined && h.boot !== here.boot)
    return `its holder, pid ${h.pid} on ${h.host}, ran before this host's last boot (boot id ${h.boot.slice(0, 8)}…, now ${here.boot.slice(0, 8)}…): it is gone`;
  const since = h ? Math.max(Date.parse(h.start), h.refreshed ? Date.parse(h.refreshed) : 0) : found.writtenAt.getTime();
  const age = here.now.getTime() - since;
  if (age > staleAfterMs)
    return `${h?.refreshed ? 'last refreshed' : 'taken'} ${Math.round(age / 1000)} s ago, longer than the ${Math.round(staleAfterMs / 1000)} s a run may hold it without a word`;
  return undefined;
}

/** Whether a lease's holder is beyond this run's sight: another host, boot or container, or a lease that cannot be read (judged by age alone). */
export function heldElsewhere(found: FoundLease, here: PidScope): boolean {
  return !(found.holder && samePidScope(found.holder, here));
}

/** When a lease is stale by the age rule unless its holder refreshes it (ms since the epoch). */
export function leaseStaleAt(found: FoundLease, staleAfterMs: number): number {
  const h = found.holder;
  const since = h ? Math.max(Date.parse(h.start), h.refreshed ? Date.parse(h.refreshed) : 0) : found.writtenAt.getTime();
  return since + staleAfterMs;
}

/** What a run that did not get the lease is waiting for: its holder, and when the lease is stale if the holder says nothing more. */
export function leaseWait(found: FoundLease, here: PidScope, staleAfterMs: number): string {
  const h = found.holder;
  if (!heldElsewhere(found, here)) return `pid ${h!.pid} on this host is running: it is taken over only once that process is gone`;
  return `a holder ${h ? `on ${h.host}${h.host === here.host ? ' (another container)' : ''}` : 'that cannot be read'}, whose pid cannot be looked up from here: the lease is stale at ${new Date(leaseStaleAt(found, staleAfterMs)).toISOString()} unless it is refreshed`;
}

/** A sentence naming the holder of a lease, for the message of a run that did not get it. */
export function describeHolder(found: FoundLease): string {
  const h = found.holder;
  return h ? `${h.owner} pid ${h.pid} on ${h.host}, since ${h.start}` : `an unreadable lease written ${found.writtenAt.toISOString()}`;
}
