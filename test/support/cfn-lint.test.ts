import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cfnLint, cfnLintKept } from './cfn-lint.js';

const dir = mkdtempSync(join(tmpdir(), 'redis-dr-cfn-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small template with one bucket of the given properties, written to a file of its own. */
function template(name: string, properties: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: properties } } }, null, 2));
  return file;
}

describe("the run's cfn-lint (test/support/cfn-lint-server.py)", () => {
  it("passes a clean template, and again (its verdict kept), with the command's exit code and no output; fails it once changed", async () => {
    const clean = template('clean', { VersioningConfiguration: { Status: 'Enabled' } });
    expect(await cfnLint([clean])).toEqual({ status: 0, output: '' });
    expect(await cfnLint([clean])).toEqual({ status: 0, output: '' });
    // The verdict is the content's, not the path's: the same file changed is linted anew.
    template('clean', { VersioningConfiguration: { Status: 'Sometimes' } });
    expect(await cfnLint([clean])).toMatchObject({ status: 2, output: expect.stringContaining("E3030 'Sometimes'") });
  }, 300_000);

  it('keeps a verdict across asset hashes: a template that differs from a clean one only in them is not linted again; one whose equal hashes differ, or that differs elsewhere, is', async () => {
    // A bucket of this run's own (the verdicts are the machine's), its tags holding two asset-hash-shaped values.
    const name = `rdr-${randomUUID()}`;
    const tagged = (file: string, a: string, b: string, more: Record<string, unknown> = {}) =>
      template(file, {
        BucketName: name,
        Tags: [
          { Key: 'a', Value: a.repeat(64) },
          { Key: 'b', Value: b.repeat(64) },
        ],
        ...more,
      });
    expect(await cfnLintKept([tagged('hashes-ab', 'a', 'b')])).toEqual({ status: 0, output: '', kept: 0 });
    // A checkout at another path: the same template, other hashes.
    expect(await cfnLintKept([tagged('hashes-cd', 'c', 'd')])).toEqual({ status: 0, output: '', kept: 1 });
    // Which hashes are equal is the template's: two equal where they differed is another template.
    expect(await cfnLintKept([tagged('hashes-cc', 'c', 'c')])).toEqual({ status: 0, output: '', kept: 0 });
    // A change beside the hashes is linted, and its finding printed.
    const changed = await cfnLintKept([tagged('hashes-ef', 'e', 'f', { VersioningConfiguration: { Status: 'Sometimes' } })]);
    expect(changed).toMatchObject({ status: 2, kept: 0, output: expect.stringContaining("E3030 'Sometimes'") });
  }, 300_000);

  it("fails a template with a finding as the command does: exit 2 (an error), the rule and the place in cfn-lint's lines; every time", async () => {
    const clean = template('clean-beside', { VersioningConfiguration: { Status: 'Enabled' } });
    const bad = template('bad', { VersioningConfiguration: { Status: 'Sometimes' } });
    for (let i = 0; i < 2; i++) {
      const result = await cfnLint([clean, bad]);
      expect(result.status).toBe(2);
      expect(result.output).toMatch(new RegExp(`^E3030 'Sometimes' is not one of \\[.*\\]\\n${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+\\n`, 'm'));
      expect(result.output).not.toContain(clean);
    }
  }, 300_000);
});
