import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TMP_PREFIX } from '../../demo/run.js';
import { processAlive } from '../../lambdas/adapters/host/process.js';

/**
 * `npm run demo` as a user runs it: a child process, so the exit code, the
 * signal handling and "nothing left behind" are those of the real entry
 * point (an in-process call would share this process's exit hooks and could
 * not be sent SIGTERM). On a reduced dataset to stay fast.
 */

const ROOT = join(__dirname, '..', '..');
/**
 * The demo's TMPDIR: a folder of this test file's own, so "no directory of
 * the demo appeared" sees only these runs' directories, not those of another
 * suite running on the same machine.
 */
const TMP = mkdtempSync(join(tmpdir(), 'rdr-demo-test-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
/**
 * tsx keeps its transforms in the temporary directory (`tsx-<uid>`): in TMP it was empty at each run of this file, and
 * the first demo transformed every source again (a demo run 8.8 CPU-s with it empty, 7.7-8.0 filled). It is the
 * machine's own instead, the one every other tsx run fills (a transform is kept by its source's bytes).
 */
if (process.getuid) {
  const cache = `tsx-${process.getuid()}`;
  mkdirSync(join(tmpdir(), cache), { recursive: true });
  symlinkSync(join(tmpdir(), cache), join(TMP, cache));
}
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the demo; `onOutput` may act on the output so far (e.g. send a signal). */
function demo(command: string, args: readonly string[], onOutput?: (stdout: string, pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', TMPDIR: TMP }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      onOutput?.(stdout, child.pid!);
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The demo's own temporary directories that exist now. */
function demoDirs(): Set<string> {
  return new Set(
    readdirSync(TMP)
      .filter((d) => d.startsWith(TMP_PREFIX))
      .map((d) => join(TMP, d)),
  );
}

/** Every server pid and temporary directory the output names are gone, and no directory of the demo appeared. */
function expectNothingLeft(run: Run, before: ReadonlySet<string>): void {
  const pids = [...run.stdout.matchAll(/redis-server pid (\d+)/g)].map((m) => Number(m[1]));
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of new Set(pids)) expect(processAlive(pid), `redis-server pid ${pid}`).toBe(false);
  const dirs = [...run.stdout.matchAll(new RegExp(`(${TMP.replace(/[/\\]/g, '[/\\\\]')}[/\\\\]${TMP_PREFIX}[^\\s/:,]+)`, 'g'))].map((m) => m[1]!);
  expect(dirs.length).toBeGreaterThan(0);
  for (const dir of new Set(dirs)) expect(existsSync(dir), dir).toBe(false);
  expect([...demoDirs()].filter((d) => !before.has(d))).toEqual([]);
  expect(run.stdout).not.toMatch(/STILL RUNNING|STILL THERE/);
}

// Each run is the whole pipeline in a child (a CDK synth, servers, the drill): seconds alone, but on a machine whose
// cores are busy with the rest of the suite (or another one) it waited past the 60 s default and failed (seen under load).
describe('npm run demo', { timeout: 180_000 }, () => {
  it('backs up, copies, verifies and drills: the report says every check passed; --keep leaves the DR report with its charts; nothing else is left behind', async () => {
    const before = demoDirs();
    const run = await demo(NPM, ['run', 'demo', '--silent', '--', '--keys', '300', '--keep']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = run.stdout;
    // The DR report of the run, listed with the artefacts and kept: HTML with inline SVG charts, its JSON and CSV twins.
    const work = /^work directory: (\S+) \(kept: --keep\)$/m.exec(out)![1]!;
    const listed =
      /^ {4}(reports\/demo\/\S+Z\/): the DR report of this run \((\d+) controls pass, 0 fail, 2 n\/a; open report\.html in a browser\): (.+)$/m.exec(out);
    expect(listed, 'the DR report in the artefacts').not.toBeNull();
    const dir = join(work, 'dr-bucket-eu-central-1', listed![1]!);
    // The JSON written last: it carries the SHA-256 of the files before it (docs/attest.md).
    expect(listed![3]!.split(', ')).toEqual([
      'report.html',
      ...['controls', 'recovery-points', 'copies', 'drills', 'alarms'].map((c) => `csv/${c}.csv`),
      'report.json',
    ]);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.match(/<svg[^>]*class="chart"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(html).not.toMatch(/<script|<link|src="http/);
    // A month in every chart, the simulated part said on the page's top.
    expect(html).toMatch(/<p class="simulated"><strong>Simulated history\.<\/strong> The 30 days before this run are simulated/);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))).toMatchObject({ deployment: 'demo', summary: { fail: 0 }, problems: [] });
    expect(readFileSync(join(dir, 'csv', 'drills.csv'), 'utf8')).toMatch(
      /^COMPLETE,app-cache,app,eu-central-1 \(dr\),\S+,true,\d+,1800,,(scheduled|manual),[^,\r]*,[^,\r]*,[^,\r]*\r$/m,
    );
    // The demo has no CloudWatch: its alarms are not collected, never an empty "none".
    expect(readFileSync(join(dir, 'csv', 'alarms.csv'), 'utf8')).toBe('report_status,alarm,from,to,minutes_in_alarm\r\nNOT_COLLECTED,,,,\r\n');
    expect(html).toContain('Alarms that fired in the period: not collected</strong>');
    rmSync(work, { recursive: true, force: true });
    // Every stage ran, with its time, printed once: no closing table repeating them, a verdict line instead.
    const stages = ['synthesize', 'source', 'probe', 'backup', 'export', 'replicate', 'verify copy', 'drill', 'alerts dr', 'record'];
    for (const [i, stage] of stages.entries()) expect(out).toMatch(new RegExp(`^\\[ ?${i + 1}/10\\] ${stage} +\\d+\\.\\d+ s `, 'm'));
    for (const stage of stages) expect(out.match(new RegExp(`^\\[ ?\\d+/10\\] ${stage} `, 'gm'))?.length, stage).toBe(1);
    expect(out).not.toMatch(/^ {2}STEP +REGION +VERDICT/m);
    expect(out).toMatch(/^Selftest verdict: PASSED \(10 passed of 10 steps/m);
    // The TEST page through the formatter and the record read back; the topic by its place (dr), never a logical id.
    expect(out).toMatch(
      /^\[ 9\/10\] alerts dr +\d+\.\d+ s +"\[INFO\] redis-dr demo: TEST selftest alert path eu-central-1" published through the formatter; 1 confirmed subscription/m,
    );
    expect(out).not.toMatch(/\b[A-Z][A-Za-z]+[0-9A-F]{8}\b/);
    expect(out).toMatch(/^\[10\/10\] record +\d+\.\d+ s +\S+selftest\/\S+\.json \(\d+ bytes, read back\): passed/m);
    expect(out).toMatch(/selftest\/\S+\.json: the selftest's record \(passed, 9 steps/);
    // At most 60 lines as a plain run prints them: the --keep listing of the artefacts stands for one line there.
    const lines = out.trimEnd().split('\n');
    const listing = lines.indexOf('Artefacts (kept: --keep):');
    const listingLines = lines.slice(listing + 1).indexOf('');
    expect(lines.length - listingLines, 'lines of a plain run').toBeLessThanOrEqual(60);
    expect(out).toContain('redis-dr:verified=ok');
    // The report: the recovery point and its age, the keys, every check passed, the RTO.
    expect(out).toContain('Restore drill passed: plan app, target app-cache');
    expect(out).toMatch(/Recovery point: rdr-app-cache-\d{8}-\d{4} \(DR copy, 1 object\(s\)\), taken \S+, \d+s old at the start\./);
    expect(out).toMatch(/Keys restored: (\d+) \(recorded: \1\)\./);
    for (const check of ['canary', 'key-count', 'type-histogram', 'expect-keys', 'expect-values', 'sample']) {
      expect(out).toMatch(new RegExp(`\\[ok\\] +${check}: expected .+, found `));
    }
    expect(out).not.toMatch(/\[FAIL\]|\[skip\]/);
    // The key count is strict: the recorded keys minus only those the copy's expiry histogram says expired by the
    // check. Of the 300-key dataset only the 72 rate-limit counters (15-120 s) can expire while the demo runs; the
    // 102 sessions (30-90 min) cannot, so they are no excuse for missing keys (before: any of the 174 keys with a TTL was).
    const kc =
      /\[ok\] +key-count: expected (\d+) recorded, (\d+)(?:\.\.(\d+))? expired by the check at \S+Z \(expiry histogram[^)]*\): (?:exactly (\d+)|(\d+)\.\.(\d+)) \(tolerance 0 % = (\d+)\), found (\d+) keys\n/.exec(
        out,
      );
    expect(kc, 'the key-count line').not.toBeNull();
    const [recorded, gone, atMost = gone, exactly, low = exactly, high = exactly, tolerance, found] = kc!
      .slice(1)
      .map((n) => (n === undefined ? undefined : Number(n)));
    expect(recorded).toBe(301); // and the canary
    expect(atMost!).toBeLessThanOrEqual(72);
    expect(tolerance).toBe(0); // config/demo.json: keyCountTolerancePct 0, so only expiry explains a difference
    expect(low).toBe(recorded! - atMost! - tolerance!);
    expect(high).toBe(recorded! - gone! + tolerance!);
    expect(found!).toBeGreaterThanOrEqual(low!);
    expect(found!).toBeLessThanOrEqual(high!);
    expect(out).toMatch(/RTO \(start -> verified\): \d+s, objective 30m: met/);
    expect(out).toMatch(/RTO \(start -> verified\) +\d+\.\d{3} s/);
    expect(out).toMatch(/created -> available +\d+\.\d{3} s/);
    // Where the artefacts were, and that the drill deleted its cluster.
    expect(out).toMatch(/export bucket s3:\/\/redis-dr-demo-\d{12}-eu-west-1 = \S+export-bucket-eu-west-1\//);
    expect(out).toMatch(/DR bucket s3:\/\/redis-dr-demo-\d{12}-eu-central-1 = \S+dr-bucket-eu-central-1\//);
    expect(out).toMatch(/Cleanup: cluster rdr-drill-app-cache-\S+ deleted\./);
    expect(out).toMatch(/none sent/);
    expect(out).toMatch(/Drill PASSED\.\s*$/);
    expectNothingLeft(run, before);
  });

  it('a corrupt DR copy: verification tags it corrupt and pages, the drill finds no verified recovery point and fails, exit 1, nothing left behind', async () => {
    const before = demoDirs();
    const run = await demo(process.execPath, ['--import', 'tsx', 'demo/main.ts', '--keys', '300', '--corrupt-dr-copy']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const out = run.stdout;
    expect(out).toMatch(/--corrupt-dr-copy: byte [\d,]+ of the copy flipped/);
    expect(out).toContain('redis-dr:verified=corrupt');
    expect(out).toMatch(/page published to the alert topic: \[CRITICAL\] .*corrupt DR copy/);
    expect(out).toContain('Restore drill failed (select)');
    // The report names what the drill looked among, never "target none".
    expect(out).toContain('Restore drill failed (select): plan app, target none chosen (among app-cache), region eu-central-1 (DR copy).');
    expect(out).not.toMatch(/target none[,.]/);
    // The copy is named corrupt where it was judged (a warning of the verify step, not a PASSED), the drill fails in one
    // line (no PASSED drill beside a FAILED verdict), and the run is still recorded (read back), as failed.
    expect(out).toMatch(/^\[ 7\/10\] verify copy +\d+\.\d+ s +WARNED: the DR copy is CORRUPT \(its byte was flipped on purpose: --corrupt-dr-copy\)/m);
    expect(out).toMatch(/^\[ 8\/10\] drill +\d+\.\d+ s +FAILED: the drill failed: Restore drill failed \(select\)/m);
    expect(out).not.toMatch(/PASSED/);
    expect(out).toMatch(/^\[10\/10\] record +\d+\.\d+ s .*read back\): failed/m);
    // References point the right way: the drill report comes after the steps, and the last line points up to it.
    expect(out.indexOf('Drill report (')).toBeGreaterThan(out.indexOf('[10/10] record'));
    expect(out).toMatch(/Drill FAILED: the report above says which step or check\.\s*$/);
    expect(out).toMatch(/select: NoRecoveryPointError: .*corrupt: rdr-app-cache-\d{8}-\d{4}-0001\.rdb verified corrupt/);
    expect(out).toContain('no drill cluster was created');
    expect(out).toMatch(/Drill FAILED/);
    expectNothingLeft(run, before);
  });

  it('--vault: a replica in the vault folder with its retention, its delete refused (AccessDenied), the drill seeded from its copy in the DR bucket; nothing left behind', async () => {
    const before = demoDirs();
    const run = await demo(process.execPath, ['--import', 'tsx', 'demo/main.ts', '--keys', '300', '--vault']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = run.stdout;
    const stages = ['synthesize', 'source', 'probe', 'backup', 'export', 'replicate', 'verify copy', 'to vault', 'vault verify', 'vault delete', 'drill'];
    for (const [i, stage] of stages.entries()) expect(out).toMatch(new RegExp(`^\\[ ?${i + 1}/13\\] ${stage} +\\d+\\.\\d+ s `, 'm'));
    const vault = 'redis-dr-demo-999999999999-eu-central-1';
    expect(out).toMatch(/RedisDr-demo-Vault \(vault account 999999999999\)/);
    expect(out).toMatch(/GetObjectRetention: COMPLIANCE until (\S+Z) \(vault\.retentionDays 400\)/);
    const until = /GetObjectRetention: COMPLIANCE until (\S+Z)/.exec(out)![1]!;
    // The vault verdict is the verifier's object (tags on replicas may be the workload account's).
    expect(out).toMatch(/vault verify .*verdict ok in redis-dr-vault-verdicts\/rdr-app-cache-\d{8}-\d{4}-0001\.rdb\.json/);
    expect(out).toContain(`DeleteObject s3://${vault}/`);
    expect(out).toMatch(/refused, AccessDenied: Access Denied because object protected by object lock\./);
    // The drill seeded from its copy of the vault's replica in the DR bucket (same account), and deleted the copy after.
    expect(out).toMatch(/from dr-bucket-eu-central-1\/redis-dr-drill-seeds\/[\w-]+\/rdr-app-cache-\d{8}-\d{4}-0001\.rdb, deleted/);
    expect(out).toMatch(/S3 CopyObject x1/);
    expect(out).toContain("Seeded from a copy in this account's DR bucket redis-dr-demo-000000000000-eu-central-1; the copy was deleted (1 version(s)).");
    expect(out).toContain('Restore drill passed: plan app, target app-cache, region eu-central-1 (vault copy, account 999999999999).');
    expect(out).toContain(`Seeded from the vault: account 999999999999, bucket ${vault}, Object Lock COMPLIANCE until ${until}.`);
    // The report judges the vault controls from the local vault: all eight controls apply and pass.
    expect(out).toMatch(/^Artefacts: removed .*the DR report \(8 controls pass, 0 fail, 0 n\/a\)/m);
    expect(out).toMatch(/Drill PASSED\.\s*$/);
    expectNothingLeft(run, before);
  });

  it('on a machine without redis-server: one line naming npm run setup before anything is built, exit 1, nothing left behind', async () => {
    // A PATH holding only node: no redis-server, no valkey-server.
    const bin = mkdtempSync(join(TMP, 'bin-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'demo/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, PATH: bin, FORCE_COLOR: '0', TMPDIR: TMP },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    expect(run.code).toBe(1);
    // One line, before anything is synthesized or started.
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^redis-dr demo: neither redis-server nor valkey-server was found on PATH .*\. In this clone, npm run setup installs it \(then npm run demo\)$/,
      ),
    ]);
    expect(run.stderr).toBe('');
    expect(demoDirs().size).toBe(0);
  }, 120_000);

  it('SIGTERM while it runs: stops, cleans up, exits 143', async () => {
    const before = demoDirs();
    let sent = false;
    // Sent while the source is written (a large dataset keeps it there): the server is up and named.
    const run = await demo(process.execPath, ['--import', 'tsx', 'demo/main.ts', '--keys', '2000000'], (stdout, pid) => {
      if (!sent && /: writing [\d,]+ keys$/m.test(stdout)) {
        sent = true;
        process.kill(pid, 'SIGTERM');
      }
    });
    expect(sent).toBe(true);
    expect(run.code, run.stdout + run.stderr).toBe(143);
    expect(run.stdout).toContain('Interrupted: everything the demo started was stopped and removed.');
    expectNothingLeft(run, before);
  });
});
