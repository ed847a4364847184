/**
 * `convert-rdb`'s input pass (convert-rdb.ts runs it): the input read once through the verifier's parser, each key
 * judged for the target (copied as it is, re-encoded, refused with the reason, or written with a loss `--lossy`
 * names) and handed to the writer and the key-list digest where the parser found it. A real run and a dry run
 * (`--dry-run`) run this same pass; they differ only in where the writer's chunks go (convert-output.ts).
 */
import { displayKey, type KeyValue } from '../../domain/rdb/fingerprint.js';
import type { RdbFormat } from '../../domain/rdb/engines.js';
import { DUMP_FOOTER_BYTES } from '../../domain/rdb/format/dump-payload.js';
import { FileLibraries, type LoadEnvironment } from '../../domain/rdb/format/lua-load.js';
import { reportedAux } from '../../domain/rdb/format/parse-constants.js';
import { decodeDumpPayload } from '../../domain/rdb/format/value.js';
import { type KeyInPlace, RdbKeyReader } from '../../domain/rdb/keys.js';
import { copiesAsIs, expressValue, type Expressed, fieldTtlRefusal, streamWritten, templateNotKept } from '../../domain/rdb/write/express.js';
import { templateHashInParts, templateHashNames, writeTemplateHashFromParts } from '../../domain/rdb/write/template-hash-parts.js';
import { holdsFieldTtls } from '../../domain/rdb/write/encode-value.js';
import { scanTtlHash, writeTtlHashFromParts } from '../../domain/rdb/write/ttl-hash-parts.js';
import { STREAM_4, STREAM_5 } from '../../domain/rdb/write/stream-extras.js';
import { transcodeObject, transcodeParts, transcodes, transcodesInParts, WalkedListpacks } from '../../domain/rdb/write/transcode.js';
import { listpackInParts } from '../../domain/rdb/write/transcode-parts.js';
import { keyMetaProblem, keyMetaValues, type LossKind, moduleAuxProblem } from '../../domain/rdb/write/losses.js';
import type { RdbReport } from '../../domain/rdb/report.js';
import { KeyBits, KeyListDigest } from '../../domain/rdb/write/key-list.js';
import { RdbFileWriter } from '../../domain/rdb/write/rdb-file.js';
import { hashFieldTwiceReason, memberTwiceReason } from './reencode.js';
import { isHashWithTtls, STREAM_1, STREAM_2, STREAM_3, StreamLayout } from '../../domain/rdb/write/source-forms.js';

/** How far a conversion is: the bytes of its current step done so far. */
export interface ConvertProgress {
  /**
   * `input`: the input read, verified and converted; `read-back`: the output written and read back through the
   * verifier; `upload`: an `s3://` output uploaded; `stored read-back`: the object stored read back and verified.
   */
  readonly step: 'input' | 'read-back' | 'upload' | 'stored read-back';
  /** The input converted (a shard file's, in a recovery point of several). */
  readonly input: string;
  readonly bytes: number;
  /** The step's bytes in all, where known (the input's as stored: a compressed envelope's RDB bytes run past them). */
  readonly total?: number;
}

