/**
 * What a Redis 8.6 or 8.8 stream (RDB types 26 and 27) holds beyond a type 21, read from a DUMP payload
 * (format/value.ts streamTail), in the layouts the file parser checks (format/parse-streams.ts): a type 27's NACKed
 * entries after each group's consumers, and both types' idempotent-producer (IDMP) data after the groups.
 *
 * A Redis 8.6 server DUMPs every stream as type 26 (checked on a real 8.6.3: `XADD s * a 1` then `DUMP s` starts with
 * 0x1a), so `compare`, `migrate --verify` and `serve` meet it for any stream such a server or file holds.
 *
 * What the fingerprint keeps of them (format/value.ts canonicalTail): a NACKed entry stays in its group's PEL with no
 * consumer (as the server holds it, XNACK having released it); the IDMP data (the stream's IDMP duration and max
 * entries, each producer's idempotent ids, the totals of ids added and duplicates found) is read, checked and left out:
 * its ids expire after the stream's IDMP duration (100 s by default), which a backup compared with its server later
 * would call a difference, and an older engine's copy has none (written with `--lossy stream-idmp`, or with nothing to
 * lose: docs/engines.md). docs/cli.md (compare) says so.
 */
import { idmpSettingsProblem, STREAM_WITH_IDMP } from './key-meta.js';
import { STREAM_WITH_NACKS } from './opcodes.js';
import { fail, type ValueCursor } from './value-cursor.js';

/** A PEL entry as streamTail builds it: its consumer set once a consumer's owned list names it (none: empty). */
interface Owned {
  consumer: Buffer;
}

/**
 * A type 27 group's NACKed entries, after its consumers (a no-op for other types): each a pending entry of the group's
 * PEL that no consumer owns, listed once (Redis refuses the others: parse-streams.ts S_NACK's checks).
 * `pel` maps an entry id's text (`ms-seq`) to its PEL entry.
 */
export function readNackedEntries(c: ValueCursor, type: number, pel: ReadonlyMap<string, Owned>): void {
  if (type < STREAM_WITH_NACKS) return;
  const seen = new Set<string>();
  for (let n = c.length(); n > 0; n--) {
    const [ms, seq] = c.rawStreamId();
    const id = `${ms}-${seq}`;
    const e = pel.get(id);
    if (!e) fail(`a NACKed entry ${id} not found in the group's PEL`);
    if (seen.has(id)) fail(`a NACKed entry ${id} listed twice`);
    if (e.consumer.length > 0) fail(`a NACKed entry ${id} that consumer ${e.consumer.toString('latin1')} owns`);
    seen.add(id);
  }
}

/**
 * A type 26 or 27 stream's IDMP data, after its groups (a no-op for other types), read and checked, not kept (see the
 * module comment): its duration and max entries (in Redis 8.6's ranges), each producer's id with its idempotent ids and
 * the stream id each was added as, then the totals of ids added and duplicates detected.
 */
export function skipIdmpData(c: ValueCursor, type: number): void {
  if (type < STREAM_WITH_IDMP) return;
  const problem = idmpSettingsProblem(Number(c.bigLength()), Number(c.bigLength()));
  if (problem !== null) fail(problem);
  for (let producers = c.length(); producers > 0; producers--) {
    c.string(); // producer id
    for (let ids = c.length(); ids > 0; ids--) {
      c.string(); // idempotent id
      c.bigLength();
      c.bigLength(); // the stream id it was added as
    }
  }
  c.bigLength(); // ids added
  c.bigLength(); // duplicates detected
}
