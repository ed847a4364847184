/**
 * convert-rdb's memory with one big value (issue 55: 2 × the largest value + 100 MB), measured on the whole CLI in a
 * child process: its peak RSS is the kernel's (VmHWM of /proc/self/status, read at the child's exit by a module it
 * preloads). Shared by the suite's cases (test/cli/commands/convert-rdb/convert-rdb-memory.test.ts: a string, a list,
 * a hash and a sorted set) and the benchmark's (bench/convert-rdb/memory.test.ts: every other big-value form, 5-17 s
 * of a CPU each in the suite), which records each peak beside its bound.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { cliWithEnv } from '../cli/support/run-cli.js';
import { writeBigStringFile } from './big-string-file.js';
import { startRedisServer } from './redis-server.js';

/** The value's size: big against the CLI's own ~65 MiB, so that each copy of it held at once shows in the peak. */
export const VALUE_BYTES = 64 << 20;

/** One peak measured against its bound. */
export interface PeakFigure {
  readonly command: string;
  readonly file: string;
  readonly peakMB: number;
  readonly boundMB: number;
}

export interface ConvertMemory {
  /** The suite's folder (made before the first case, removed after the last). */
  readonly dir: string;
  /** A file of one 64 MiB string (random bytes, stored plain) and one small key. */
  readonly input: string;
  /** Every peak measured so far, in order. */
  readonly figures: PeakFigure[];
  /** The CLI run with the peak hook and a 256 MB old space; the peak it measured, in bytes, from {@link peak}. */
  run(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** The last run's peak RSS in bytes, recorded against `boundBytes`. */
  peak(command: string, file: string, boundBytes: number): number;
  /**
   * `redis-dr convert-rdb <input> <flags…> -o <out>`: exit 0, nothing on stderr, its summary holding `counts` and the
   * output verified; its peak RSS recorded and within `boundBytes`. The peak, in bytes.
   */
  convertedWithin(input: string, out: string, flags: readonly string[], counts: string, boundBytes: number): Promise<number>;
  /**
   * `input` converted (for redis-6.2 unless `--for` is given) into `out`, the big value re-encoded; its peak RSS
   * within 2 × the value + 100 MB, the value's bytes taken as the file's (all but a few hundred of them are the
   * value's), or `--bound-bytes <n>` (this helper's, not the CLI's) where they are not (a compressed one's plain form).
   */
  reencodedWithinBound(input: string, out: string, ...args: string[]): Promise<void>;
  /** The real server loads `out` with `big:hash` holding fields a and b of `values`. */
  loadsHashOf(out: string, values: readonly Buffer[]): Promise<void>;
  /** verify-rdb of `file` (exit 0) holds its value once at most: peak RSS within `valueBytes` + 50 MB, beside the CLI's own (~65 MB). */
  verifiedHoldingOnce(file: string, valueBytes: number): Promise<void>;
}

/** The suite's folder, input and helpers, made in a beforeAll and removed in an afterAll of the calling file. */
export function convertMemory(): ConvertMemory {
  let dir = '';
  let input = '';
  let hook = '';
  const figures: PeakFigure[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-mem-'));
    input = join(dir, 'big.rdb');
    hook = join(dir, 'peak.cjs');
    writeFileSync(
      hook,
      `process.on('exit', () => { const m = /VmHWM:\\s*(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeFileSync(${JSON.stringify(join(dir, 'peak'))}, m ? m[1] : ''); });\n`,
    );
    writeBigStringFile(input, VALUE_BYTES);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const m: ConvertMemory = {
    get dir() {
      return dir;
    },
    get input() {
      return input;
    },
    figures,
    run: (...args) => cliWithEnv({ NODE_OPTIONS: `--require ${hook} --max-old-space-size=256` }, ...args),
    peak(command, file, boundBytes) {
      const bytes = Number(readFileSync(join(dir, 'peak'), 'utf8')) * 1024;
      figures.push({ command, file: basename(file), peakMB: Math.round(bytes / 1e5) / 10, boundMB: Math.round(boundBytes / 1e5) / 10 });
      return bytes;
    },
    async reencodedWithinBound(input, out, ...args) {
      const b = args.indexOf('--bound-bytes');
      const flags = b < 0 ? args : [...args.slice(0, b), ...args.slice(b + 2)];
      const engine = flags.includes('--for') ? [] : ['--for', 'redis-6.2'];
      const valueBytes = b < 0 ? statSync(input).size : Number(args[b + 1]);
      expect(valueBytes).toBeGreaterThan(VALUE_BYTES);
      const peakBytes = await m.convertedWithin(input, out, [...engine, ...flags], '2 keys written (1 as they were, 1 re-encoded)', 2 * valueBytes + 100e6);
      expect(peakBytes).toBeGreaterThan(Math.min(valueBytes, statSync(input).size)); // the peak was read, and the value was held
    },
    async convertedWithin(input, out, flags, counts, boundBytes) {
      const r = await m.run('convert-rdb', input, ...flags, '-o', out);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(counts);
      expect(r.stdout).toMatch(/verified: the output passes verify-rdb/);
      const peakBytes = m.peak(['convert-rdb', ...flags].join(' '), input, boundBytes);
      expect(peakBytes, `peak RSS ${(peakBytes / 1e6).toFixed(1)} MB`).toBeLessThanOrEqual(boundBytes);
      return peakBytes;
    },
    async loadsHashOf(out, values) {
      const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
      try {
        const l = loaded.client();
        expect(await l.hlen('big:hash')).toBe(2);
        expect((await l.hgetBuffer('big:hash', 'a'))?.equals(values[0]!)).toBe(true);
        expect((await l.hgetBuffer('big:hash', 'b'))?.equals(values[1]!)).toBe(true);
      } finally {
        await loaded.stop();
      }
    },
    async verifiedHoldingOnce(file, valueBytes) {
      const v = await m.run('verify-rdb', file);
      expect(v.status).toBe(0);
      const bound = valueBytes + 50e6;
      const verifyPeak = m.peak('verify-rdb', file, bound);
      expect(verifyPeak, `verify-rdb: peak RSS ${(verifyPeak / 1e6).toFixed(1)} MB`).toBeLessThanOrEqual(bound);
    },
  };
  return m;
}
