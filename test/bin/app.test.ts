import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { WARNING_IDS } from '../../lib/annotations.js';
import { runCdkEntry } from '../../lib/cdk-entry.js';
import { hashFiles, KEPT_FOLDER, readKept, writeKept } from '../support/kept-by-content.js';
import { synthInputs, UNUSED_DAYS } from '../support/synth-kept.js';

const ROOT = join(__dirname, '..', '..');
/** tsx's loader in the one node process (the tsx command would start a second node to run it: 0.5 CPU-s a run). */
const TSX_LOADER = ['--import', 'tsx'];
const TSX_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'tsx', 'package.json'), 'utf8')) as { version: string }).version;
/** bin/app.ts's runs kept between runs (see runApp). */
const APP_KEPT = join(KEPT_FOLDER, 'bin-app');

/**
 * Runs bin/app.ts the way the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR; without the CDK's
 * template validation, as `cdk synth --no-validation` runs it (CDK_VALIDATION=false): its rule engine cost this child
 * 5.5 of its 7.4 CPU-s (measured: 7.41 -> 1.92 user). test/lib/app.test.ts validates the example's templates (and every
 * other validated config's) in one worker, which loads the engine once for all of them.
 */
function runApp(context: Record<string, unknown>, outdir: string): { status: number | null; stderr: string } {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
    CDK_VALIDATION: 'false',
  };
  // Its exit code, what it printed and the files it wrote, kept between runs by everything the synth reads
  // (test/support/synth-kept.ts: lib/, lambdas/, cdk.json, the packages' versions, Node, the UTC day), bin/app.ts, the
  // config, the environment and tsx: the child cost this file about 5 of its 8 CPU-s, and a run with none of them
  // changed prints and writes the same. Only a run that exits 0 is kept.
  const key = hashFiles(createHash('sha256'), [join(ROOT, 'bin', 'app.ts'), join(ROOT, String(context.config))])
    .update(JSON.stringify([synthInputs(), env, TSX_VERSION]))
    .digest('hex');
  const run = (): { status: number | null; stderr: string; files: Record<string, string> } => {
    const child = spawnSync(process.execPath, [...TSX_LOADER, join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...env, CDK_OUTDIR: outdir },
    });
    const files = readdirSync(outdir, { withFileTypes: true }).filter((e) => e.isFile());
    return { status: child.status, stderr: child.stderr, files: Object.fromEntries(files.map((e) => [e.name, readFileSync(join(outdir, e.name), 'utf8')])) };
  };
  const kept = readKept<ReturnType<typeof run>>(APP_KEPT, key, { unusedDays: UNUSED_DAYS });
  if (kept) {
    for (const [name, text] of Object.entries(kept.files)) writeFileSync(join(outdir, name), text);
    return kept;
  }
  const fresh = run();
  if (fresh.status === 0) writeKept(APP_KEPT, key, fresh);
  return fresh;
}

/**
 * The entry's work (lib/cdk-entry.ts) on an App in this process, with the context `runApp` gives a child: the
 * refusals, which end before any synth, and the vault config's synths (without the CDK's template validation: it took
 * half of a run's CPU, 8 of 17 s, and test/lib/app.test.ts validates that config's templates). A child per run was node, tsx and
 * aws-cdk-lib loaded again (about 4 CPU-s each); the example's run above keeps the real entry's exit code and output
 * of a whole synth in a child.
 */
function runEntry(context: Record<string, unknown>, outdir: string): { status: number; stderr: string } {
  let stderr = '';
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const status = runCdkEntry(app, { write: (text: string) => (stderr += text) });
  return { status, stderr };
}

