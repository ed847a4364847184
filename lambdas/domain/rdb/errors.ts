/**
 * The two ways an RDB input can fail a verification: corrupt
 * ({@link RdbFormatError}) or in a format this verifier cannot judge
 * ({@link RdbUnsupportedError}). Shared by the format readers, the codecs and
 * the report; imports nothing.
 */

/** A structural problem in the RDB input (not a bug in the verifier). */
export class RdbFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RdbFormatError';
  }
}

/**
 * A file in a format this verifier does not know (a newer RDB version, an
 * envelope or codec it cannot read): it cannot be judged, so it is neither
 * valid nor corrupt. `version` is the RDB (or envelope) version found and
 * `writtenBy` names what writes it, as far as can be told.
 */
export class RdbUnsupportedError extends RdbFormatError {
  constructor(
    readonly version: number,
    readonly writtenBy: string,
    detail?: string,
  ) {
    super(`unsupported format (version ${version}, written by ${writtenBy})${detail ? `: ${detail}` : ''}`);
    this.name = 'RdbUnsupportedError';
  }
}
