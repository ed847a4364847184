/**
 * Whether a stored copy, re-read, is still what was stored: the verifier's
 * verdict on its structure and CRC-64, then the length, the SHA-256 and the
 * key counts recorded when it was written and read back (each digest the
 * destination keeps: the record, its read-back, a folder's `.sha256` file).
 * Pure: what was recorded and what was found come in; the problems go out,
 * one line each, empty when the copy is good.
 */

/** What the destination recorded of a copy when it was written. */
export interface RecordedCopy {
  readonly bytes?: number;
  readonly sha256?: string;
  /** The read-back on arrival (length and SHA-256 of the stored bytes). */
  readonly readBack?: { readonly bytes: number; readonly sha256: string };
  /** A folder's `<file>.sha256` (`sha256sum -c` format), its digest. */
  readonly sidecarSha256?: string;
  readonly keys?: number;
  readonly keysByDb?: Readonly<Record<string, number>>;
  /**
   * Why no SHA-256 of the copy was ever kept (a DR copy: ElastiCache writes
   * the export, verify-rdb tags its verdict and key counts only): the missing
   * digest is then not a problem; the CRC-64, the key counts and the twin stand for it.
   */
  readonly noDigestKept?: string;
}

/** What the re-read found: the bytes' length and SHA-256, and the verifier's report (the fields judged). */
export interface ReReadCopy {
  readonly bytes: number;
  readonly sha256: string;
  readonly verdict: {
    readonly ok: boolean;
    readonly checksum: 'ok' | 'mismatch' | 'absent';
    readonly keys: number;
    readonly keysByDb?: Readonly<Record<string, number>>;
    readonly error?: { readonly offset: number; readonly message: string };
    /** A format the verifier does not know: not judged either way. */
    readonly unsupported?: boolean;
  };
}

/** The problems of one re-read copy (empty: it is what was stored). */
export function judgeReRead(recorded: RecordedCopy | undefined, found: ReReadCopy): string[] {
  const out: string[] = [];
  const v = found.verdict;
  if (v.unsupported) out.push(`not judged: the verifier does not read this format (${v.error?.message ?? 'unknown'})`);
  else if (!v.ok)
    out.push(`structure: ${v.error ? `${v.error.message} at byte ${v.error.offset}` : v.checksum === 'mismatch' ? 'CRC-64 mismatch' : 'not valid'}`);
  else if (v.checksum === 'mismatch') out.push('CRC-64 mismatch');
  if (recorded === undefined) {
    out.push('no record of what was stored (not written by redis-dr, or its record is gone): nothing to compare with');
    return out;
  }
  const digests: [string, string | undefined][] = [
    ['the record', recorded.sha256],
    ['the read-back on arrival', recorded.readBack?.sha256],
    ['the .sha256 file', recorded.sidecarSha256],
  ];
  if (digests.every(([, d]) => d === undefined) && recorded.noDigestKept === undefined)
    out.push('no SHA-256 recorded: the bytes cannot be compared with what was stored');
  for (const [where, digest] of digests) if (digest !== undefined && digest !== found.sha256) out.push(`SHA-256 ${found.sha256} is not ${where}'s ${digest}`);
  for (const [where, bytes] of [
    ['the record', recorded.bytes],
    ['the read-back on arrival', recorded.readBack?.bytes],
  ] as const)
    if (bytes !== undefined && bytes !== found.bytes) out.push(`length ${found.bytes} bytes is not ${where}'s ${bytes}`);
  if (v.ok && recorded.keys !== undefined && recorded.keys !== v.keys) out.push(`keys ${v.keys} are not the recorded ${recorded.keys}`);
  if (v.ok && recorded.keysByDb !== undefined && v.keysByDb !== undefined && !sameCounts(recorded.keysByDb, v.keysByDb))
    out.push(`keys per database ${JSON.stringify(v.keysByDb)} are not the recorded ${JSON.stringify(recorded.keysByDb)}`);
  return out;
}

function sameCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}
