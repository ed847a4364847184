/**
 * Default bound on one key's bytes in the file (name and value): 512 MiB,
 * Redis's default `proto-max-bulk-len`, the largest argument (so the largest
 * RESTORE payload) a server takes by default. A module of its own, importing
 * nothing: the CLI's `serve` definition names it in its help (as serve's
 * limit, lambdas/domain/serve/max-value-bytes.ts), and loading the key reader
 * (keys.ts) for it cost every command's start about 40 ms.
 */
export const DEFAULT_MAX_KEY_BYTES = 512 * 1024 * 1024;
