import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addRedisDrStacks } from '../../lib/app.js';
import { localApp } from '../../lib/local-app.js';
import { basicConfig, synthesize, synthKey } from './synth.js';
import { keptTemplates } from './synth-kept.js';

const dir = mkdtempSync(join(tmpdir(), 'redis-dr-synth-kept-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synths kept between runs (test/support/synth-kept.ts)', () => {
  it('the templates kept for a config are those a fresh synth of it writes, byte for byte, under the same names', () => {
    const config = basicConfig();
    // Built here, read from this run's synths or from those kept: either way a synth of it is kept afterwards.
    const shared = synthesize(config);
    const kept = keptTemplates(synthKey(config, false));
    expect(kept).toBeDefined();
    // A synth of its own, as test/support/synth.ts builds one, in a folder of its own.
    const app = localApp(dir, { cloudFormationValidation: false });
    const stacks = addRedisDrStacks(app, config);
    const assembly = app.synth();
    const fresh = [stacks.primary, stacks.dr].map((s) => assembly.getStackByName(s.stackName).templateFile);
    expect(kept!.names).toEqual(fresh);
    expect(kept!.texts).toEqual(fresh.map((f) => readFileSync(join(dir, f), 'utf8')));
    expect(shared.templateFiles.map((f) => readFileSync(f, 'utf8'))).toEqual(kept!.texts);
  });
});
