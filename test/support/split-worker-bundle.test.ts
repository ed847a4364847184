import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { SPLIT_WORKER_FILE } from '../../lambdas/adapters/host/split-worker-start.js';
import { stringsRdb } from './rdb-strings.js';
import { bundledWorkerPart } from './split-worker.js';

const SOURCE = join(__dirname, '..', '..', 'lambdas', 'adapters', 'host', 'rdb-split-worker.ts');

describe("the test run's split worker (test/support/split-worker-bundle.ts)", () => {
  it('is the bundle of this run, not the TypeScript file through tsx (the adapter read the global before any test file loaded it)', () => {
    const bundle = inject('splitWorkerBundle');
    expect(bundle).toMatch(/rdb-split-worker\.cjs$/);
    expect(SPLIT_WORKER_FILE).toBe(bundle);
  });

  it('hands back the same part as the worker started from the TypeScript source through tsx (the route of a run from source)', async () => {
    const bytes = new Uint8Array(stringsRdb(2_000, 3));
    const options = { requireChecksum: true, pieceBytes: 65_536 };
    const fromBundle = await bundledWorkerPart(SPLIT_WORKER_FILE, bytes, options);
    const fromSource = await bundledWorkerPart(SOURCE, bytes, options);
    expect(fromBundle).toMatchObject({ type: 'done', segment: { total: bytes.length, checksum: 'absent' } });
    if (fromBundle.type === 'done') expect(fromBundle.segment.keys).toBeGreaterThan(900);
    expect(fromSource).toEqual(fromBundle);
  });
});
