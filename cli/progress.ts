/**
 * Progress on stderr for long work, through cli-progress: drawn only when
 * stderr is a terminal (cli-progress writes nothing to a pipe or a file), so
 * `--json` output and logs stay clean.
 */
import { Presets, SingleBar } from 'cli-progress';

/** A progress display; every method is a no-op when stderr is not a terminal. */
export interface Progress {
  update(value: number, payload?: Readonly<Record<string, string | number>>): void;
  stop(): void;
}

const quiet: Progress = { update: () => undefined, stop: () => undefined };

function bar(format: string, total: number, payload: Record<string, string | number>, clearOnComplete = false): Progress {
  if (!process.stderr.isTTY) return quiet;
  const b = new SingleBar({ format, stream: process.stderr, hideCursor: true, etaBuffer: 50, fps: 5, clearOnComplete }, Presets.shades_classic);
  b.start(total, 0, payload);
  return {
    update: (value, extra) => b.update(value, extra),
    stop: () => b.stop(),
  };
}

/** Progress of work over keys; {@link KeyProgress.start} once the total is known (or not). */
export interface KeyProgress {
  /** Draws the bar: with a percentage and ETA when `total` (e.g. DBSIZE) is known, else a running count. */
  start(total?: number): void;
  update(keysDone: number): void;
  stop(): void;
}

/** Keys processed, with keys/s: a bar on a terminal, nothing elsewhere. */
export function keyProgress(label: string): KeyProgress {
  let p: Progress = quiet;
  let started = Date.now();
  return {
    start: (total) => {
      p.stop();
      started = Date.now();
      const known = total !== undefined && total > 0;
      const format = known
        ? `${label} [{bar}] {percentage}% | {value}/{total} keys | {rate} keys/s | ETA {eta_formatted}`
        : `${label}: {value} keys | {rate} keys/s | {duration_formatted}`;
      p = bar(format, known ? total : 0, { rate: 0 });
    },
    update: (value) => p.update(value, { rate: Math.round(value / Math.max(0.001, (Date.now() - started) / 1000)) }),
    stop: () => p.stop(),
  };
}

/** Waiting on something with no measurable progress (a cluster being created, a drill running): its status and the time spent. */
export function statusProgress(label: string): Progress & { status(text: string): void } {
  const p = bar(`${label}: {status} | {duration_formatted}`, 0, { status: 'starting' });
  return { update: p.update, stop: p.stop, status: (text) => p.update(0, { status: text }) };
}

/**
 * Runs `work` with a {@link statusProgress} line when `show` (e.g. --wait);
 * `work` reports its status through the function it is given. The line is
 * gone before `work`'s result is printed, however it ends.
 */
export async function withStatus<T>(label: string, show: boolean, work: (status: (text: string) => void) => Promise<T>): Promise<T> {
  const p = show ? statusProgress(label) : undefined;
  try {
    return await work((text) => p?.status(text));
  } finally {
    p?.stop();
  }
}

/** Work in steps over bytes (a conversion: its input read, its output read back, uploaded…), each step's bytes told as they go. */
export interface StepProgress {
  /** `bytes` of `step` done, of `total` where known (a step told for the first time starts its own rate). */
  update(step: string, bytes: number, total?: number): void;
  stop(): void;
}

/**
 * The current step, its bytes (MiB, with a percentage where the total is known and not passed: a compressed input's
 * RDB bytes run past its size) and its rate: a line on a terminal; undefined elsewhere (nothing to tell it).
 */
export function stepProgress(label: string): StepProgress | undefined {
  if (!process.stderr.isTTY) return undefined;
  let p: Progress | undefined;
  let step = '';
  // The step's rate from its first bytes told: from 0 it would be a first chunk over a millisecond.
  let since = Date.now();
  let from = 0;
  return {
    update(now, bytes, total) {
      if (now !== step) {
        step = now;
        since = Date.now();
        from = bytes;
      }
      const mib = (n: number) => (n / 2 ** 20).toFixed(1);
      const of = total !== undefined && total > 0 && bytes <= total ? ` of ${mib(total)} MiB (${Math.floor((100 * bytes) / total)}%)` : ' MiB';
      const seconds = (Date.now() - since) / 1000;
      const payload = { what: `${step} ${mib(bytes)}${of}`, rate: seconds < 0.5 ? '-' : ((bytes - from) / 2 ** 20 / seconds).toFixed(0) };
      // Drawn at once with the first step told, then at most 5 times a second; cleared when it stops (the summary or the
      // error that follows says how it went), its last state drawn first. Stopped as the process exits too: the bar hides
      // the cursor and turns line wrapping off until then.
      if (p === undefined) {
        p = bar(`${label}: {what} | {rate} MiB/s | {duration_formatted}`, 0, payload, true);
        process.once('exit', () => p?.stop());
      } else p.update(0, payload);
    },
    stop: () => p?.stop(),
  };
}