/** What to convert, into what. */
export interface ConvertRdbSpec {
  /** A local path or `s3://bucket/key`. */
  readonly input: string;
  /** A local path or `s3://bucket/key`; optional only with {@link dryRun} (then no output is checked). */
  readonly output?: string;
  /**
   * `--dry-run`: the same run with writes off. The input is read and judged as ever and the writer's bytes counted
   * (convert-output.ts countingSink), the output checked only by what needs no write; nothing is written, so nothing is read back.
   */
  readonly dryRun?: boolean;
  readonly format: RdbFormat;
  /** How the target is named in messages: `redis-7.0`, `RDB 10`. */
  readonly target: string;
  /**
   * What the target's library load can reach (lua-load.ts), where its release's is known: a library it would refuse
   * to run on load is a problem (or left out with `--lossy function`). Absent: not judged.
   */
  readonly loads?: LoadEnvironment;
  /**
   * The target validates every value on load (Valkey from 9.1: domain/rdb/engines.ts validatesEveryValue): a value the
   * verifier warns of as `sanitize-only` (which Redis loads, and deep sanitization refuses) refuses the run.
   */
  readonly validatesEveryValue?: boolean;
  /** The `redis-ver` AUX field written. @default the input's */
  readonly redisVer?: string;
  /** Replace an existing output. */
  readonly force?: boolean;
  /** The losses the operator accepts. @default none */
  readonly lossy?: ReadonlySet<LossKind>;
  /** How far the run is, told as each chunk is read or sent (a long conversion's progress line: cli/progress.ts). */
  readonly onProgress?: (progress: ConvertProgress) => void;
  /** Bytes per ranged GET of an s3:// input. */
  readonly readPartBytes?: number;
  /** Keys named in a refusal at most. @default 20 */
  readonly maxNamed?: number;
  /** Each key's name where it lies, `names[from, to)`, valid during the call (the shard files of a point: their hash slots held against the set). */
  readonly onKeyName?: (names: Uint8Array, from: number, to: number) => void;
}

/** A key the target cannot hold as it is. */
export interface RefusedKey {
  readonly db: number;
  readonly key: string;
  readonly reason: string;
}

/** A key's decoded value, or for a type the decoder cannot read (carried as is), its object bytes. */
export function decodedValue(payload: Buffer, type: number): KeyValue {
  try {
    return decodeDumpPayload(payload);
  } catch {
    return { type: 'other', typeName: `rdb-type-${type}`, dump: payload.subarray(1, payload.length - DUMP_FOOTER_BYTES) };
  }
}

/** A stream of listpacks (the layouts a downgrade reads and writes). */
export const isStream = (type: number): boolean => type === STREAM_1 || type === STREAM_2 || type === STREAM_3;

/** Whether a key of value `type` that is not copied as it is goes through a {@link StreamLayout} walk (a stream of type 19, 21, 26 or 27). */
const reencodedStream = (type: number): boolean => type === STREAM_2 || type === STREAM_3 || type === STREAM_4 || type === STREAM_5;

const formatOf = (r: RdbKeyReader): RdbFormat => ({ magic: r.fileVersion.valkey ? 'VALKEY' : 'REDIS', version: r.fileVersion.version });
const count = <K extends string>(m: Partial<Record<K, number>>, k: K): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/**
 * The output's AUX fields: the input's provenance kept (ctime, used-mem), the conversion said; each value as a report
 * holds it (reportedAux: `redis-dr-converted-from` embeds the input's `redis-ver`, which a crafted file makes long), so
 * the read-back reports what was written and is compared whole.
 */
function auxFor(src: Readonly<Record<string, string>>, source: RdbFormat, redisVer: string | undefined): [string, string][] {
  const aux: [string, string][] = [
    ['redis-ver', redisVer ?? src['redis-ver'] ?? '0.0.0'],
    ['redis-bits', src['redis-bits'] ?? '64'],
  ];
  // ctime is when the data was taken (expiry histograms, RPO): the input's, not the conversion's.
  for (const k of ['ctime', 'used-mem']) if (src[k] !== undefined) aux.push([k, src[k]]);
  const by = src['redis-ver'] ? ` written by ${source.magic === 'VALKEY' ? 'valkey' : 'redis'} ${src['redis-ver']}` : '';
  aux.push(['redis-dr-converted-from', `${source.magic} RDB ${source.version}${by}`]);
  return aux.map(([k, v]) => [k, reportedAux(v)]);
}

/**
 * The input's read: each key written for the target and digested where the
 * parser found it, inside its push (the views are valid only there), and
 * what the run counts.
 */
