import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportObjectKey } from '../../../../lambdas/domain/points/export-objects.js';
import { convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { type ConvertPointResult, convertRdbPoint, isPointResult, startConvertRdb } from '../../../../lambdas/jobs/keys/convert-rdb-set.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { inWorker } from '../../../cli/support/in-process.js';
import { cliAsNobody, NOBODY } from '../../../cli/support/run-cli.js';
import { builtModule } from '../../../support/built-module.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { listpackSets, type ShardPoint, shardPoint } from '../../../support/shard-point.js';
import { frameFile, keyMetadata, keysOf, moduleAux } from '../../../support/rdb-newer.js';

const ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * `convert-rdb` of a whole cluster-mode recovery point (issue 55): the shard files of a real 3-primary cluster's
 * BGSAVEs, each converted for redis-6.2 into a folder under its own name, all or nothing.
 */
describe('convert-rdb of the shard files of one recovery point', () => {
  const name = 'rdr-orders-20261127-0200';
  let point: ShardPoint;
  let work: string;
  let n = 0;
  /** A new, empty output folder. */
  const folder = () => {
    const d = join(work, `out-${++n}`);
    mkdirSync(d);
    return d;
  };
  const spec = (output: string | undefined, more: Record<string, unknown> = {}) => ({
    inputs: [join(point.dir, name)],
    shards: 3,
    ...(output !== undefined ? { output } : {}),
    ...convertTarget({ for: 'redis-6.2' }),
    ...more,
  });
  const asPoint = (r: Awaited<ReturnType<typeof convertRdbPoint>>): ConvertPointResult => {
    if (!isPointResult(r)) throw new Error('a one-file result');
    return r;
  };

  beforeAll(async () => {
    point = await shardPoint(name);
    work = mkdtempSync(join(tmpdir(), 'redis-dr-convert-set-'));
  }, 120_000);
  afterAll(() => {
    for (const d of [point?.dir, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('3 shards for redis-6.2 (CLI): a line per shard and the totals; each output loaded by redis-server 7.0 and compared EQUAL with its input', async () => {
    const out = folder();
    const r = await inWorker('convert-rdb', join(point.dir, name), '--shards', '3', '--for', 'redis-6.2', '-o', `${out}/`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    for (let i = 1; i <= 3; i++)
      expect(lines[i - 1]).toMatch(
        new RegExp(
          `^shard ${i}/3: .*${exportObjectKey(name, i)}: REDIS0009 for redis-6\\.2, from .*${exportObjectKey(name, i)} \\(REDIS RDB 10\\): ${point.keys[i - 1]} keys written \\(\\d+ as they were, [1-9]\\d* re-encoded\\)`,
        ),
      );
    const total = point.keys.reduce((a, b) => a + b, 0);
    expect(lines[3]).toBe(`${out}/: the 3 shard files of ${name}, every one stored; in all:`);
    expect(lines[4]).toMatch(new RegExp(`^${total} keys written \\(`));
    expect(lines[5]).toBe("verified: each shard's output passes verify-rdb and holds the same keys, values and expiries as its input, key by key");
    expect(readdirSync(out).sort()).toEqual(point.files.map((f) => basename(f)));
    for (const [i, input] of point.files.entries()) {
      const output = join(out, basename(input));
      expect(readFileSync(output).subarray(0, 9).toString()).toBe('REDIS0009');
      const loaded = await startRedisServer({ loadRdb: output });
      try {
        expect(await loaded.client().dbsize()).toBe(point.keys[i]);
      } finally {
        await loaded.stop();
      }
      const compared = await inWorker('compare', '--a', input, '--b', output);
      expect(compared.stdout, compared.stderr).toMatch(new RegExp(`EQUAL: ${point.keys[i]} keys of A match B`));
      expect(compared.status).toBe(0);
    }
  }, 120_000);

  it("what is left out of every shard is named, not only the first shard's, in convert-rdb's totals and migrate --from-rdb's summary: key metadata of ignorable classes, and module AUX data under --lossy module (issue 55)", async () => {
    // Shard 1: key metadata of class BLES (ALLOW_IGNORE) on its first key; shard 2: module AUX data of ReJSON-RL and class
    // TAGS on its first key; shard 3: module AUX data of ft_index0. Each file framed again (RDB 13) from its real keys.
    const dir = mkdtempSync(join(work, 'besides-'));
    const besides = [
      { meta: 'BLES', aux: [] as string[] },
      { meta: 'TAGS', aux: ['ReJSON-RL'] },
      { meta: undefined, aux: ['ft_index0'] },
    ];
    for (const [i, f] of point.files.entries()) {
      const { keys, functions } = keysOf(readFileSync(f));
      const b = besides[i]!;
      const framed = keys.map((k, j) => (j === 0 && b.meta ? { ...k, meta: keyMetadata(b.meta, true) } : k));
      writeFileSync(join(dir, basename(f)), frameFile('REDIS0013', framed, [...functions, ...b.aux.map((m) => moduleAux(m))]));
    }
    const out = folder();
    const r = await inWorker('convert-rdb', join(dir, name), '--shards', '3', '--for', 'redis-6.2', '--lossy', 'module', '-o', `${out}/`);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('--lossy module: module AUX data of ReJSON-RL, ft_index0 left out (redis-dr does not carry module data)');
    expect(lines).toContain(
      "key metadata of ignorable classes BLES (1 key), TAGS (1 key) left out: a server without the class's module skips it too (Redis 8.6 ALLOW_IGNORE); the keys are kept, redis-dr does not carry it",
    );
    const json = JSON.parse(
      (await inWorker('convert-rdb', join(dir, name), '--shards', '3', '--for', 'redis-6.2', '--lossy', 'module', '--dry-run', '--json')).stdout,
    );
    expect(json.files.map((f: { ignoredKeyMeta?: Record<string, number> }) => f.ignoredKeyMeta)).toEqual([{ BLES: 1 }, { TAGS: 1 }, undefined]);
    // migrate --from-rdb of the same set into a real redis-server 7.0: the same lines (it named the first shard's module AUX data only).
    const target = await startRedisServer();
    try {
      const migrated = await inWorker('migrate', '--from-rdb', join(dir, name), '--shards', '3', '--to', target.url, '--lossy', 'module');
      expect(migrated.status, migrated.stderr).toBe(0);
      const said = migrated.stdout.trim().split('\n');
      expect(said).toContain('--lossy module: module AUX data of ReJSON-RL, ft_index0 left out (redis-dr does not carry module data)');
      expect(said).toContain(
        "key metadata of ignorable classes BLES (1 key), TAGS (1 key) left out: a server without the class's module skips it too (Redis 8.6 ALLOW_IGNORE); the keys are kept, redis-dr does not carry it",
      );
    } finally {
      await target.stop();
    }
  }, 60_000);

  it('the usage line says several inputs are taken (<in...>); negative: a command of one argument keeps <file>', async () => {
    const usage = async (...args: string[]) => (await inWorker(...args, '--help')).stdout.split('\n')[0];
    expect(await usage('convert-rdb')).toBe('Usage: redis-dr convert-rdb [options] <in...>');
    expect(await usage('verify-rdb')).toBe('Usage: redis-dr verify-rdb [options] <file>');
  });

  it('--json lists every shard; the shard files given one by one are the same set', async () => {
    const out = folder();
    const r = await inWorker('convert-rdb', ...point.files, '--shards', '3', '--for', 'redis-6.2', '-o', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ok: true, shards: 3, exportName: name, keys: point.keys.reduce((a, b) => a + b, 0) });
    expect(json.files.map((f: { input: string; output: string; ok: boolean }) => [f.input, f.output, f.ok])).toEqual(
      point.files.map((f) => [f, join(out, basename(f)), true]),
    );
    expect(json.files[0].inputReport).toBeUndefined();
  }, 60_000);

  it('one shard corrupt: exit 1 naming it, nothing left (no output, no temporary file); negative: the same set whole converts', async () => {
    const dir = mkdtempSync(join(work, 'corrupt-'));
    for (const f of point.files) copyFileSync(f, join(dir, basename(f)));
    const bad = join(dir, exportObjectKey(name, 2));
    const bytes = readFileSync(bad);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(bad, bytes);
    const out = folder();
    const r = await inWorker('convert-rdb', join(dir, name), '--shards', '3', '--for', 'redis-6.2', '-o', `${out}/`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^redis-dr convert-rdb: shard 2 of 3, ${bad}: the input is refused \\(.+, at byte \\d+\\): .*; nothing of the run was left at ${out}/\\n$`),
    );
    expect(readdirSync(out)).toEqual([]);
    writeFileSync(bad, readFileSync(point.files[1]!));
    const whole = await inWorker('convert-rdb', join(dir, name), '--shards', '3', '--for', 'redis-6.2', '-o', `${out}/`);
    expect(whole.status, whole.stderr).toBe(0);
    expect(readdirSync(out)).toHaveLength(3);
  }, 60_000);

  it('files that are not one point (the same shard under two names): refused by their hash slots, exit 1, nothing left; --dry-run says it too', async () => {
    const dir = mkdtempSync(join(work, 'twice-'));
    for (const s of [1, 2]) copyFileSync(point.files[0]!, join(dir, exportObjectKey(name, s)));
    const out = folder();
    const r = await inWorker('convert-rdb', join(dir, name), '--shards', '2', '--for', 'redis-6.2', '-o', `${out}/`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^redis-dr convert-rdb: the files are refused: .*-0001\\.rdb and .*-0002\\.rdb both hold keys of hash slot \\d+: they are not the shards of one recovery point; nothing of the run was left at ${out}/\\n$`,
      ),
    );
    expect(readdirSync(out)).toEqual([]);
    const dry = await inWorker('convert-rdb', join(dir, name), '--shards', '2', '--for', 'redis-6.2', '-o', `${out}/`, '--dry-run');
    expect(dry.status).toBe(1);
    expect(dry.stderr).toMatch(/--dry-run: the files are refused: .* both hold keys of hash slot \d+/);
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);

  it('an output of shard 2 there: refused before any input is read, without --force (exit 2, nothing written); with --force replaced', async () => {
    const out = folder();
    const taken = join(out, exportObjectKey(name, 2));
    writeFileSync(taken, 'precious');
    let read = 0;
    const refused = convertRdbPoint({ ...spec(out), onProgress: () => read++ });
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(
      `-o ${taken}: the file exists; give --force to replace it, or another path (1 of the 3 shard outputs refused; nothing was read or written)`,
    );
    expect(read).toBe(0);
    expect(readdirSync(out)).toEqual([basename(taken)]);
    expect(readFileSync(taken, 'utf8')).toBe('precious');
    const cli = await inWorker('convert-rdb', join(point.dir, name), '--shards', '3', '--for', 'redis-6.2', '-o', out);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    const forced = asPoint(await convertRdbPoint({ ...spec(out), force: true }));
    expect(forced.error).toBeUndefined();
    expect(readFileSync(taken).subarray(0, 9).toString()).toBe('REDIS0009');
    expect(readdirSync(out)).toHaveLength(3);
  }, 60_000);

  it('--force over a folder of older files, then shard 3 cannot be stored: the files shards 1 and 2 replaced are put back, not lost', async () => {
    const out = folder();
    const at = (s: number) => join(out, exportObjectKey(name, s));
    for (let s = 1; s <= 3; s++) writeFileSync(at(s), `older ${s}`);
    const r = asPoint(
      await convertRdbPoint({
        ...spec(out),
        force: true,
        onShard: (shard: number, stage: string) => {
          // A folder takes shard 3's name once every shard is converted: its rename into place fails (EISDIR).
          if (shard !== 3 || stage !== 'converted') return;
          rmSync(at(3));
          mkdirSync(at(3));
          writeFileSync(join(at(3), 'x'), 'x');
        },
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/EISDIR.*the 2 shard outputs already stored were removed, nothing of the run is left$/);
    expect(readFileSync(at(1), 'utf8')).toBe('older 1');
    expect(readFileSync(at(2), 'utf8')).toBe('older 2');
    // Nothing else: no temporary file, no file kept aside.
    expect(readdirSync(out).sort()).toEqual([1, 2, 3].map((s) => exportObjectKey(name, s)).sort());
  }, 60_000);

  it("another's file appears at shard 3's name once every shard is converted (no --force): a failed run (exit 1) that takes back shards 1 and 2 and says so, the file left", async () => {
    const out = folder();
    const at = (s: number) => join(out, exportObjectKey(name, s));
    const r = asPoint(
      await convertRdbPoint({
        ...spec(`${out}/`),
        onShard: (shard: number, stage: string) => {
          if (shard === 3 && stage === 'converted') writeFileSync(at(3), 'not the run');
        },
      }),
    );
    expect(r.ok).toBe(false);
    // Before, a usage error (exit 2) saying only that a file appeared: shards 1 and 2 taken back without a word.
    expect(r.error).toBe(
      `shard 3 of 3, ${join(point.dir, exportObjectKey(name, 3))}: a file appeared at ${at(3)} during the run (give --force to replace it, or another path): ` +
        'it was left as it is; the 2 shard outputs already stored were removed, nothing of the run is left',
    );
    expect(readdirSync(out)).toEqual([exportObjectKey(name, 3)]);
    expect(readFileSync(at(3), 'utf8')).toBe('not the run');
  }, 60_000);

  it("a folder whose sync fails once shard 1 is renamed into it (writable, not readable: mode 0300, as nobody): shard 1 taken back and the unsynced folder said, not 'nothing was written'", async () => {
    const open = mkdtempSync(join(tmpdir(), 'redis-dr-convert-set-nobody-'));
    try {
      chmodSync(open, 0o755);
      for (const f of point.files) {
        copyFileSync(f, join(open, basename(f)));
        chmodSync(join(open, basename(f)), 0o644);
      }
      const out = join(open, 'out');
      mkdirSync(out);
      chownSync(out, NOBODY, NOBODY);
      chmodSync(out, 0o300);
      const r = await cliAsNobody('convert-rdb', join(open, name), '--shards', '3', '--for', 'redis-6.2', '-o', `${out}/`);
      expect(r.status, r.stderr).toBe(1);
      const one = join(out, exportObjectKey(name, 1));
      const why = `EACCES: permission denied, open '${out}'`;
      expect(r.stderr).toBe(
        `redis-dr convert-rdb: shard 1 of 3, ${join(open, exportObjectKey(name, 1))}: ${one} is in place (verified before it was put there), but its folder ` +
          `could not be synced after it was (${why}): a crash may lose it (run sync to write it out); the shard output already stored was removed, ` +
          `nothing of the run is left; the folder ${out} could not be synced after the take-back (${why}): a crash may undo it\n`,
      );
      chmodSync(out, 0o700);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  }, 60_000);

  it('--dry-run: every shard judged and its size counted, nothing written (exit 0); negative: a shard refused is said, exit 1', async () => {
    const out = folder();
    const dry = await inWorker('convert-rdb', join(point.dir, name), '--shards', '3', '--for', 'redis-6.2', '-o', `${out}/`, '--dry-run', '--json');
    expect(dry.status, dry.stderr).toBe(0);
    const d = JSON.parse(dry.stdout);
    expect(d).toMatchObject({ ok: true, dryRun: true, shards: 3 });
    expect(d.files).toHaveLength(3);
    expect(readdirSync(out)).toEqual([]);
    const real = asPoint(await convertRdbPoint(spec(out)));
    expect(real.ok).toBe(true);
    expect(real.files.map((f) => f.bytesOut)).toEqual(d.files.map((f: { bytesOut: number }) => f.bytesOut));
    expect(real.files.map((f) => readFileSync(f.output!).length)).toEqual(real.files.map((f) => f.bytesOut));
    // Shard 3's output there now: every shard still judged, the real run's refusal said; nothing touched.
    const again = await inWorker('convert-rdb', join(point.dir, name), '--shards', '3', '--for', 'redis-6.2', '-o', `${out}/`, '--dry-run');
    expect(again.status).toBe(1);
    expect(again.stdout.split('\n').filter((l) => /^shard \d\/3: .* would be /.test(l))).toHaveLength(3);
    expect(again.stderr).toMatch(
      /^redis-dr convert-rdb --dry-run: shard 1 of 3, .*: a real run refuses this output before reading the input: -o .*-0001\.rdb: the file exists/,
    );
    expect(again.stderr).toMatch(/\nredis-dr convert-rdb --dry-run: a real run stores nothing\n$/);
  }, 60_000);

  it.each([
    [(out: string) => ['-o', join(out, 'one.rdb')], "-o names the folder they go into, not a file (an existing folder, or a path ending in '/')"],
    [(out: string) => ['-o', join(out, 'no-such', '/')], 'the folder does not exist; create it first'],
    [() => ['-o', 's3://bucket/prefix'], "-o names the prefix they go under, ending in '/' (write it as s3://bucket/prefix/)"],
    [() => [], 'give -o <folder>/ or -o s3://<bucket>/<prefix>/, where they are written under their names'],
  ])(
    'usage: several shards and %s: one line naming the field, the value and the fix, exit 2, nothing written',
    async (args, why) => {
      const out = folder();
      const r = await inWorker('convert-rdb', join(point.dir, name), '--shards', '3', '--for', 'redis-6.2', ...args(out));
      expect(r.stderr).toContain(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(readdirSync(out)).toEqual([]);
    },
    30_000,
  );

  it('negative: one file with -o naming a file is the one-file form, as ever (a point of one shard too); a set without --shards is refused (exit 1)', async () => {
    const out = folder();
    const plain = join(work, 'plain.rdb');
    copyFileSync(point.files[0]!, plain);
    const ok = await inWorker('convert-rdb', plain, '--for', 'redis-6.2', '-o', join(out, 'one.rdb'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^.*one\.rdb: REDIS0009 for redis-6\.2, from .*plain\.rdb \(REDIS RDB 10\)\n/);
    // A recovery point of one shard (--shards 1) is one file: written as -o names it.
    const single = await inWorker('convert-rdb', point.files[0]!, '--shards', '1', '--for', 'redis-6.2', '-o', join(out, 'single.rdb'));
    expect(single.status, single.stderr).toBe(0);
    const noCount = await inWorker('convert-rdb', join(point.dir, name), '--for', 'redis-6.2', '-o', `${out}/`);
    expect(noCount.status).toBe(1);
    expect(noCount.stderr).toContain('3 files without a shard count (local files carry no tags): add --shards <n>');
    expect(readdirSync(out).sort()).toEqual(['one.rdb', 'single.rdb']);
  }, 60_000);

  it('interrupted while the shards are stored (after shard 1 went under its name): it is taken back, nothing of the run left', async () => {
    const out = folder();
    const run = startConvertRdb({
      ...spec(`${out}/`),
      onShard: (shard, stage) => {
        if (shard === 1 && stage === 'stored') said = run.interrupt();
      },
    });
    let said: Promise<string | undefined> | undefined;
    await expect(run.done).rejects.toThrow('interrupted');
    expect(await said).toBe('the shard output already stored was removed, nothing of the run is left');
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);

  it('a signal once every shard is stored, while the run lets go of what --force replaced: what it ended with, not an empty reason', async () => {
    const out = folder();
    // Outputs there already: --force keeps each aside until every shard is stored, then removes them (real I/O, after the
    // last abort check): a signal then comes too late to take anything back, and the run ends stored and verified.
    for (const f of point.files) writeFileSync(join(out, basename(f)), 'an older output');
    let said: Promise<string | undefined> | undefined;
    const run = startConvertRdb({
      ...spec(`${out}/`, { force: true }),
      onShard: (shard, stage) => {
        if (shard === 3 && stage === 'stored') setImmediate(() => (said = run.interrupt()));
      },
    });
    expect((await run.done).ok).toBe(true);
    expect(said).toBeDefined();
    expect(await said).toBe(`the run had ended: every shard output in ${out}/ is stored and verified`);
    expect(readdirSync(out).sort()).toEqual(point.files.map((f) => basename(f)).sort());
  }, 60_000);

  it('a signal after the run ended says what it ended with (stored and verified, or its failure), never that nothing was written', async () => {
    const out = folder();
    const stored = startConvertRdb(spec(`${out}/`));
    expect((await stored.done).ok).toBe(true);
    expect(await stored.interrupt()).toBe(`the run had ended: every shard output in ${out}/ is stored and verified`);
    // One file: the same.
    const bytes = readFileSync(join(point.dir, `${name}-0001.rdb`));
    const plain = join(work, 'plain.rdb');
    writeFileSync(plain, bytes);
    const one = join(out, 'one.rdb');
    const single = startConvertRdb({ ...spec(one), inputs: [plain], shards: undefined });
    expect((await single.done).ok).toBe(true);
    expect(await single.interrupt()).toBe(`the run had ended: ${one} is stored and verified`);
    // Negative: a run that failed (a cut input) says its failure.
    const cut = join(work, 'cut.rdb');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const failed = startConvertRdb({ ...spec(join(out, 'two.rdb')), inputs: [cut], shards: undefined });
    const r = await failed.done;
    expect(r.ok).toBe(false);
    expect(await failed.interrupt()).toBe(`the run had ended, and failed: ${r.error}`);
    expect(r.error).toMatch(/^the input is refused/);
    // A run that threw (the output there, no --force: a usage error the CLI prints) says that too.
    const threw = startConvertRdb({ ...spec(one), inputs: [plain], shards: undefined });
    const err = await threw.done.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe(`-o ${one}: the file exists; give --force to replace it, or another path`);
    expect(await threw.interrupt()).toBe(`the run had ended, and failed: ${err?.message}`);
  }, 60_000);

  /**
   * A child process running the point with --force into `out` as the CLI does (quitOnSignals), doing `atShard2` (a
   * statement, `at(s)` the path of shard s's output) once shard 2 went under its name. The modules as dist/ compiled
   * them, as the CLI's children run them (test/support/built-module.ts): through tsx each child cost about 0.5 CPU-s more.
   */
  const forcedChild = (out: string, atShard2: string) => {
    const module = (path: string) => JSON.stringify(builtModule(join(ROOT, path)));
    const script = `
      const { startConvertRdb } = require(${module('lambdas/jobs/keys/convert-rdb-set.ts')});
      const { convertTarget } = require(${module('lambdas/jobs/keys/convert-rdb.ts')});
      const { exportObjectKey } = require(${module('lambdas/domain/points/export-objects.ts')});
      const { quitOnSignals } = require(${module('cli/signals.ts')});
      const fs = require('node:fs');
      const [input, out, name] = process.argv.slice(1);
      const at = (s) => require('node:path').join(out, exportObjectKey(name, s));
      const run = startConvertRdb({
        inputs: [input], shards: 3, output: out + '/', force: true, ...convertTarget({ for: 'redis-6.2' }),
        onShard: (shard, stage) => {
          if (shard === 2 && stage === 'stored') { ${atShard2} }
        },
      });
      quitOnSignals(async (signal) => 'interrupted (' + signal + '): ' + (await run.interrupt()));
      run.done.then(() => process.exit(0), () => undefined);`;
    return spawnSync(process.execPath, ['-e', script, join(point.dir, name), out, name], { cwd: ROOT, encoding: 'utf8' });
  };
  /** Two signals at once: the first starts the take-back, the second quits before it ends (cli/signals.ts). */
  const twoSignals = "process.kill(process.pid, 'SIGTERM'); process.kill(process.pid, 'SIGINT');";

  it('--force over older files, two real signals once shard 2 is stored (the second quits at once): the older files are put back as the process exits, none lost', async () => {
    const out = folder();
    const at = (s: number) => join(out, exportObjectKey(name, s));
    for (let s = 1; s <= 3; s++) writeFileSync(at(s), `older ${s}`);
    const child = forcedChild(out, twoSignals);
    expect(child.stderr).toMatch(/interrupted again \((SIGINT|SIGTERM)\): quitting before the run took back what it stored/);
    expect([130, 143]).toContain(child.status);
    for (let s = 1; s <= 3; s++) expect(readFileSync(at(s), 'utf8')).toBe(`older ${s}`);
    // Nothing else: no temporary file, no file kept aside.
    expect(readdirSync(out).sort()).toEqual([1, 2, 3].map((s) => exportObjectKey(name, s)).sort());
  }, 60_000);

  it("negative: another writer's file at shard 1's name, then two signals: it is left, and the older file kept aside is neither put over it nor removed", async () => {
    const out = folder();
    const at = (s: number) => join(out, exportObjectKey(name, s));
    for (let s = 1; s <= 3; s++) writeFileSync(at(s), `older ${s}`);
    const child = forcedChild(out, `fs.rmSync(at(1)); fs.writeFileSync(at(1), 'another writer'); ${twoSignals}`);
    expect([130, 143], child.stderr).toContain(child.status);
    expect(readFileSync(at(1), 'utf8')).toBe('another writer');
    for (const s of [2, 3]) expect(readFileSync(at(s), 'utf8')).toBe(`older ${s}`);
    const kept = readdirSync(out).filter((f) => f.startsWith('.'));
    expect(kept, `${kept.join(', ')}\n${child.stderr}`).toHaveLength(1);
    expect(kept[0]).toMatch(new RegExp(`^\\.${exportObjectKey(name, 1).replace(/\./g, '\\.')}\\.h[0-9a-f]{12}-\\d+-[0-9a-f]{8}\\.tmp\\.replaced$`));
    expect(readFileSync(join(out, kept[0]!), 'utf8')).toBe('older 1');
  }, 60_000);

  it("--force over older files, the run SIGKILLed once shard 2 is stored: the next run names what it left (older files kept aside, a temporary file) and removes none; negative: a live process's file, another name", async () => {
    const out = folder();
    const at = (s: number) => join(out, exportObjectKey(name, s));
    for (let s = 1; s <= 3; s++) writeFileSync(at(s), `older ${s}`);
    const killed = forcedChild(out, "process.kill(process.pid, 'SIGKILL');");
    expect(killed.signal).toBe('SIGKILL');
    const left = readdirSync(out)
      .filter((f) => f.startsWith('.'))
      .sort();
    // What the killed run left: shards 1 and 2's older files kept aside, shard 3's temporary file.
    expect(left.map((f) => f.replace(/\.h[0-9a-f]{12}-\d+-[0-9a-f]{8}\.tmp/, '.<run>.tmp'))).toEqual([
      `.${exportObjectKey(name, 1)}.<run>.tmp.replaced`,
      `.${exportObjectKey(name, 2)}.<run>.tmp.replaced`,
      `.${exportObjectKey(name, 3)}.<run>.tmp`,
    ]);
    // Not an earlier run's: one named for a process that runs (this one), and another name.
    const live = `.${exportObjectKey(name, 1)}.${process.pid}-0123abcd.tmp`;
    writeFileSync(join(out, live), 'not a killed run');
    writeFileSync(join(out, `.${exportObjectKey(name, 1)}.backup`), 'not a run');
    const r = await inWorker('convert-rdb', join(point.dir, name), '--shards', '3', '--for', 'redis-6.2', '--force', '-o', `${out}/`);
    expect(r.status, r.stderr).toBe(0);
    const [one, two, three] = left.map((f) => join(out, f));
    const replaced = (s: number, kept: string) =>
      `redis-dr convert-rdb: left by an earlier run: ${kept}: the file at ${at(s)} that an earlier run with --force replaced, kept aside by that run, ` +
      `killed before it ended (whether it had finished is not known: to put the older file back, mv ${kept} ${at(s)}; else remove it)`;
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      replaced(1, one!),
      replaced(2, two!),
      `redis-dr convert-rdb: left by an earlier run: ${three}: the temporary file of an earlier run on ${at(3)}, killed before it ended (not an output; remove it)`,
    ]);
    // Named, none removed: the older files are where the killed run kept them.
    expect(readFileSync(one!, 'utf8')).toBe('older 1');
    expect(readFileSync(two!, 'utf8')).toBe('older 2');
    expect(
      readdirSync(out)
        .filter((f) => f.startsWith('.'))
        .sort(),
    ).toEqual([...left, `.${exportObjectKey(name, 1)}.backup`, live].sort());
  }, 60_000);

  it("negative: a file put at shard 1's name after the run stored it is not the run's: taking back leaves it", async () => {
    const out = folder();
    const mine = join(out, exportObjectKey(name, 1));
    const run = startConvertRdb({
      ...spec(`${out}/`),
      onShard: (shard, stage) => {
        if (shard !== 1 || stage !== 'stored') return;
        // Another writer replaces the run's shard 1, then the run is stopped: only the run's own files go.
        rmSync(mine);
        writeFileSync(mine, 'not the run');
        said = run.interrupt();
      },
    });
    let said: Promise<string | undefined> | undefined;
    await expect(run.done).rejects.toThrow('interrupted');
    await said;
    expect(readdirSync(out)).toEqual([basename(mine)]);
    expect(readFileSync(mine, 'utf8')).toBe('not the run');
  }, 60_000);

  it('a real SIGTERM mid-run (shard 2 being written, shard 1 converted): one line, exit 143, nothing left', async () => {
    // Shard 2 holds 1,000,000 listpack sets, each re-encoded: far longer than the signal takes to arrive.
    const dir = mkdtempSync(join(work, 'big-'));
    const big = 'rdr-big-20261127-0200';
    for (let s = 1; s <= 3; s++) writeFileSync(join(dir, exportObjectKey(big, s)), listpackSets(`{s${s}}:`, s === 2 ? 1_000_000 : 1000));
    const out = folder();
    const child = spawn(process.execPath, ['bin/redis-dr.cjs', 'convert-rdb', join(dir, big), '--shards', '3', '--for', 'redis-6.2', '-o', `${out}/`], {
      cwd: ROOT,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    const writing = (shard: number) => readdirSync(out).some((f) => f.startsWith(`.${exportObjectKey(big, shard)}.`));
    const deadline = Date.now() + 30_000;
    while (!writing(2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(writing(2)).toBe(true);
    // Shard 1 converted and verified, under its temporary name.
    expect(writing(1)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toBe(`redis-dr convert-rdb: interrupted (SIGTERM): the temporary files were removed, nothing was written to ${out}/\n`);
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);
});
