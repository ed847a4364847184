/**
 * V8's optimizing compiler (TurboFan) on a process that has one CPU. It
 * compiles hot functions on background threads: with a second core that
 * costs the run nothing in time, but on one CPU (a container limited to one,
 * `taskset -c 0`) every millisecond it compiles is taken from the work, and
 * the unoptimized code runs longer meanwhile. A conversion runs much more
 * hot code than a verification (the parser twice, with the writer, the
 * key-list digest and the transcoder), and TurboFan's inlining makes each of
 * its big functions (the parser's opcode step, the key visits) several
 * times bigger to compile: on one CPU, `--no-turbo-inlining` took about 7 %
 * off a re-encoding conversion's CPU (bench/README.md, convert-rdb,
 * 2026-11-26 02:00), where the code it compiles runs a little slower.
 *
 * Why a flag set at run time holds: V8 reads `turbo_inlining` when it sets
 * up each optimizing compilation (on the main thread, before the job goes to
 * a background thread), so the flag changes how functions are compiled
 * from then on and nothing compiled before; Node documents flags set after
 * start as unsupported in general, which is why this sets only that one and
 * puts it back afterwards. `--no-concurrent-recompilation`, which measured
 * better still on the command line, cannot be set here: V8 decides at start
 * whether it has a compiler thread at all.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';

/**
 * On a process with one CPU (`cores`), turns TurboFan's inlining off for the
 * code compiled from now on; returns what puts it back (a no-op with more
 * cores, or where V8 refuses the flag).
 */
export function inlineLessOnOneCpu(cores = availableParallelism()): () => void {
  if (cores !== 1) return () => {};
  try {
    setFlagsFromString('--no-turbo-inlining');
  } catch {
    return () => {}; // another engine: the run is only slower
  }
  return () => setFlagsFromString('--turbo-inlining');
}
