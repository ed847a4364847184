/**
 * V8 flags a CLI command sets for its own process, as the process's first
 * step (bin/redis-dr.ts), before any module of the CLI loads: no function is
 * optimized yet, no compile job runs, so no code made under the defaults is
 * left to meet the new values. Only the command named gets them; every other
 * command (verify-rdb among them) runs with V8's defaults.
 *
 * `convert-rdb`: a smaller cumulative inlining budget for TurboFan (920 bytes
 * of bytecode by default). A conversion runs the verifier's parser, the
 * writer, the transcoder's and the digest's code and the read-back's paths,
 * about twice the optimizing compiles of a verification, and that compile work
 * on V8's threads is most of what a re-encoding's fixed part spends beyond
 * verify-rdb's (bench/README.md, convert-rdb, 2026-11-26 21:40). With a
 * quarter of the budget each compile inlines less: same-run pairs of the whole
 * command on one CPU, 0.95 → 0.87 CPU-s at 100,000 keys and 1.87 → 1.72 at
 * 300,000 (bench/README.md, convert-rdb, 2026-11-27 15:00); the code it compiles
 * runs a little slower per key, so on a 1,000,000-key file the two about cancel
 * (2026-11-26 19:25, and 15:00). The flag bounds which
 * calls TurboFan inlines; it changes no result of any code (inlined or
 * called, a function computes the same). Node documents flags set at run time
 * as unsupported in general ("changing settings after the VM has started may
 * result in unpredictable behavior"): that is why this one is set before any
 * code it governs has run hot, and only for the command whose figures it was
 * measured on. A Node whose V8 lacks the flag would print
 * "unrecognized flag" to stderr: test/lambdas/adapters/host/command-v8-flags.test.ts
 * holds that this Node takes it quietly.
 */
/** Per CLI command, the V8 flags its process sets at start. */
const COMMAND_V8_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'convert-rdb': ['--max-inlined-bytecode-size-cumulative=230'],
};

/** The V8 flags the command `command` (the CLI's first argument) sets at start: none for most. */
export function commandV8Flags(command: string | undefined): readonly string[] {
  return command !== undefined && Object.hasOwn(COMMAND_V8_FLAGS, command) ? COMMAND_V8_FLAGS[command]! : [];
}

/**
 * Sets {@link commandV8Flags} of `command` in this process (call first, before the command's modules load). `node:v8`
 * loads only for a command that has flags (1 ms of every other command's start otherwise); a Node before 20.16, without
 * `process.getBuiltinModule`, runs with V8's defaults (the flag changes speed only).
 */
export function setCommandV8Flags(command: string | undefined): void {
  const flags = commandV8Flags(command);
  if (flags.length === 0) return;
  const v8 = process.getBuiltinModule?.('node:v8') as typeof import('node:v8') | undefined;
  for (const flag of flags) v8?.setFlagsFromString(flag);
}
