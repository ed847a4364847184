import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { indexRdbPass } from '../../../../lambdas/jobs/keys/rdb-index-pass.js';

const FIXTURE = join(__dirname, '..', '..', '..', 'fixtures', 'rdb', 'encodings.rdb');

describe('indexRdbPass', () => {
  const saved = process.env.TMPDIR;
  let dir: string | undefined;
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves nothing in the temporary folder after a pass that never spilled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-index-pass-'));
    // os.tmpdir() reads TMPDIR on every call: the spill folder, if one were made, would be made in `dir`.
    process.env.TMPDIR = dir;
    const bytes = readFileSync(FIXTURE);
    const builder = new KeyIndexBuilder();
    const result = await indexRdbPass(
      {
        location: FIXTURE,
        stream: async function* () {
          yield bytes;
        },
      },
      builder,
      0,
    );
    expect(result.bytes).toBe(bytes.length);
    expect(readdirSync(dir)).toEqual([]);
  });
});
