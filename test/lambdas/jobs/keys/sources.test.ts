import { copyFileSync, mkdtempSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRdbSources } from '../../../../lambdas/jobs/keys/sources.js';

const FIXTURE = join(__dirname, '..', '..', '..', 'fixtures', 'rdb', 'encodings.rdb');

async function readAll(open: () => AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of open()) bytes += chunk.length;
  return bytes;
}

describe('local --from-rdb files: every read after the first finds the same file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function source(): Promise<{ path: string; open: () => AsyncIterable<Uint8Array> }> {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-sources-'));
    const path = join(dir, 'dump.rdb');
    copyFileSync(FIXTURE, path);
    const { files } = await resolveRdbSources({ fromRdb: [path] });
    return { path, open: files[0]!.open };
  }

  it('reads an unchanged file as often as asked', async () => {
    const { open } = await source();
    const first = await readAll(open);
    expect(first).toBeGreaterThan(0);
    expect(await readAll(open)).toBe(first);
    expect(await readAll(open)).toBe(first);
  });

  it('refuses a file replaced since the first read, though its bytes are the same (block CRCs cannot tell a forged file)', async () => {
    const { path, open } = await source();
    await readAll(open);
    // A BGSAVE's way: a new file renamed over the old one.
    copyFileSync(FIXTURE, `${path}.tmp`);
    renameSync(`${path}.tmp`, path);
    await expect(readAll(open)).rejects.toMatchObject({
      name: 'FileChangedError',
      message: expect.stringMatching(/^the file was replaced since the first read/),
    });
  });

  it('refuses a file rewritten in place since the first read', async () => {
    const { path, open } = await source();
    await readAll(open);
    utimesSync(path, new Date(), new Date(Date.now() + 60_000));
    await expect(readAll(open)).rejects.toMatchObject({
      name: 'FileChangedError',
      message: expect.stringMatching(/^the file was rewritten since the first read/),
    });
  });
});
