/**
 * SIGINT, SIGTERM or SIGHUP (a terminal closed, an SSH session dropped) in a
 * command that writes a file whole or not at all (`convert-rdb`): one line
 * saying so (`say`), then exit 130, 143 or 129 at once;
 * the output's temporary file is removed as the process exits
 * (lambdas/adapters/storage/output-file.ts), so nothing partial is left.
 * A `say` that returns a promise (a run taking back outputs it already
 * stored: convert-rdb of a recovery point's shard files) is waited for; a
 * second signal meanwhile exits at once, saying what may be left.
 */
export function quitOnSignals(say: (signal: QuitSignal) => string | Promise<string>): { dispose: () => void } {
  let quitting = false;
  const handler = (signal: NodeJS.Signals): void => {
    const name: QuitSignal = signal === 'SIGTERM' || signal === 'SIGHUP' ? signal : 'SIGINT';
    // 128 + the signal's number, as a shell reports a process the signal ended.
    const code = QUIT_CODES[name];
    const quit = (line: string): never => {
      process.stderr.write(`${line}\n`);
      process.exit(code);
    };
    if (quitting) quit(`redis-dr: interrupted again (${name}): quitting before the run took back what it stored; outputs of the run may be left`);
    quitting = true;
    const words = say(name);
    if (typeof words === 'string') quit(words);
    else void words.then(quit, (err: unknown) => quit(`interrupted (${name}): ${err instanceof Error ? err.message : String(err)}`));
  };
  for (const signal of QUIT_SIGNALS) process.on(signal, handler);
  return {
    dispose: () => {
      for (const signal of QUIT_SIGNALS) process.off(signal, handler);
    },
  };
}

/** The signals {@link quitOnSignals} handles, and the exit code of each. */
const QUIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type QuitSignal = keyof typeof QUIT_CODES;
const QUIT_SIGNALS = Object.keys(QUIT_CODES) as QuitSignal[];

/** Ctrl-C in the long-running key copies: the first stops after the current batch, the second quits. */
/** Ctrl-C: finish the current batch, then stop; a second Ctrl-C exits at once. */
export function stopOnSigint(): { stopped: () => boolean; dispose: () => void } {
  let stop = false;
  const handler = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nredis-dr: stopping after the current batch (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', handler);
  return { stopped: () => stop, dispose: () => process.off('SIGINT', handler) };
}