export class InputPass {
  readonly digest = new KeyListDigest();
  /** Which keys written were re-encoded: the read-back digests those by value. */
  readonly reencodedKeys = new KeyBits();
  readonly dropped: Partial<Record<LossKind, number>> = {};
  readonly lost: Partial<Record<LossKind, number>> = {};
  readonly expired = { fields: 0, hashes: 0 };
  /** Redis 8.6/8.8 streams written without their IDMP data because it was empty (stream-extras.ts idmpIsEmpty): no loss. */
  emptyIdmp = 0;
  readonly refused: RefusedKey[] = [];
  readonly problems: string[] = [];
  refusedCount = 0;
  asIs = 0;
  reencoded = 0;
  functions = 0;
  /** Keys of the input read in the reader's parts (values of 1 MiB or more that span chunks): convert-rdb.ts collects after one. */
  keysInParts = 0;
  source: RdbFormat | undefined;
  writer: RdbFileWriter | undefined;
  /** The AUX fields the writer wrote, in order. */
  aux: [string, string][] = [];
  /** The function libraries written (DUMP-style payloads with their footer), in order. */
  readonly functionsWritten: Uint8Array[] = [];
  // Payloads go to no server here (object bytes and values are read): none is built but for the few keys re-encoded from their values.
  readonly reader: RdbKeyReader;
  /** Per value type, whether the target reads it as it is (0: not known yet, 1: yes, 2: no): decided once, not per key. */
  private readonly asIsOf = new Uint8Array(256);
  /** The newer streams' walk, reused. */
  private readonly streams = new StreamLayout();
  /** The listpack values re-encoded, each walked once for the verifier and the writer. */
  private readonly walked = new WalkedListpacks();
  /** The libraries as the target's release loads them one after the other (lua-load.ts), where its load is known. */
  private readonly libraries: FileLibraries | undefined;

  /** `transientChunks`: each chunk pushed is valid only during its push (reused buffers): the reader copies what it keeps. */
  constructor(
    private readonly spec: ConvertRdbSpec,
    private readonly lossy: ReadonlySet<LossKind>,
    private readonly maxNamed: number,
    transientChunks: boolean,
    /** The run's time: a hash field whose TTL passed before it is left out (express.ts). */
    readonly now: number,
  ) {
    this.libraries = spec.loads && new FileLibraries(spec.loads);
    this.reader = new RdbKeyReader({
      keepChunks: !transientChunks,
      sealPayloads: false,
      visit: (k) => this.visit(k),
      // A big value copied as it is, or a big list, listpack, stream, hash with field TTLs or template hash re-encoded: its parts as the
      // reader kept them go to the writer and the digest, or to the walk that re-encodes it (held once, not gathered).
      valueParts: (_, type) => this.copiesAsIs(type) || transcodesInParts(type) || reencodedStream(type) || isHashWithTtls(type) || templateHashInParts(type),
      // Only a value this conversion re-encodes: one copied as it is gets the parser's validation.
      listpack: (keyStart, type, blob, stride, members) => (this.copiesAsIs(type) ? -1 : this.walked.walk(keyStart, type, blob, stride, members)),
    });
  }

  /** The writer, once the header and AUX fields are in (servers write them before anything else). */
  started(): RdbFileWriter {
    this.source ??= formatOf(this.reader);
    if (this.writer === undefined) {
      this.aux = auxFor(this.reader.auxFields, this.source, this.spec.redisVer);
      // No CRC-64 of its own: the trailer is that of the file as read back (convertRdb).
      this.writer = new RdbFileWriter(this.spec.format, this.aux, { trailerByCaller: true });
    }
    return this.writer;
  }

  /** Writes the function libraries read so far (or counts them dropped, or names the problem). */
  takeFunctions(): void {
    const { format } = this.spec;
    for (; this.functions < this.reader.functions.length; this.functions++) {
      const w = this.started();
      if (format.magic === 'REDIS' && format.version < 10) {
        if (this.lossy.has('function')) count(this.dropped, 'function');
        else if (this.problems.length === 0 || !this.problems.at(-1)!.startsWith('function'))
          this.problems.push(`function libraries: RDB ${format.version} has no functions (--lossy function leaves them out)`);
      } else {
        const library = this.reader.functions[this.functions]!;
        const refused = this.libraries?.refusedOnLoad(library);
        if (refused && this.lossy.has('function')) count(this.dropped, 'function');
        else if (refused) this.problems.push(`function library '${refused.name}': ${refused.reason} (--lossy function leaves it out)`);
        else {
          w.functionLibrary(library, DUMP_FOOTER_BYTES);
          this.functionsWritten.push(library);
        }
      }
    }
  }

