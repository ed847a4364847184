/**
 * The dataset of the serve benchmarks that drive `redis-benchmark -t get`
 * (run.ts, indexed-get.ts): `keys` strings of about 100 bytes under
 * redis-benchmark's `-r` key form, written by a real redis-server 7.0 and
 * SAVEd. One definition, so both benchmarks measure the same file.
 */
import { copyFileSync } from 'node:fs';
import { startRedisServer } from '../../test/support/redis-server.js';

/** redis-benchmark's key form for -r: `key:` and a 12-digit zero-padded number. */
export const keyName = (i: number): string => `key:${String(i).padStart(12, '0')}`;

/** Fills a fresh redis-server with the dataset, SAVEs it, copies its RDB file to `file` and stops the server. */
export async function writeGetDataset(keys: number, file: string): Promise<void> {
  const writer = await startRedisServer();
  try {
    const c = writer.client();
    for (let i = 0; i < keys; i += 10_000) {
      const p = c.pipeline();
      for (let j = i; j < Math.min(keys, i + 10_000); j++) p.set(keyName(j), `value-${j}-${'x'.repeat(80)}`);
      await p.exec();
    }
    await c.save();
    copyFileSync(writer.rdbPath, file);
  } finally {
    await writer.stop();
  }
}
