/**
 * The key index `backup` writes beside a verified backup (`<file>.keys`),
 * written here beside a file of the test's own from its bytes (as `backup`
 * builds it from the bytes it writes), for the tests of what serve and
 * history do with a file that has one.
 */
import { readFileSync } from 'node:fs';
import type { BackupStore } from '../../lambdas/adapters/storage/backup-store.js';
import type { IndexSource } from '../../lambdas/domain/serve/index-source.js';
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
