import { writeSync } from 'node:fs';

/**
 * SIGINT, SIGTERM or SIGHUP (a terminal closed, an SSH session dropped) in a
 * command that writes a file whole or not at all (`convert-rdb`): one line
 * saying so (`say`), then exit 130, 143 or 129 at once (or, its terminal gone,
 * end by the signal itself, the line written only where it still can be);
 * the output's temporary file is removed as the process exits
 * (lambdas/adapters/storage/output-file.ts), so nothing partial is left.
 * A `say` that returns a promise (a run taking back outputs it already
 * stored: convert-rdb of a recovery point's shard files) is waited for; a
 * second signal meanwhile exits at once, saying what may be left.
 */
export function quitOnSignals(say: (signal: QuitSignal) => string | Promise<string>): { dispose: () => void } {
  let quitting = false;
  let gone = false;
  const handler = (signal: NodeJS.Signals): void => {
    const name = quitSignal(signal);
    // Told again at the end: a terminal may hang up while the run takes back what it stored (a first signal's wait).
    const quit = (line: string): void => quitWith(name, line, gone || muteIfTerminalGone());
    if (quitting) {
      quit(`redis-dr: interrupted again (${name}): quitting before the run took back what it stored; outputs of the run may be left`);
      return;
    }
    quitting = true;
    gone = muteIfTerminalGone();
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

/** The signal a quit is for, by its name (SIGINT for any other). */
export const quitSignal = (signal: NodeJS.Signals): QuitSignal => (signal === 'SIGTERM' || signal === 'SIGHUP' ? signal : 'SIGINT');

/**
 * Whether this process's terminal hung up (a window closed, a session dropped) under any of its stdio; the streams on
 * it then take writes and drop them (a progress line's redraws there ended Node 20 with SIGSEGV now and then), a stream
 * on a file or a pipe still writes. A hung-up terminal refuses every write with EIO, an empty one too (a live one, a
 * pipe or a file takes it); not told by isatty, which a hung-up terminal no longer answers true to. stdin counts: Node
 * resets a terminal on it at exit as well (a run whose output goes to a log, its stdin the terminal).
 */
export function muteIfTerminalGone(): boolean {
  // Its writes fail (EIO, EPIPE) as 'error' events nothing else handles: what it can no longer show is no reason to stop.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const gone = [0, 1, 2].filter((fd) => {
    try {
      writeSync(fd, '');
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EIO';
    }
  });
  for (const [fd, stream] of [
    [1, process.stdout],
    [2, process.stderr],
  ] as const)
    if (gone.includes(fd)) stream.write = (() => true) as typeof stream.write;
  return gone.length > 0;
}

/**
 * Ends the process for `signal`: `line` on stderr, then the exit code a shell gives a process the signal ended
 * (128 + its number); with its terminal `gone`, by the signal itself ({@link endBy}) once `line` is written where it
 * still can be (stderr on a file or a pipe; dropped on the terminal that hung up).
 */
export function quitWith(signal: QuitSignal, line: string | undefined, gone: boolean): void {
  if (line !== undefined) process.stderr.write(`${line}\n`);
  if (gone) endBy(signal);
  else process.exit(QUIT_CODES[signal]);
}

/**
 * Ends the process by `signal` itself once its exit handlers have run (the temporary files removed, files kept aside
 * put back), as a shell reports it (129 for SIGHUP). Not process.exit: Node 20 restores its terminal's settings at
 * exit and aborts when they cannot be (a hung-up terminal fails tcsetattr with EIO: "Assertion failed" in
 * node::ResetStdio, SIGABRT or SIGSEGV; nodejs/node#58200 made later releases ignore it); a process a signal ends runs
 * no exit code of Node's.
 */
function endBy(signal: QuitSignal): void {
  process.exitCode = QUIT_CODES[signal];
  process.emit('exit', QUIT_CODES[signal]);
  // With no listener left, Node hands the signal back to its default action: the process ends.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/** The signals {@link quitOnSignals} handles, and the exit code of each. */
export const QUIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type QuitSignal = keyof typeof QUIT_CODES;
export const QUIT_SIGNALS = Object.keys(QUIT_CODES) as QuitSignal[];

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
