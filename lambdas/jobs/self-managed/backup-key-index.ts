/**
 * The key index written beside a backup once it is proven stored
 * (`<file>.keys`, domain/serve/index-file.ts), so `serve` and `history` open
 * the backup by reading its index instead of the whole file. Built from the
 * bytes as the `write` step streams them (the stored file is never read
 * again for it: the `read-back` step proved the stored bytes are those, by
 * length and SHA-256, and the index is tied to them by their CRC-64
 * trailer). Put like every record (read back), and removed with the backup
 * by retention.
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { INDEX_SUFFIX, indexableTrailer } from '../../domain/serve/index-file.js';
import { encodeKeyIndex } from '../../domain/serve/index-write.js';
import { besidesKeysOfReport } from '../../domain/serve/besides-keys.js';
import { INDEX_SOURCE_META, type IndexSource, indexSourceMetadata } from '../../domain/serve/index-source.js';
import { KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import { type RdbVerifier, type RdbVerifierOptions, rdbVerifierParser, verifierOver } from '../../domain/rdb/verifier.js';
import { countsUnlike, VerifiedKeys } from '../keys/rdb-index-pass.js';

/**
 * A backup's key index in the making, taken from the `write` step's own
 * verification ({@link verifier}: the verifier reads through the index's key
 * reader, one parse); told every byte written ({@link push}), put beside the
 * backup once it is proven stored ({@link write}).
 */
export class BackupKeyIndex {
  private readonly builder = new KeyIndexBuilder();
  private readonly keys: VerifiedKeys;

  constructor(private readonly location: string) {
    this.keys = new VerifiedKeys(location, this.builder);
  }

  /** The write step's verifier (`options` as without an index), its keys placed here as it parses. */
  verifier(options: RdbVerifierOptions): RdbVerifier {
    const v = this.keys.verifying((sink) => rdbVerifierParser(options, sink), options.resumeFrom);
    return verifierOver(v.parser, v.push, v.end);
  }

  /** The index's own verifier, for bytes no write step verified ({@link pushVerified}). */
  private own: RdbVerifier | undefined;

  /**
   * The next bytes of a file that no write step verifies here (a file
   * indexed after the fact: the benches, the tests' files): the index's own
   * verifier reads them (the duplicate-key check exact), and its verdict is
   * the one {@link write} requires.
   */
  pushVerified(chunk: Uint8Array): void {
    this.own ??= this.verifier({ keyDigestSpill: () => tempKeyDigestSpill() });
    this.push(chunk);
    this.own.push(chunk);
  }

  /** The next bytes of the backup as written (not decoded), in order. */
  push(chunk: Uint8Array): void {
    this.keys.seen(chunk);
  }

  /**
   * Writes `<file>.keys` beside the stored `file` (fed whole); what was done,
   * for the step's detail. `source`: the stored object's version as its
   * read-back found it (an S3 destination's ETag), put as the index's
   * metadata, so `serve` uses the index only while the backup is that very
   * object (docs/serve.md); a folder has none (a local file is verified
   * whole before its index is used).
   * @throws UsageError when its verification did not end or did not pass the bytes (the write step stops before then), Error when its keys are not those the verifier counted
   */
  async write(store: BackupStore, file: string, source?: IndexSource): Promise<string> {
    // Valkey's compressed envelope has no offsets to read values at: no index, the backup stands.
    if (this.keys.envelope) return `no index: ${file} is in Valkey's compressed envelope (served by a whole read)`;
    this.own?.end();
    const pass = this.keys.finish();
    if (!indexableTrailer(pass.trailer)) return `no index: ${file} carries no CRC-64 (rdbchecksum no) to tie one to; serve reads it whole`;
    const index = this.builder.finish(pass.version, pass.templates);
    const unlike = countsUnlike(index, pass.report);
    if (unlike) throw new Error(`${this.location}: no index: ${unlike}`);
    const bytes = encodeKeyIndex(index, { bytes: pass.bytes, trailer: pass.trailer, besidesKeys: besidesKeysOfReport(pass.report) }, pass.valkey);
    const named = indexSourceMetadata(source);
    await store.putRecord(`${file}${INDEX_SUFFIX}`, bytes, Object.keys(named).length > 0 ? named : undefined);
    return `${file}${INDEX_SUFFIX}: ${index.keys} keys, ${bytes.length} bytes, built from the bytes written (the file not read again)${named[INDEX_SOURCE_META.etag] ? `, bound to ETag ${named[INDEX_SOURCE_META.etag]}` : ''}, read back`;
  }

  /** For messages. */
  toString(): string {
    return this.location;
  }
}
