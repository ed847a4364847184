/**
 * The scheduled report's copy in the vault: the DR bucket replicates
 * `reports/` into the vault bucket (where its default COMPLIANCE retention
 * locks it), so the report function never writes there. Replication is
 * asynchronous: each run judges the previous report's copy by the
 * replication status S3 keeps on the source objects (`COMPLETED`,
 * `PENDING`, `FAILED`). Pure.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
 */
import { REPORTS_PREFIX } from './input.js';

/** One file of a report and its source object's replication status (undefined: none, the object is in no replication rule). */
export interface ReplicatedFile {
  readonly key: string;
  readonly status: string | undefined;
}

/** How the vault copy is made, as the report and its info line say. */
export const VAULT_COPY_BY_REPLICATION = 'S3 replication of reports/ from the DR bucket into the vault (locked there by its default COMPLIANCE retention)';
/** The same in an organization's vault: the copy under the account's own prefix replicates. */
export const ORG_VAULT_COPY_BY_REPLICATION =
  "S3 replication of the account's <account>/<region>/ prefix from the DR bucket into the organization's vault (locked there by its default COMPLIANCE retention)";

/**
 * The prefix of the newest report of `period` written before `current`
 * (`<root>reports/<period>/<end>/`), from the keys listed under
 * `<root>reports/<period>/`; undefined when there is none. `root` is the
 * account's `<account>/<region>/` for an organization's copy, else empty.
 */
export function previousReportPrefix(keys: readonly string[], period: string, current: string, root = ''): string | undefined {
  const base = `${root}${REPORTS_PREFIX}${period}/`;
  const prefixes = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(base)) continue;
    const stamp = key.slice(base.length).split('/')[0];
    if (stamp) prefixes.add(`${base}${stamp}/`);
  }
  // Stamps are yyyy-mm-ddThhmmZ: their order is their time's.
  return [...prefixes]
    .filter((p) => p < current)
    .sort()
    .at(-1);
}

/**
 * What the previous report's files say of its vault copy: a problem for any
 * FAILED file (the copy is not in the vault and S3 does not retry it), and
 * one line for the run's message.
 */
export function judgeVaultCopy(prefix: string, files: readonly ReplicatedFile[]): { problems: string[]; line: string } {
  const by = (status: string | undefined) => files.filter((f) => f.status === status).map((f) => f.key.slice(prefix.length));
  const failed = by('FAILED');
  const pending = by('PENDING');
  const none = by(undefined);
  const problems =
    failed.length > 0 ? [`the vault copy of the previous report ${prefix} FAILED to replicate (${failed.join(', ')}): it is not in the vault`] : [];
  const parts = [
    `${by('COMPLETED').length} of ${files.length} file(s) COMPLETED`,
    ...(failed.length ? [`${failed.length} FAILED`] : []),
    ...(pending.length ? [`${pending.length} still PENDING`] : []),
    ...(none.length ? [`${none.length} with no replication status (written before the rule into the vault)`] : []),
  ];
  return { problems, line: `previous report ${prefix} in the vault: ${parts.join(', ')}` };
}
