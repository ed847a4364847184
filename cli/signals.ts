/**
 * SIGINT or SIGTERM in a command that writes a file whole or not at all
 * (`convert-rdb`): one line saying so (`say`), then exit 130 or 143 at once;
 * the output's temporary file is removed as the process exits
 * (lambdas/adapters/storage/output-file.ts), so nothing partial is left.
 * A `say` that returns a promise (a run taking back outputs it already
 * stored: convert-rdb of a recovery point's shard files) is waited for; a
 * second signal meanwhile exits at once, saying what may be left.
 */
export function quitOnSignals(say: (signal: 'SIGINT' | 'SIGTERM') => string | Promise<string>): { dispose: () => void } {
  let quitting = false;
  const handler = (signal: NodeJS.Signals): void => {
    const name = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    const code = name === 'SIGINT' ? 130 : 143;
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
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

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