  /**
   * What the whole input's report holds besides its keys that the writer does not carry (module AUX data, Redis 8.6
   * key metadata a server without its module refuses): a problem named, or, accepted by `--lossy`, key metadata
   * counted with what it let go, so the summary and --json name it (each key is written from its type on).
   */
  judgeModuleData(report: Pick<RdbReport, 'moduleTypes' | 'moduleAux'>): void {
    const meta = keyMetaProblem(report.moduleTypes, this.lossy);
    if (meta) this.problems.push(meta);
    else if (keyMetaValues(report.moduleTypes) > 0) this.dropped['key-meta'] = keyMetaValues(report.moduleTypes);
    const aux = moduleAuxProblem(report.moduleAux, this.lossy);
    if (aux) this.problems.push(aux);
  }

  /** Whether the target reads values of RDB `type` as they are (decided once a type, once the input's header is in). */
  private copiesAsIs(type: number): boolean {
    if (this.asIsOf[type] === 0) this.asIsOf[type] = copiesAsIs(type, (this.source ??= formatOf(this.reader)), this.spec.format) ? 1 : 2;
    return this.asIsOf[type] === 1;
  }

  private visit(k: KeyInPlace): void {
    this.takeFunctions(); // the libraries before the first key (they come first in a file), in the same push
    this.spec.onKeyName?.(k.nameBytes, k.nameFrom, k.nameTo);
    const w = this.started();
    const type = k.type;
    if (k.parts !== undefined) {
      this.keysInParts++;
      if (this.copiesAsIs(type)) {
        w.keyParts(k, type, k.parts);
        this.digest.addRawParts(k, type, k.parts);
        this.reencodedKeys.push(false);
        this.asIs++;
        return;
      }
      if (reencodedStream(type)) {
        this.streamInParts(k, k.parts);
        return;
      }
      if (isHashWithTtls(type)) {
        this.ttlHashFromParts(k, k.parts);
        return;
      }
      if (templateHashInParts(type)) {
        this.templateHashFromParts(k, k.parts);
        return;
      }
      // A big list re-encoded from the reader's parts, node by node, or a big hash, zset or set listpack entry by entry
      // (transcode-parts.ts), its plain form written out in pieces as it is made.
      if (type !== 18 && this.memberTwice(k, type)) return;
      this.digest.valueHeadAt(k);
      w.keyInPieces(k);
      if (type === 18) transcodeParts(type, k.parts, w, this.digest);
      else listpackInParts(type, k.parts, w, this.digest, k);
      this.reencoded++;
      this.reencodedKeys.push(true);
    } else if (this.copiesAsIs(type)) {
      w.keyAt(k, type, k.bytes, k.from, k.to);
      this.digest.addRawAt(k, type, k.bytes, k.from, k.to);
      this.reencodedKeys.push(false, k.to - k.from);
      this.asIs++;
    } else if (transcodes(type)) {
      // A set or zset with a member twice: Redis refuses its plain form on load, always ("Duplicate set members detected",
      // "Duplicate zset fields detected"). A hash: Redis loads a small plain hash with a field twice as it loads the
      // listpack (only sanitize-dump-payload yes refuses either), and the verifier warns of both alike; but one its
      // loader makes a hash table of (an element over 64 bytes, more than 128 fields) it refuses.
      if (this.memberTwice(k, type)) return;
      // A listpack value written plain and digested from the same walk (lambdas/domain/rdb/write/transcode.ts), no elements decoded.
      this.digest.valueHeadAt(k);
      const out = w.keyOpened(k);
      // A big value's room taken at once (its plain form is about as big, a little bigger): not grown by doubling, each step a copy.
      if (k.to - k.from >= 1 << 20) out.reserve(k.to - k.from + ((k.to - k.from) >> 2));
      const at = out.length;
      const walked = this.walked.write(k.offset, type, k.bytes, k.from, k.to, out, this.digest);
      w.valueWritten(walked >= 0 ? walked : transcodeObject(type, k.bytes, k.from, k.to, out, this.digest, k));
      this.reencoded++;
      // Its plain form's bytes (the value is all in the writer's buffer: no chunk is taken while a key is open).
      this.reencodedKeys.push(true, out.length - at);
    } else if (reencodedStream(type)) {
      // A newer stream in an older layout, judged, digested and written where it lies from one walk (expressValue's downgrade, no payload built);
      // a Redis 8.6/8.8 one as the type 21 it holds, without its NACKs and IDMP data (stream-extras.ts), which the digest holds as the output does.
      const d = streamWritten(this.streams.read(type, k.bytes, k.from, k.to), this.spec.format, this.lossy);
      if ('refuse' in d) {
        this.refuse(k.db, k.name(), d.refuse);
        return;
      }
      const { layout } = d;
      this.counted(d);
      this.digest.valueHeadAt(k);
      layout.digest(this.digest, d.to, !this.lossy.has('stream-ids'));
      layout.writeAs(d.to, w.keyOpened(k));
      w.valueWritten(d.to);
      this.reencoded++;
      this.reencodedKeys.push(true);
    } else this.express(k, w);
  }

