/** A usage problem (bad arguments, an unreadable or invalid file): the CLI prints its message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
