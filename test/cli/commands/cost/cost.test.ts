import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr cost`: the estimate over a cloud assembly's templates (a small
 * hand-written assembly here; test/lib/cost.test.ts runs it on the example
 * config's real synth and holds docs/cost.md to it).
 */
const CONFIG = 'test/fixtures/config/basic.json';
const DIR = mkdtempSync(join(tmpdir(), 'redis-dr-cost-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function assembly(name: string, stacks: Record<string, Record<string, unknown>>): string {
  const dir = join(DIR, name);
  mkdirSync(dir);
  const artifacts: Record<string, unknown> = {};
  for (const [stack, resources] of Object.entries(stacks)) {
    writeFileSync(join(dir, `${stack}.template.json`), JSON.stringify({ Resources: resources }));
    artifacts[stack] = {
      type: 'aws:cloudformation:stack',
      environment: 'aws://unknown-account/eu-west-1',
      properties: { templateFile: `${stack}.template.json` },
    };
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '50.0.0', artifacts }));
  return dir;
}

const both = assembly('both', {
  'RedisDr-example-Primary': { A: { Type: 'AWS::CloudWatch::Alarm' }, K: { Type: 'AWS::KMS::Key' } },
  'RedisDr-example-Dr': { B: { Type: 'AWS::CloudWatch::Alarm' } },
});

const cost = (...args: string[]) => runInProcess(['cost', '-c', CONFIG, '--now', '2026-11-01T00:00:00Z', ...args]);

describe('redis-dr cost', () => {
  it('prints the estimate over both workload stacks, with its assumptions, exit 0', async () => {
    const r = await cost('--assembly', both);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Monthly cost estimate \(USD, eu-west-1 and eu-central-1 prices as of 2026-11\): \$\d+\.\d\d = fixed floor \$1\.20 \+ variable/m);
    expect(r.stdout).toMatch(/^ {2}fixed +CloudWatch alarms +2 alarm-months +\$0\.20$/m);
    expect(r.stdout).toMatch(/^Assumptions:$/m);
  });

  it('--json gives the same figures as data; the assumptions follow the options', async () => {
    const r = await cost('--assembly', both, '--json', '--size-gb', '5', '--targets-per-tag-plan', '4');
    const e = JSON.parse(r.stdout) as { fixedUsd: number; assumptions: string[] };
    expect(e.fixedUsd).toBe(1.2);
    expect(e.assumptions).toContain('each recovery point (snapshot or .rdb export) is 5 GB');
    expect(e.assumptions).toContain('a tag-selected plan finds 4 cache(s)');
  });

  it('without a synthesized assembly: exit 2, naming the synth command', async () => {
    const r = await cost('--assembly', join(DIR, 'none'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no synthesized templates in .*none: run npx cdk synth -c config=test\/fixtures\/config\/basic\.json first/);
  });

  it('an assembly without the DR stack: exit 2, naming it (an estimate over half the templates would understate the floor)', async () => {
    const half = assembly('half', { 'RedisDr-example-Primary': { A: { Type: 'AWS::CloudWatch::Alarm' } } });
    const r = await cost('--assembly', half);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds no template of RedisDr-example-Dr: run npx cdk synth/);
  });

  it.each([
    [['--size-gb', '0'], /--size-gb must be a positive number, got "0"/],
    [['--drill-nodes', '1.5'], /--drill-nodes must be a positive whole number, got "1.5"/],
    [['--engine', 'memcached'], /--engine must be valkey or redis, got "memcached"/],
    [['--now', 'tomorrow'], /--now must be an ISO time/],
    // A time without its zone would be read in this machine's zone: refused, never moved by hours.
    [['--now', '2026-11-01T00:00:00'], /--now must be an ISO time like 2026-11-01T00:00:00Z, got "2026-11-01T00:00:00": write unix seconds/],
  ])('refuses %j: exit 2 naming the option and value', async (args, message) => {
    const r = await cost('--assembly', both, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('reads a --now of a date alone as midnight UTC (as report --until does): the same estimate as the time with its zone', async () => {
    const date = await cost('--assembly', both, '--json', '--now', '2026-11-01');
    expect(date.code).toBe(0);
    expect(date.stdout).toBe((await cost('--assembly', both, '--json')).stdout);
  });

  it('needs -c (no default config)', async () => {
    const r = await runInProcess(['cost', '--assembly', both]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-c <config> is required: redis-dr cost -c config\/prod\.json/);
  });
});
