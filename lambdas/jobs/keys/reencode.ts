/**
 * `migrate --from-rdb` into a server that cannot read the file's RDB version
 * or fork: each key goes as the target takes it (lambdas/domain/rdb/write/express.ts, the rules
 * `convert-rdb` writes files by): its bytes as they are where the target
 * reads its type (the payload's footer names the target's version), else
 * re-encoded. The first read (the verification) also builds the keys whose
 * type may not be expressible (hashes with field TTLs, arrays, template
 * hashes (written plain, their field names from the file's templates), newer
 * streams: types 22 and up) and judges them, so a key the
 * target cannot hold exactly refuses the run before any write, named, unless
 * the operator named the loss (`--lossy field-ttl`, `--lossy stream-ids`). Module values go as
 * they are (the target needs the module, as without re-encoding), but into a target with no module
 * loaded at all they are refused the same way before any write (`--lossy module` leaves them out).
 */
import { formatFor, type RdbFormat } from '../../domain/rdb/engines.js';
import { forWriting, rdbRefusal, type TargetRdbSupport } from '../../domain/rdb/format/dump-payload.js';
import { displayKey } from '../../domain/rdb/fingerprint.js';
import { decodeDumpPayload } from '../../domain/rdb/format/value.js';
import type { RdbKey, RdbKeyReader } from '../../domain/rdb/keys.js';
import type { HashTemplates } from '../../domain/rdb/format/hash-template.js';
import { expressValue, readsAsIs, streamTypeFor } from '../../domain/rdb/write/express.js';
import { STREAM_1, STREAM_2, STREAM_3 } from '../../domain/rdb/write/source-forms.js';
import type { LossKind } from '../../domain/rdb/write/losses.js';
import { dumpPayloadFor } from '../../domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../domain/rdb/write/rdb-out.js';
import { transcodeListpacks, transcodes } from '../../domain/rdb/write/transcode.js';

/** Why a set or zset whose listpack holds a member twice is not re-encoded (convert-rdb's and migrate's refusal). */
export function memberTwiceReason(type: number): string {
  return `a member twice in its listpack: Redis loads that listpack as it is, but refuses the plain form the target needs ("Duplicate ${type === 20 ? 'set members' : 'zset fields'} detected")`;
}

/**
 * Of a hash listpack with a field twice, to be re-encoded (convert-rdb's and migrate's refusal): why the target
 * refuses its plain form, or undefined where it holds it as a server loading the file holds the listpack. Redis
 * loads a small plain hash with a field twice as it loads the listpack (only sanitize-dump-payload yes refuses
 * either), but a loader at the default limits (hash-max-listpack-value / hash-max-ziplist-value 64,
 * hash-max-listpack-entries 128: upstream's and ElastiCache's) makes a hash table of one with an element over 64
 * bytes, and refuses the field met twice there (rdbLoadObject: "Duplicate hash fields detected"). More than 128
 * fields: the verifier refuses the input already (7.0 converts such a listpack on load and finds the field twice).
 * Decoded only for such a rare key.
 */
export function hashFieldTwiceReason(payload: Buffer): string | undefined {
  const v = decodeDumpPayload(payload);
  if (v.type !== 'hash') return undefined;
  const long = v.fields.find(([f, x]) => f.length > 64 || x.length > 64);
  if (!long) return undefined;
  const bytes = Math.max(long[0].length, long[1].length);
  return `a field twice in its listpack and an element of ${bytes} bytes (more than 64): Redis 7.0 loads that listpack as it is (only sanitize-dump-payload yes refuses it), but refuses the plain form the target needs, which its loader makes a hash table of at the default hash-max-listpack-value 64 and hash-max-listpack-entries 128 ("Duplicate hash fields detected")`;
}

/** A key's database and name as one string (a set's member): for the rare keys {@link FileReencoding.memberTwice} holds. */
const twiceKey = (db: number, name: Buffer): string => `${db} ${name.toString('latin1')}`;

/** Keys named in a refusal at most. */
const NAMED = 20;

