/**
 * SIGINT or SIGTERM in a command that writes a file whole or not at all
 * (`convert-rdb`): one line saying so (`say`), then exit 130 or 143 at once;
 * the output's temporary file is removed as the process exits
 * (lambdas/adapters/storage/output-file.ts), so nothing partial is left.
 */
export function quitOnSignals(say: (signal: 'SIGINT' | 'SIGTERM') => string): { dispose: () => void } {
  const handler = (signal: NodeJS.Signals): void => {
    const name = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    process.stderr.write(`${say(name)}\n`);
    process.exit(name === 'SIGINT' ? 130 : 143);
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
