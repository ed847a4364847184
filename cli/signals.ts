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