// The example's synth runs the app in a child (whole stacks): seconds alone, but past
// the 60 s default on a machine whose cores are busy with the rest of the suite or another one (seen under load).
describe('bin/app.ts', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const outdir = () => {
    const d = mkdtempSync(join(tmpdir(), 'redis-dr-app-'));
    dirs.push(d);
    return d;
  };
  afterEach(() =>
    dirs.splice(0).forEach((d) => {
      rmSync(d, { recursive: true, force: true });
    }),
  );

  it('synthesizes every capability from the example config without AWS credentials, and says what it built', () => {
    const out = outdir();
    const result = runApp({ config: 'config/example.json' }, out);
    expect(result.status).toBe(0);
    expect(existsSync(join(out, 'RedisDr-example-Primary.template.json'))).toBe(true);
    expect(existsSync(join(out, 'RedisDr-example-Dr.template.json'))).toBe(true);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('redis-dr example: EXAMPLE config ("example": true): synthesized for learning only; cdk deploy of these stacks fails by design');
    expect(lines[1]).toBe('redis-dr example: 2 plan(s): sessions (export, drills: both, probe), queues (snapshots only)');
    // Drills in both regions: one state machine per region; the DR region's verify state machine beside it.
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}RedisDr-example-Primary \(eu-west-1\): \d+ schedules, 1 state machine\(s\), \d+ functions, \d+ alarms, 2 buckets$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}RedisDr-example-Dr \(eu-central-1\): \d+ schedules, 2 state machine\(s\), \d+ functions, \d+ alarms, 2 buckets$/),
    );
    expect(lines).toContain('  cdk-nag: clean (AwsSolutions, RedisDr)');
    // The warnings are printed once, by cdk, with their ids (lib/annotations.ts); the summary names the ids only.
    // The verifier's reserved concurrency and the quota it needs (issue 53 item 5), before the warnings.
    expect(lines[7]).toMatch(/^ {2}verify-rdb \(eu-central-1\): reserves 10 concurrent executions \(lambda\.verifyConcurrency\)/);
    const at = lines.findIndex((l) => / warning\(s\), printed by cdk below/.test(l));
    expect(at).toBe(8);
    expect(lines[at]).toBe(
      '  5 warning(s), printed by cdk below, each once with the id that acknowledges it: redis-dr:exampleConfig, redis-dr:noCollapseTripwire, redis-dr:placeholderValues, redis-dr:securityGroupSelfIngress',
    );
    expect(result.stderr).not.toMatch(/no keyspace-collapse tripwire|replace the placeholder values|cannot be inspected at synth/);
    // After the deploy: confirm the email subscriptions of both topics, with the command listing the pending ones per region.
    expect(lines[at + 1]).toMatch(
      /^ {2}after deploying, confirm the 1 email subscription\(s\) of both alert topics \(primary eu-west-1, DR eu-central-1\): .*deletes a subscription still pending after 48 hours/,
    );
    expect(lines.slice(at + 2, -1)).toEqual([
      expect.stringMatching(/^ {4}aws sns list-subscriptions-by-topic --region eu-west-1 .*--stack-name RedisDr-example-Primary .*PendingConfirmation/),
      expect.stringMatching(/^ {4}aws sns list-subscriptions-by-topic --region eu-central-1 .*--stack-name RedisDr-example-Dr .*PendingConfirmation/),
    ]);
    // What each VPC must provide that synth cannot see: the route, one line per region with VPC functions.
    expect(lines).toContain(
      '  network (eu-west-1; probe, drill verification): the subnets need a NAT route to Secrets Manager, or set network.secretsManagerEndpoint',
    );
    // Last, the monthly estimate over the templates just written (docs/cost.md), naming the command with its items.
    expect(lines.at(-1)).toMatch(
      /^ {2}monthly cost estimate: about \$\d+\.\d\d \(fixed floor \$.*\): redis-dr cost -c config\/example\.json for the items and assumptions$/,
    );
    expect(lines).toHaveLength(13);
    // No warning in the assembly but redis-dr's own annotations, the summary's warnings (lib/annotations.ts): none of
    // the CDK's (e.g. imported subnets without route tables). (The CLI prints each stack's warnings from its metadata file.)
    const ids: string[] = [];
    for (const stack of ['RedisDr-example-Primary', 'RedisDr-example-Dr']) {
      const metadata = JSON.parse(readFileSync(join(out, `${stack}.metadata.json`), 'utf8')) as Record<string, { type: string; data: unknown }[]>;
      const warnings = Object.values(metadata)
        .flat()
        .filter((m) => m.type === 'aws:cdk:warning' || m.type === 'aws:cdk:error')
        .map((m) => String(m.data));
      expect(
        warnings.filter((w) => !/ \[ack: redis-dr:[A-Za-z]+\]$/.test(w)),
        stack,
      ).toEqual([]);
      ids.push(...warnings.map((w) => / \[ack: (redis-dr:[A-Za-z]+)\]$/.exec(w)![1]!));
    }
    expect([...new Set(ids)].sort()).toEqual(
      [WARNING_IDS.exampleConfig, WARNING_IDS.noCollapseTripwire, WARNING_IDS.placeholderValues, WARNING_IDS.securityGroupSelfIngress].sort(),
    );
  });

  it('with a vault config, synthesizes the workload stacks only (never the vault: another account deploys it) and says which command deploys what', () => {
    const out = outdir();
    const result = runEntry({ config: 'test/fixtures/config/vault.json' }, out);
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('placeholder');
    const lines = result.stderr.trim().split('\n');
    expect(
      lines
        .filter((l) => /^ {2}RedisDr-vaulted-(Primary|Dr|Vault) \(/.test(l))
        .map((l) => l.split(' ')[2])
        .sort(),
    ).toEqual(['RedisDr-vaulted-Dr', 'RedisDr-vaulted-Primary']);
    expect(existsSync(join(out, 'RedisDr-vaulted-Vault.template.json'))).toBe(false);
    expect(existsSync(join(out, 'RedisDr-vaulted-Primary.template.json'))).toBe(true);
    expect(lines).toContain(
      '  vault: this synth holds RedisDr-vaulted-Dr and RedisDr-vaulted-Primary (account 111111111111); RedisDr-vaulted-Vault (account 222222222222) is synthesized apart with -c stacks=vault:',
    );
    expect(lines).toContain(
      "    2. then the workload stacks, with account 111111111111's credentials: npx cdk deploy --all -c config=test/fixtures/config/vault.json --profile <workload profile>",
    );
    expect(result.stderr).toContain('cdk-nag: clean');
  });

  it("with -c stacks=vault, synthesizes the vault stack alone and says it deploys first with the vault account's own credentials", () => {
    const out = outdir();
    const result = runEntry({ config: 'test/fixtures/config/vault.json', stacks: 'vault' }, out);
    expect(result.status).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines.filter((l) => /^ {2}RedisDr-vaulted-(Primary|Dr|Vault) \(/.test(l)).map((l) => l.split(' ')[2])).toEqual(['RedisDr-vaulted-Vault']);
    expect(existsSync(join(out, 'RedisDr-vaulted-Vault.template.json'))).toBe(true);
    expect(existsSync(join(out, 'RedisDr-vaulted-Primary.template.json'))).toBe(false);
    expect(existsSync(join(out, 'RedisDr-vaulted-Dr.template.json'))).toBe(false);
    expect(lines).toContain(
      "    1. vault first, with account 222222222222's own credentials (its CDK bootstrap trusts no workload account: no --trust 111111111111): " +
        'npx cdk deploy --all -c config=test/fixtures/config/vault.json -c stacks=vault --profile <vault profile>',
    );
    // The vault's own topic only: the workload's topics come with the workload synth.
    expect(lines.filter((l) => l.startsWith('    aws sns list-subscriptions-by-topic')).map((l) => /--region (\S+)/.exec(l)?.[1])).toEqual(['eu-central-1']);
    expect(result.stderr).toContain('cdk-nag: clean');
  });

  it('refuses -c stacks=vault for a config without a vault, and an unknown stacks value, naming both commands', () => {
    const noVault = runEntry({ config: 'test/fixtures/config/basic.json', stacks: 'vault' }, outdir());
    expect(noVault.status).toBe(1);
    expect(noVault.stderr).toContain('vault is required for the vault stack, got none');
    const noDrillAccount = runEntry({ config: 'test/fixtures/config/vault.json', stacks: 'drill' }, outdir());
    expect(noDrillAccount.status).toBe(1);
    expect(noDrillAccount.stderr).toContain('drillAccount is required for the drill account stack, got none');
    const unknown = runEntry({ config: 'test/fixtures/config/vault.json', stacks: 'all' }, outdir());
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      'context stacks must be "vault", "drill", "org", "org-pipeline", "org-vault" or unset, got "all". Workload stacks (Primary, DR): npx cdk deploy --all -c config=<file>; ' +
        "the vault account's stack: npx cdk deploy --all -c config=<file> -c stacks=vault; " +
        "the drill account's stack: npx cdk deploy --all -c config=<file> -c stacks=drill; " +
        "an organization's StackSets: npx cdk deploy --all -c config=<org config> -c stacks=org; " +
        'its CDK pipeline instead: npx cdk deploy --all -c config=<org config> -c stacks=org-pipeline; ' +
        "the organization's vault (with the vault account's credentials): npx cdk deploy --all -c config=<org config> -c stacks=org-vault",
    );
  });

  it('exits 1 and lists every problem of an invalid config, each with its path', () => {
    const out = outdir();
    const result = runEntry({ config: 'test/fixtures/config/several-problems.json' }, out);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const path of ['alerts.emails[0]', 'plans[0].retention.daily', 'dr.region', 'plans[1].name', 'plans[1].targets', 'plans[0].rpoMinutes']) {
      expect(result.stderr).toContain(path);
    }
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });

  it('refuses to synthesize without a config: no silent fallback to the example (a bare -c config/prod.json is dropped by the CDK CLI)', () => {
    const out = outdir();
    const result = runEntry({}, out);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no deployment config given (context "config" is not set). Type: npx cdk synth -c config=config/<env>.json');
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });

  it('the real CDK CLI with a bare -c config/prod.json fails with the command to type (it used to synthesize the example, exit 0)', () => {
    const out = outdir();
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '-q', '-c', 'config/prod.json', '-o', out, '--no-notices'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Context argument is not an assignment (key=value): config/prod.json');
    expect(result.stderr).toContain('no deployment config given (context "config" is not set). Type: npx cdk synth -c config=config/<env>.json');
    expect(existsSync(join(out, 'RedisDr-example-Primary.template.json'))).toBe(false);
  });

  it('names the exact command when the config path was given under another context key', () => {
    const result = runEntry({ 'config/prod.json': 'x', config: 'config/example.json' }, outdir());
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'context "config/prod.json" is not read: the config is given as -c config=<path>. Type: npx cdk synth -c config=config/prod.json',
    );
  });

  it('refuses a config whose placeholders are not marked as an example, naming each field', () => {
    const dir = outdir();
    const file = join(dir, 'prod.json');
    const raw = JSON.parse(readFileSync(join(ROOT, 'config', 'example.json'), 'utf8')) as Record<string, unknown>;
    delete raw.example;
    raw.$schema = undefined;
    writeFileSync(file, JSON.stringify(raw));
    const result = runEntry({ config: file }, join(dir, 'out'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${file}: network.vpcId is a placeholder, got "vpc-00000000000000000": replace it with your own value (or add "example": true to synthesize this config for learning only; it can never be deployed)`,
    );
    expect(result.stderr).toContain('plans[0].probe.authSecretArn is a placeholder');
  });

  it('names the file when the config does not exist', () => {
    const result = runEntry({ config: 'config/nope.json' }, outdir());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config/nope.json');
  });
});