  /** A stream written in an older layout: its losses, and whether it left empty IDMP data out (no loss), counted. */
  private counted(d: { readonly lost: readonly LossKind[]; readonly emptyIdmp: boolean }): void {
    for (const l of d.lost) count(this.lost, l);
    if (d.emptyIdmp) this.emptyIdmp++;
  }

  /**
   * A big newer stream (type 19, 21, 26 or 27) in an older layout from the reader's parts, as the visit writes a small one: its
   * walk's runs (runs of the input's bytes) handed to the writer and the digest as views of the parts, not gathered
   * into one copy nor copied into one buffer (its own StreamLayout: the parts not held past the key).
   */
  private streamInParts(k: KeyInPlace, parts: Uint8Array[]): void {
    const d = streamWritten(new StreamLayout().readParts(k.type, parts), this.spec.format, this.lossy);
    if ('refuse' in d) {
      this.refuse(k.db, k.name(), d.refuse);
      return;
    }
    this.counted(d);
    this.digest.valueHeadAt(k);
    d.layout.digest(this.digest, d.to, !this.lossy.has('stream-ids'));
    const w = this.started();
    w.keyInPieces(k);
    d.layout.writePiecesAs(d.to, w);
    this.reencoded++;
    this.reencodedKeys.push(true);
  }

  /**
   * A big hash with field TTLs (type 22 or 24), judged and written as express.ts does a small one (expired fields left
   * out; plain where no live field has a TTL; in the target fork's form where it holds field TTLs; else refused unless
   * `--lossy field-ttl`), from the reader's parts: its fields counted in one walk, then written in pieces and digested
   * in another (lambdas/domain/rdb/write/ttl-hash-parts.ts).
   */
  private ttlHashFromParts(k: KeyInPlace, parts: Uint8Array[]): void {
    const valkey = formatOf(this.reader).magic === 'VALKEY';
    const scan = scanTtlHash(k.type, valkey, parts, this.now);
    if (scan.live === 0) {
      this.expired.hashes++;
      this.expired.fields += scan.expired;
      return;
    }
    const target = this.spec.format;
    const keepsTtls = holdsFieldTtls(target);
    if (scan.withTtl > 0 && !keepsTtls && !this.lossy.has('field-ttl')) {
      this.refuse(k.db, k.name(), fieldTtlRefusal(scan.withTtl, target));
      return;
    }
    if (scan.withTtl > 0 && !keepsTtls) count(this.lost, 'field-ttl');
    this.expired.fields += scan.expired;
    const w = this.started();
    this.digest.valueHeadAt(k);
    w.keyInPieces(k);
    const form = scan.withTtl === 0 || !keepsTtls ? 'plain' : target.magic === 'VALKEY' ? 'valkey' : 'redis';
    writeTtlHashFromParts(k.type, valkey, parts, this.now, form, scan, w, this.digest);
    this.reencoded++;
    this.reencodedKeys.push(true);
  }

