/**
 * A problem a job found in the data it was given to read, not in how it was
 * asked: a recovery point the verifier does not pass (corrupt, cut, or in a
 * format it cannot judge), a copy whose bytes are not the ones recorded when
 * it was stored. The CLI prints its message, which names the file and what
 * shows more, and exits with its {@link FoundProblem.exitCode}: 1, as every
 * command does for a corrupt RDB, or 3 for a format the verifier cannot judge,
 * as verify-rdb does (docs/cli.md, "Exit codes"; a {@link UsageError} is exit
 * 2, for what the operator mistyped).
 * A job that reads many points (`history`) names such a point a hole, as it
 * names one that will not open.
 */
export class FoundProblem extends Error {
  override readonly name = 'FoundProblem';
  constructor(
    message: string,
    /** 1: a problem found (corrupt); 3: a format the verifier cannot judge (not verified, not corrupt), as verify-rdb says it. */
    readonly exitCode: 1 | 3 = 1,
  ) {
    super(message);
  }
}
