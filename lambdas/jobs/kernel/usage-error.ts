/**
 * A usage problem (bad arguments, an unreadable or invalid file, no AWS
 * credentials) that the operator fixes, whether the CLI or a job it calls
 * finds it: the CLI prints its message and exits 2 (cli/failure.ts).
 * `fix`, when given, is what `--json` reports as the fix; otherwise the
 * message itself says it and the fix points at the command's --help.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}