/** How one file's keys are re-encoded for the target, and what the first read found. */
export class FileReencoding {
  /** Keys re-encoded in the second read, and keys written without part of them (per loss named). */
  reencoded = 0;
  readonly lost: Partial<Record<LossKind, number>> = {};
  /** Hash fields left out in the second read because their TTL had passed at {@link now}; hashes all of whose fields had are left out (counted expired). */
  expiredFields = 0;
  /** Redis 8.6/8.8 streams written without their IDMP data in the second read because it was empty (stream-extras.ts idmpIsEmpty): no loss. */
  emptyIdmp = 0;
  /** The run's time (ms): a hash field whose TTL passed before it is gone (express.ts), in both reads alike. */
  readonly now = Date.now();
  /** Per database of the file, the keys the first read refused: how many, and the first {@link NAMED} named. */
  private readonly refused = new Map<number, { count: number; named: string[] }>();
  /**
   * The file's hash templates (Redis 8.10, opcode 242), taken from the first read's parser at its first key judged
   * ({@link check}): a template hash (types 30, 32) is re-encoded as the plain hash it stands for, its field names from
   * them, in both reads (a template is defined once, before the keys referencing it).
   */
  private templates: HashTemplates | undefined;
  /** Hashes (database and name) {@link memberTwice} asked to be built, judged when {@link check} gets them. */
  private readonly hashesTwice = new Set<string>();
  /** The plain form of the key in hand. */
  private readonly out = new RdbOut(64 * 1024);

  private constructor(
    readonly source: RdbFormat,
    readonly target: RdbFormat,
    private readonly lossy: ReadonlySet<LossKind>,
    /** The target reads the file's version: only keys of a type newer than it (a header older than its types) are re-encoded. */
    readonly readsVersion: boolean,
    /** The target has no module loaded (`MODULE LIST` empty): a module value cannot be restored into it. False where that is not known. */
    private readonly noModules: boolean,
  ) {}

  /**
   * The re-encoding a file of this format needs for the target: judged by
   * what is written for the target ({@link forWriting}), so an RDB 11 file
   * goes re-encoded to RDB 10 into ElastiCache Redis OSS 7.1, whose reading
   * of RDB 11 is not sure. Where the target reads the file's version, each
   * key still goes by its type ({@link passesAsIs}): a key of a type the
   * target lacks (a `REDIS0010` file holding a type 20 set, which Redis 7.0
   * refuses) is re-encoded, not sent to fail after the others were written.
   * @throws Error when the target reads no version the writer writes (older than RDB 9)
   */
  static of(file: { version: number; valkey: boolean }, target: TargetRdbSupport, lossy: ReadonlySet<LossKind>, noModules = false): FileReencoding | undefined {
    const source: RdbFormat = { magic: file.valkey ? 'VALKEY' : 'REDIS', version: file.version };
    if (rdbRefusal({ version: file.version, valkey: file.valkey }, forWriting(target)) === undefined) {
      // The types written for the target bound those sent as they are (ElastiCache 7.1: RDB 10's, its reading of 11's set listpacks not sure).
      return new FileReencoding(source, formatFor(target), lossy, true, noModules);
    }
    const format = formatFor(target);
    if (format.magic === 'REDIS' && format.version < 9)
      throw new Error(`the target (${target.server}) reads RDB up to ${format.version}; re-encoding writes RDB 9 or later: restore into Redis 5.0 or later`);
    return new FileReencoding(source, format, lossy, false, noModules);
  }

  /** The RDB version the payloads of the second read carry: the target's, or the file's where the target reads it. */
  get payloadVersion(): number {
    return this.readsVersion ? this.source.version : this.target.version;
  }

  /** Whether a key of this type goes to the target as it is (its payload sealed for RESTORE), not re-encoded from its payload. */
  passesAsIs(type: number): boolean {
    return readsAsIs(type, this.source, this.target);
  }

  /** Whether a key of this type must be judged in the first read (its payload built): one the target may not hold exactly (a newer stream too, where the target's layout is type 15's). */
  mayRefuse(type: number): boolean {
    const olderStream = (type === STREAM_2 || type === STREAM_3) && streamTypeFor(this.target) === STREAM_1;
    return ((type >= 22 || olderStream) && !readsAsIs(type, this.source, this.target)) || this.moduleLeftOut(type);
  }

  /** Whether a key of this type is a module value the target cannot take (it has no module loaded): refused in the first read, or with `--lossy module` left out. */
  private moduleLeftOut(type: number): boolean {
    return this.noModules && (type === 6 || type === 7);
  }

  /** The first read: judges a key {@link mayRefuse} asked for; `templates`: the reader's ({@link RdbKeyReader.templates}). */
  check(k: RdbKey, templates?: HashTemplates): void {
    this.templates ??= templates;
    if (k.type === 16 && this.hashesTwice.delete(twiceKey(k.db, k.name))) {
      const why = hashFieldTwiceReason(k.payload);
      if (why !== undefined) this.refuse(k, why);
      return;
    }
    if (this.moduleLeftOut(k.type)) {
      if (!this.lossy.has('module'))
        this.refuse(
          k,
          `a module value of type ${k.module ?? '?'}: the target has no module loaded (MODULE LIST names none that holds data) (--lossy module leaves such keys out)`,
        );
      return;
    }
    const e = expressValue(k.payload, this.source, this.target, this.lossy, this.now, this.templates);
    if (e.action === 'write' || e.action === 'expired') return;
    this.refuse(k, e.action === 'drop' ? `its ${e.lost} would be left out, which migrate does not do` : e.reason);
  }

