/**
 * `redis-dr report --destination … --signing-key` (docs/attest.md): the JSON
 * report is signed as the next of the destination's chain and kept beside
 * the backups, so `redis-dr attest` checks it with the destination's other
 * signed records (a drill's, a scrub's); a changed digit fails; a key that
 * is none, or the option with -c, is refused before anything is written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process.js';

const DIR = mkdtempSync(join(tmpdir(), 'report-signed-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const key = join(DIR, 'evidence-key.pem');
const pub = join(DIR, 'evidence-pub.pem');
execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key]);
execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);

/** `redis-dr report --destination file://<dest> … --signing-key <key>` with the outputs given. */
const signedReport = (dest: string, ...outputs: string[]) => runInProcess(['report', '--destination', `file://${dest}`, ...outputs, '--signing-key', key]);

describe('redis-dr report --destination --signing-key', () => {
  it("signs the JSON into the destination's chain (kept beside the backups, read back); attest verifies it, and a changed digit fails", async () => {
    const dest = mkdtempSync(join(DIR, 'dest-'));
    const out = join(DIR, 'first.json');
    const first = await runInProcess(['report', '--destination', `file://${dest}`, '--json', out, '--signing-key', key, '--until', '2026-11-20T00:00:00Z']);
    // An empty destination: controls fail (exit 1), the report is still written and signed.
    expect(first.code, first.stderr).toBe(1);
    const second = await runInProcess([
      'report',
      '--destination',
      `file://${dest}`,
      '--json',
      join(DIR, 'second.json'),
      '--signing-key',
      key,
      '--until',
      '2026-11-27T00:00:00Z',
    ]);
    expect(second.code, second.stderr).toBe(1);
    const kept = readdirSync(dest).sort();
    expect(kept).toHaveLength(2);
    for (const name of kept) expect(name).toMatch(/^redis-dr-report-\d{8}T\d{9}Z\.json$/);
    const firstKept = /wrote file:\/\/\S+\/(redis-dr-report-\S+\.json)/.exec(first.stdout)?.[1];
    expect(kept).toContain(firstKept);
    const written = JSON.parse(readFileSync(out, 'utf8')) as { attestation: { seq: number; deployment: string } };
    expect(written.attestation).toMatchObject({ seq: 1, deployment: `file://${dest}` });
    expect(readFileSync(join(dest, firstKept!), 'utf8')).toBe(readFileSync(out, 'utf8'));

    // The same period again: another record of the chain, none written over.
    const again = await runInProcess([
      'report',
      '--destination',
      `file://${dest}`,
      '--json',
      join(DIR, 'again.json'),
      '--signing-key',
      key,
      '--until',
      '2026-11-27T00:00:00Z',
    ]);
    expect(again.code, again.stderr).toBe(1);
    expect(readdirSync(dest)).toHaveLength(3);
    const ok = await runInProcess(['attest', dest, '--public-key', pub, '--deployment', `file://${dest}`]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^VERIFIED .*: 3 record\(s\), one chain from record 1 to 3/);
    writeFileSync(
      out,
      readFileSync(out, 'utf8').replace(/"pass": (\d+)/, (_m, n: string) => `"pass": ${Number(n) + 1}`),
    );
    const changed = await runInProcess(['attest', out, '--public-key', pub]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toBe('NOT VERIFIED first.json: its content is not what was signed (changed after signing)\n');
  });

  it('signs the HTML and CSV too (their SHA-256 in the JSON): attest passes on the folder and on the destination; a changed CSV byte and a missing HTML are named', async () => {
    const dest = mkdtempSync(join(DIR, 'dest-'));
    const folder = mkdtempSync(join(DIR, 'out-'));
    const r = await signedReport(
      dest,
      ...['--json', join(folder, 'report.json'), '--html', join(folder, 'report.html'), '--csv', join(folder, 'csv'), '--until', '2026-11-20T00:00:00Z'],
    );
    expect(r.code, r.stderr).toBe(1);
    const record = JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8')) as { companions: Record<string, { bytes: number }> };
    const csvs = readdirSync(join(folder, 'csv')).sort();
    expect(csvs.length).toBeGreaterThan(0);
    expect(Object.keys(record.companions).sort()).toEqual(['report.html', ...csvs.map((c) => `csv/${c}`)].sort());
    expect(record.companions['report.html']!.bytes).toBe(readFileSync(join(folder, 'report.html')).length);
    // Kept beside the backups in a folder of its own, with the files it names.
    const [kept] = readdirSync(dest);
    expect(kept).toMatch(/^redis-dr-report-\d{8}T\d{9}Z$/);
    expect(readFileSync(join(dest, kept!, 'report.json'), 'utf8')).toBe(readFileSync(join(folder, 'report.json'), 'utf8'));
    const atDest = await runInProcess(['attest', dest, '--public-key', pub, '--deployment', `file://${dest}`]);
    expect(atDest.code, atDest.stdout + atDest.stderr).toBe(0);
    expect(atDest.stdout).toContain(`; ${csvs.length + 1} file(s) beside them as signed`);
    const ok = await runInProcess(['attest', folder, '--public-key', pub]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^VERIFIED .*: 1 record\(s\).*; \d+ file\(s\) beside them as signed\n$/);

    const csv = join(folder, 'csv', csvs[0]!);
    const bytes = readFileSync(csv);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(csv, bytes);
    const changed = await runInProcess(['attest', folder, '--public-key', pub]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(
      new RegExp(`^NOT VERIFIED csv/${csvs[0]!.replace('.', '\\.')}: is not the file report\\.json signed \\(changed after signing`),
    );

    rmSync(join(folder, 'report.html'));
    const missing = await runInProcess(['attest', join(dest, kept!, 'report.json'), '--public-key', pub]);
    expect(missing.code, missing.stdout).toBe(0);
    rmSync(join(dest, kept!, 'report.html'));
    const gone = await runInProcess(['attest', dest, '--public-key', pub]);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe(`NOT VERIFIED ${kept}/report.html: is not there, and ${kept}/report.json signed its SHA-256 (copy the report's folder whole)\n`);
    const goneLocal = await runInProcess(['attest', join(folder, 'report.json'), '--public-key', pub]);
    expect(goneLocal.code).toBe(1);
    expect(goneLocal.stdout).toMatch(/^NOT VERIFIED report\.html: is not there/);
  });

  it('with --html outside the folder of --json, or with no --json: exit 2, nothing written', async () => {
    const dest = mkdtempSync(join(DIR, 'dest-'));
    const folder = mkdtempSync(join(DIR, 'out-'));
    const outside = await signedReport(dest, '--json', join(folder, 'report.json'), '--html', join(DIR, 'elsewhere.html'));
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/--html .*elsewhere\.html is outside the folder of --json/);
    const noJson = await signedReport(dest, '--html', join(folder, 'report.html'));
    expect(noJson.code).toBe(2);
    expect(noJson.stderr).toMatch(/give --json <file> too/);
    expect(readdirSync(dest)).toEqual([]);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a key that is not there: exit 2 naming it, nothing written', async () => {
    const dest = mkdtempSync(join(DIR, 'dest-'));
    const r = await runInProcess(['report', '--destination', `file://${dest}`, '--json', join(DIR, 'n.json'), '--signing-key', join(DIR, 'no-key.pem')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--signing-key .*no-key\.pem: no such file/);
    expect(readdirSync(dest)).toEqual([]);
    expect(existsSync(join(DIR, 'n.json'))).toBe(false);
  });

  it('with -c: exit 2, the deployment signs with its KMS key', async () => {
    const r = await runInProcess(['report', '-c', 'test/fixtures/config/drills.json', '--json', join(DIR, 'c.json'), '--signing-key', key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--signing-key goes with --destination/);
  });
});