  /**
   * A big Redis 8.10 template hash stored as strings (type 31 or 32) written as the plain hash it stands for, as express.ts
   * writes a small one, from the reader's parts: its values one by one into pieces (lambdas/domain/rdb/write/template-hash-parts.ts).
   */
  private templateHashFromParts(k: KeyInPlace, parts: Uint8Array[]): void {
    const named = templateHashNames(k.type, parts, (id) => k.parser?.templates.fieldNames(id));
    if (named === undefined) {
      this.refuse(k.db, k.name(), templateNotKept(k.type));
      return;
    }
    const w = this.started();
    this.digest.valueHeadAt(k);
    w.keyInPieces(k);
    writeTemplateHashFromParts(parts, named, w, this.digest);
    this.reencoded++;
    this.reencodedKeys.push(true);
  }

  /** Whether `k`'s listpack holds a member twice in a way the target refuses in its plain form: then it is refused. */
  private memberTwice(k: KeyInPlace, type: number): boolean {
    const twice = k.listpackMemberTwice() ? (type === 16 ? hashFieldTwiceReason(k.payload()) : memberTwiceReason(type)) : undefined;
    if (twice !== undefined) this.refuse(k.db, k.name(), twice);
    return twice !== undefined;
  }

  /** A key the target cannot hold: counted, and named (the first `maxNamed`) with `reason`. */
  private refuse(db: number, name: Buffer, reason: string): void {
    this.refusedCount++;
    if (this.refused.length < this.maxNamed) this.refused.push({ db, key: displayKey(name), reason });
  }

  /** A key neither copied nor transcoded: as lambdas/domain/rdb/write/express.ts says, from a payload of its own. */
  private express(k: KeyInPlace, w: RdbFileWriter): void {
    const name = k.name();
    const payload = k.payload();
    const e: Expressed = expressValue(payload, this.source!, this.spec.format, this.lossy, this.now, k.parser?.templates);
    if (e.action === 'expired') {
      this.expired.hashes++;
      this.expired.fields += e.expiredFields;
      return;
    }
    if (e.action === 'refuse') {
      // A loss that leaves keys out can be accepted here (migrate cannot: it would leave them out of the target).
      const hint = e.loss === 'module' || e.loss === 'array' ? ` (--lossy ${e.loss} leaves such keys out)` : '';
      this.refuse(k.db, name, `${e.reason}${hint}`);
      return;
    }
    if (e.action === 'drop') {
      count(this.dropped, e.lost);
      return;
    }
    if (e.lost) count(this.lost, e.lost);
    for (const l of e.alsoLost ?? []) count(this.lost, l);
    if (e.emptyIdmp) this.emptyIdmp++;
    this.expired.fields += e.expiredFields ?? 0;
    if (e.reencoded) this.reencoded++;
    else this.asIs++;
    w.keyAt(k, e.type, e.object, 0, e.object.length);
    this.reencodedKeys.push(e.reencoded);
    digestInput(this.digest, k.db, name, k.type, payload, k.expireAtMs, e);
  }
}

/** An input key written as `e` says, into the digest: by its bytes, else by its decoded value (a stream re-encoded goes through InputPass.visit's own walk, never here). */
function digestInput(
  digest: KeyListDigest,
  db: number,
  name: Buffer,
  type: number,
  payload: Buffer,
  expireAtMs: number | null,
  e: Extract<Expressed, { action: 'write' }>,
): void {
  if (!e.reencoded) digest.addRaw(db, name, e.type, e.object, expireAtMs);
  else digest.addValue(db, name, e.value ?? decodedValue(payload, type), expireAtMs);
}
