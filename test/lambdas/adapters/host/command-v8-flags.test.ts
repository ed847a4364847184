import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandV8Flags } from '../../../../lambdas/adapters/host/command-v8-flags.js';

/** What a fresh Node prints to stderr when `flag` is set at run time (V8 writes "unrecognized flag" for one it lacks). */
const stderrSetting = (flag: string): string =>
  spawnSync(process.execPath, ['-e', "require('node:v8').setFlagsFromString(process.argv[1])", '--', flag], { encoding: 'utf8' }).stderr;

describe('the V8 flags a CLI command sets for its own process', () => {
  it('convert-rdb: a smaller cumulative inlining budget; every other command (verify-rdb among them): none', () => {
    expect(commandV8Flags('convert-rdb')).toEqual(['--max-inlined-bytecode-size-cumulative=230']);
    for (const command of ['verify-rdb', 'migrate', 'compare', 'backup', 'serve', '--help', undefined, 'toString', '__proto__'])
      expect(commandV8Flags(command)).toEqual([]);
  });

  it("this Node's V8 takes each of them without a word (a flag it lacked would print to the command's stderr)", () => {
    for (const flag of commandV8Flags('convert-rdb')) expect(stderrSetting(flag)).toBe('');
    // The check can fail: a flag V8 does not have is named on stderr.
    expect(stderrSetting('--max-inlined-bytecode-size-cumulativ=230')).toMatch(/unrecognized flag/);
  });
});