  /**
   * The first read, of a key whose set, zset or hash listpack holds a member twice (the verifier warns; Redis loads it
   * as it is): a set or zset to be re-encoded is refused before any write, as Redis refuses its plain form (RESTORE:
   * `Bad data format`, after the keys before it were written). A hash to be re-encoded is judged from its value
   * ({@link hashFieldTwiceReason}, in {@link check}): true, the key is to be built for it. One that goes as it is is
   * held by the target as by a server loading the file.
   */
  memberTwice(db: number, name: Buffer, type: number): boolean {
    if (this.passesAsIs(type)) return false;
    if (type === 17 || type === 20) this.refuse({ db, name }, memberTwiceReason(type));
    if (type !== 16) return false;
    this.hashesTwice.add(twiceKey(db, name));
    return true;
  }

  /** Whether a key of this type may have to be built in the first read ({@link mayRefuse}, or a hash {@link memberTwice} may ask for): its bytes kept while it is read. */
  mayBuild(type: number): boolean {
    return this.mayRefuse(type) || (type === 16 && !this.passesAsIs(type));
  }

  private refuse(k: Pick<RdbKey, 'db' | 'name'>, why: string): void {
    let db = this.refused.get(k.db);
    if (!db) this.refused.set(k.db, (db = { count: 0, named: [] }));
    db.count++;
    if (db.named.length < NAMED) db.named.push(`${displayKey(k.name)}${k.db === 0 ? '' : ` (db ${k.db})`}: ${why}`);
  }

  /**
   * Why the run is refused after the first read, or undefined: the keys refused in the databases `restored` (the plan of
   * databases is chosen after the first read, which judges every database's keys).
   */
  refusal(location: string, restored: (db: number) => boolean): string | undefined {
    let count = 0;
    const named: string[] = [];
    for (const [db, r] of [...this.refused].sort((a, b) => a[0] - b[0])) {
      if (!restored(db)) continue;
      count += r.count;
      named.push(...r.named.slice(0, NAMED - named.length));
    }
    if (count === 0) return undefined;
    const more = count > named.length ? `; and ${count - named.length} more` : '';
    return `${location} is refused, nothing was written: ${count} key${count === 1 ? '' : 's'} cannot be expressed for the target (${this.target.magic} RDB ${this.target.version}): ${named.join('; ')}${more}`;
  }

  /**
   * The second read: the payload the target takes for `k` (read with {@link payloadVersion}); undefined for a hash every field of which had
   * expired (gone, as an expired key); null for a module value left out (`--lossy module`, a target without modules: counted in `lost`).
   */
  payload(k: RdbKey): Buffer | readonly Buffer[] | undefined | null {
    if (this.moduleLeftOut(k.type)) {
      this.lost.module = (this.lost.module ?? 0) + 1;
      return null;
    }
    if (this.passesAsIs(k.type)) return k.payloadParts ?? k.payload;
    if (transcodes(k.type)) {
      // A listpack value: walked straight into its plain form in one reused buffer (lambdas/domain/rdb/write/transcode.ts), then sealed.
      this.out.clear();
      const type = transcodeListpacks(k.payload, this.out);
      this.reencoded++;
      return dumpPayloadFor(type, this.out.view(), this.target);
    }
    const e = expressValue(k.payload, this.source, this.target, this.lossy, this.now, this.templates);
    if (e.action === 'expired') {
      this.expiredFields += e.expiredFields;
      return undefined;
    }
    // The first read judged every key that can be refused: one here means the bytes changed, which the block CRCs rule out.
    if (e.action !== 'write') throw new Error(`${displayKey(k.name)} cannot be expressed for the target, yet the first read passed it`);
    this.reencoded++;
    for (const l of [...(e.lost ? [e.lost] : []), ...(e.alsoLost ?? [])]) this.lost[l] = (this.lost[l] ?? 0) + 1;
    if (e.emptyIdmp) this.emptyIdmp++;
    this.expiredFields += e.expiredFields ?? 0;
    return dumpPayloadFor(e.type, e.object, this.target);
  }
}
