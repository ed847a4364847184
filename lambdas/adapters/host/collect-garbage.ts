/**
 * A full garbage collection, asked for between two reads of a big file
 * (`migrate --from-rdb`: the restore's pass, then `--verify`'s): the
 * buffers one pass leaves (a 60 MB key's payload, its replies) are
 * otherwise still held when the next pass takes the next big key's bytes,
 * and the process peaks at both (bench/README.md, issue 54 item 10: 235–245
 * MB against 209–212 MB with a collection between, two 60 MB values). V8
 * gives the function only to a process started with `--expose-gc`: the flag
 * is set at run time and the function taken from a fresh context, once.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** Runs a full collection (a few tens of milliseconds on a heap of this size); a no-op where V8 refuses it. */
export function collectGarbage(): void {
  try {
    if (!gc) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
    gc();
  } catch {
    // Not there (another engine, a locked-down runtime): the passes only peak higher.
  }
}
