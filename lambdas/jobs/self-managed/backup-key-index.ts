/**
 * The key index written beside a backup once it is proven stored
 * (`<file>.keys`, domain/serve/index-file.ts): one pass over the stored
 * bytes, judged again by the verifier, so `serve` and `history` open the
 * backup by reading its index instead of the whole file. Put like every
 * record (read back), and removed with the backup by retention.
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { encodeKeyIndex, INDEX_SUFFIX, indexableTrailer } from '../../domain/serve/index-file.js';
import { KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { indexRdbPass } from '../keys/rdb-index-pass.js';
import { UsageError } from '../kernel/usage-error.js';

/** Writes `<file>.keys` beside the stored `file`; what was done, for the step's detail. A stored copy the verifier fails throws. */
export async function writeBackupKeyIndex(store: BackupStore, file: string): Promise<string> {
  const builder = new KeyIndexBuilder();
  const body = await store.read(file);
  let pass: Awaited<ReturnType<typeof indexRdbPass>>;
  try {
    pass = await indexRdbPass({ location: store.location(file), stream: () => body }, builder, 0);
  } catch (err) {
    // Valkey's compressed envelope has no offsets to read values at: no index, the backup stands.
    if (err instanceof UsageError && /compressed envelope/.test(err.message))
      return `no index: ${file} is in Valkey's compressed envelope (served by a whole read)`;
    throw err;
  }
  if (!indexableTrailer(pass.trailer)) return `no index: ${file} carries no CRC-64 (rdbchecksum no) to tie one to; serve reads it whole`;
  const index = builder.finish(pass.version);
  const bytes = encodeKeyIndex(index, { bytes: pass.bytes, trailer: pass.trailer }, pass.valkey);
  await store.putRecord(`${file}${INDEX_SUFFIX}`, bytes);
  return `${file}${INDEX_SUFFIX}: ${index.keys} keys, ${bytes.length} bytes, read back`;
}
