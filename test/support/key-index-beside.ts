/**
 * The key index `backup` writes beside a verified backup (`<file>.keys`),
 * written here beside a file of the test's own from its bytes (as `backup`
 * builds it from the bytes it writes), for the tests of what serve and
 * history do with a file that has one.
 */
import { readFileSync } from 'node:fs';
import type { BackupStore } from '../../lambdas/adapters/storage/backup-store.js';
import { INDEX_SUFFIX } from '../../lambdas/domain/serve/index-file.js';
import { type IndexSource, indexSourceMetadata } from '../../lambdas/domain/serve/index-source.js';
import { encodeKeyIndex } from '../../lambdas/domain/serve/index-write.js';
import { KeyIndexBuilder } from '../../lambdas/domain/serve/key-index.js';
import { indexRdbPass } from '../../lambdas/jobs/keys/rdb-index-pass.js';
import { BackupKeyIndex } from '../../lambdas/jobs/self-managed/backup-key-index.js';

/**
 * Writes `name`'s index from `file`'s bytes beside `name` in `store` (`file`:
 * `name` itself unless told; `source`: an S3 object's ETag as its put gave
 * it, which the index names); `backup`'s line for it.
 */
export async function writeIndexBeside(store: BackupStore, name: string, file?: string, source?: IndexSource): Promise<string> {
  const index = new BackupKeyIndex(store.location(name));
  index.pushVerified(readFileSync(file ?? store.location(name)));
  return index.write(store, name, source);
}

/**
 * Writes `name`'s index from `rdb` beside it in `store` (S3, bound to `etag`) as an index writer before indexes kept
 * what their copy holds beside its keys (its hash templates, function libraries, module AUX data, key metadata): the
 * same keys, none of that in its header. The index's bytes.
 */
export async function writeBareIndexBeside(store: BackupStore, name: string, rdb: Uint8Array, etag: string): Promise<Buffer> {
  const builder = new KeyIndexBuilder();
  const pass = await indexPassOf(name, rdb, builder);
  const bytes = encodeKeyIndex(builder.finish(pass.version), { bytes: pass.bytes, trailer: pass.trailer }, false);
  await store.putRecord(`${name}${INDEX_SUFFIX}`, bytes, indexSourceMetadata({ etag }));
  return bytes;
}

/** serve's one verifying and indexing pass (jobs/keys/rdb-index-pass.ts indexRdbPass) over `bytes`, named `location`, into `builder`. */
export function indexPassOf(location: string, bytes: Uint8Array, builder: KeyIndexBuilder): ReturnType<typeof indexRdbPass> {
  return indexRdbPass(
    {
      location,
      stream: async function* () {
        yield bytes;
      },
    },
    builder,
    0,
  );
}
