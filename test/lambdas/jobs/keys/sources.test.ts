import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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

describe('a local --from-rdb file in the compressed envelope, read into one buffer again and again', () => {
  it('comes out as the RDB it holds, byte for byte, each read of the file overwriting the last; its stored bytes read counted for progress', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-sources-'));
    try {
      // Random and repeated bytes (stored and compressed blocks): several whole 1 MiB reads of the compressed file.
      const plain = Buffer.concat([randomBytes(3_500_000), Buffer.alloc(1_750_000, 'redis-dr ')]);
      const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc'], { input: plain, maxBuffer: 1 << 26 });
      const path = join(dir, 'enveloped.rdb');
      writeFileSync(path, Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]));
      const { files } = await resolveRdbSources({ fromRdb: [path] });
      const stored = statSync(path).size;
      expect(files[0]!.size).toBe(stored);
      for (let read = 0; read < 2; read++) {
        const out: Uint8Array[] = [];
        let decoded = 0;
        for await (const chunk of files[0]!.open()) {
          out.push(chunk);
          decoded += chunk.length;
          // A progress line's count: the file's bytes as stored read so far, never past its size, behind the RDB bytes out.
          expect(files[0]!.storedRead!()).toBeLessThanOrEqual(stored);
        }
        expect(Buffer.concat(out).equals(plain)).toBe(true);
        expect([files[0]!.storedRead!(), decoded]).toEqual([stored, plain.length]);
        expect(decoded).toBeGreaterThan(stored);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('local --from-rdb files: every read after the first finds the same file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function source(bytes?: Uint8Array): Promise<{ path: string; open: () => AsyncIterable<Uint8Array>; openTransient: () => AsyncIterable<Uint8Array> }> {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-sources-'));
    const path = join(dir, 'dump.rdb');
    if (bytes) writeFileSync(path, bytes);
    else copyFileSync(FIXTURE, path);
    // Modified a minute ago: a write in the test moves the time whatever the clock's granularity (a few ms).
    utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const { files } = await resolveRdbSources({ fromRdb: [path] });
    return { path, open: files[0]!.open, openTransient: files[0]!.openTransient! };
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

  it("refuses a file rewritten in place while a read goes on, at the read's end, each way a file is read (a review converted a mix of two versions)", async () => {
    const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc'], { input: readFileSync(FIXTURE), maxBuffer: 1 << 26 });
    const enveloped = Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]);
    for (const [way, bytes] of [
      ['read', undefined],
      ['transient', undefined],
      ['enveloped', enveloped],
    ] as const) {
      const { path, open, openTransient } = await source(bytes);
      let chunks = 0;
      const reading = (async () => {
        for await (const _ of way === 'transient' ? openTransient() : open()) {
          // The same bytes written over the first ones once the read began: only the file's modification time tells.
          if (chunks++ === 0) writeFileSync(path, readFileSync(path).subarray(0, 16), { flag: 'r+' });
        }
      })();
      await expect(reading, way).rejects.toMatchObject({
        name: 'FileChangedError',
        message: expect.stringMatching(/^the file was rewritten while it was read \(size \d+ → \d+, modified .* → .*\); run again once nothing writes it/),
      });
      expect(chunks, way).toBeGreaterThan(0);
      rmSync(dir!, { recursive: true, force: true });
    }
  });

  it('a read opened, then another file renamed over the path before its first chunk: every way reads the file opened, the one whose identity was held', async () => {
    for (const way of ['read', 'transient'] as const) {
      const { path, open, openTransient } = await source();
      for await (const _ of open()); // the first read: the file's identity taken
      const reading = way === 'transient' ? openTransient() : open();
      writeFileSync(`${path}.new`, Buffer.alloc(statSync(FIXTURE).size, 0x61));
      renameSync(`${path}.new`, path);
      const got: Buffer[] = [];
      for await (const chunk of reading) got.push(Buffer.from(chunk));
      // The transient read opened the path again at its first chunk: it read the file renamed over it, no error.
      expect(Buffer.concat(got).equals(readFileSync(FIXTURE)), way).toBe(true);
      rmSync(dir!, { recursive: true, force: true });
    }
  });

  it('reads whole the file it opened when another is renamed over it meanwhile (a BGSAVE): that is no change to the file read', async () => {
    const { path, openTransient } = await source();
    let bytes = 0;
    for await (const chunk of openTransient()) {
      if (bytes === 0) {
        copyFileSync(FIXTURE, `${path}.tmp`);
        renameSync(`${path}.tmp`, path);
      }
      bytes += chunk.length;
    }
    expect(bytes).toBe(statSync(FIXTURE).size);
  });
});
