/**
 * How one key of a source file is written for a target format: its bytes as
 * they are where the target reads its type with the same meaning (every
 * encoding reaches the target unchanged), else re-encoded from the canonical
 * value (listpacks, quicklists and template hashes into plain forms; a
 * stream into the older stream layout), else — what the target cannot hold
 * exactly — refused with the loss named, or, when the operator named that
 * loss (`--lossy`), written without it (field TTLs) or left out (a module
 * value, an array).
 */
import type { KeyValue } from '../fingerprint.js';
import { decodeDumpPayload } from '../format/value.js';
import { DUMP_FOOTER_BYTES } from '../format/dump-payload.js';
import { type RdbFormat, REDIS_MAX_TYPE_OF } from '../engines.js';
import { holdsFieldTtls, writeHashWithTtls, writePlainValue } from './encode-value.js';
import type { LossKind } from './losses.js';
import type { HashTemplates } from '../format/hash-template.js';
import { referencesTemplate, resolveTemplateHash } from '../format/template-ref.js';
import { RdbOut } from './rdb-out.js';
import { STREAM_4, STREAM_5, strippedLosses } from './stream-extras.js';
import { transcodeListpacks, transcodes } from './transcode.js';
import { hashFieldTtls, isHashWithTtls, isNewerStream, liveFieldsAt, STREAM_1, STREAM_2, STREAM_3, StreamLayout } from './source-forms.js';

/** Types 0–21 mean the same after either magic; 22 on differ (format/parse-values.ts). */
const SHARED_TYPES = 21;
/** Valkey 9's value types end at its 22. */
const VALKEY_MAX_TYPE = 22;

/** The highest value type a file of this format may hold. */
export function maxTypeOf(f: RdbFormat): number {
  if (f.magic === 'VALKEY') return VALKEY_MAX_TYPE;
  return REDIS_MAX_TYPE_OF[Math.min(f.version, 15)] ?? (f.version > 15 ? 32 : 15);
}

/** Whether `target` reads value `type` of a `source` file with the same meaning. */
export function readsAsIs(type: number, source: RdbFormat, target: RdbFormat): boolean {
  if (type > maxTypeOf(target)) return false;
  return type <= SHARED_TYPES || source.magic === target.magic;
}

/** Whether {@link expressValue} writes a key of value `type` as it is (its bytes unchanged), without looking at its bytes. */
export function copiesAsIs(type: number, source: RdbFormat, target: RdbFormat): boolean {
  return !isModule(type) && !referencesTemplate(type) && readsAsIs(type, source, target);
}

/** Why a hash referencing a template of its file (RDB type `type`: 30, 32) the read did not keep is refused. */
export const templateNotKept = (type: number): string =>
  `a hash whose field names are a template of the file (Redis 8.10, RDB type ${type}) this read did not keep: load the file into Redis 8.10 or later`;

/** What to do with one key. */
export type Expressed =
  | {
      readonly action: 'write';
      readonly type: number;
      readonly object: Uint8Array;
      readonly reencoded: boolean;
      readonly lost?: LossKind;
      /** Further losses of the same key (a Redis 8.8 stream may lose its NACKs, IDMP data and ids). */
      readonly alsoLost?: readonly LossKind[];
      /** The value as decoded for re-encoding (decodeDumpPayload's), when it was: a caller digesting it need not decode it again. */
      readonly value?: KeyValue;
      /** Fields of a hash with field TTLs left out because their TTL had passed at the run's time. */
      readonly expiredFields?: number;
      /** A Redis 8.6/8.8 stream written as an older one without its IDMP data, which was empty (stream-extras.ts idmpIsEmpty): nothing lost. */
      readonly emptyIdmp?: true;
    }
  | { readonly action: 'drop'; readonly lost: LossKind }
  /** A hash every field of which had expired at the run's time: gone, as a key whose TTL passed (Redis 7.4 leaves it out on load). */
  | { readonly action: 'expired'; readonly expiredFields: number }
  | { readonly action: 'refuse'; readonly loss?: LossKind; readonly reason: string };

const isModule = (type: number) => type === 6 || type === 7;

/** The stream layout {@link expressValue} writes a newer stream as for `target`: 15 where the target lacks 19, else 19. */
export const streamTypeFor = (target: RdbFormat): number => (target.magic === 'REDIS' && maxTypeOf(target) < STREAM_2 ? STREAM_1 : STREAM_2);

/**
 * How a newer stream (RDB type 19 or 21, walked by `layout`) is written for
 * `target`: in the layout {@link streamTypeFor} names, exact where a server
 * loading that layout derives what the source holds (source-forms.ts
 * StreamLayout.exact), else with `--lossy stream-ids` written without it (`lost`),
 * else refused, the differences named.
 */
export function streamDowngrade(
  layout: StreamLayout,
  target: RdbFormat,
  lossy: ReadonlySet<LossKind>,
): { readonly to: number; readonly lost?: LossKind } | { readonly refuse: string } {
  const to = streamTypeFor(target);
  if (to !== STREAM_1 || layout.exact) return { to };
  if (lossy.has('stream-ids')) return { to, lost: 'stream-ids' };
  return { refuse: `a stream whose ${layout.lost().join(', ')}: RDB ${target.version} keeps none of these (--lossy stream-ids writes it without them)` };
}

/** {@link streamDowngrade} in {@link newerStreamDowngrade}'s shape: a type 19 or 21 stream, walked by `layout`. */
export function olderStreamDowngrade(layout: StreamLayout, target: RdbFormat, lossy: ReadonlySet<LossKind>): StreamWritten {
  const d = streamDowngrade(layout, target, lossy);
  if ('refuse' in d) return { refuse: d.refuse, loss: 'stream-ids' };
  return { to: d.to, lost: d.lost ? [d.lost] : [], emptyIdmp: false, layout };
}

/**
 * A stream judged for a target: the layout it is written as, with its losses (`emptyIdmp`: a Redis 8.6/8.8 one's IDMP
 * data left out because it was empty, which is no loss), or refused.
 */
export type StreamWritten =
  | { readonly to: number; readonly lost: LossKind[]; readonly emptyIdmp: boolean; readonly layout: StreamLayout }
  | { readonly refuse: string; readonly loss: LossKind };

/**
 * How a Redis 8.6/8.8 stream (type 26 or 27, walked by `layout` as the type
 * 21 it holds: stream-extras.ts) is written for `target`: as a type 21 where
 * the target reads one, else as {@link streamDowngrade} writes a type 21,
 * after its NACKed entries and IDMP data were accepted as lost (`--lossy
 * stream-nacks`, `stream-idmp`; empty IDMP data needs no `--lossy`:
 * `emptyIdmp`), else refused with every loss named. `lost`: each loss, in
 * the order named.
 */
export function newerStreamDowngrade(layout: StreamLayout, target: RdbFormat, lossy: ReadonlySet<LossKind>): StreamWritten {
  const extras = strippedLosses(layout.extras, lossy);
  const d: ReturnType<typeof streamDowngrade> = maxTypeOf(target) >= STREAM_3 ? { to: STREAM_3 } : streamDowngrade(layout, target, lossy);
  if ('refuse' in d || extras.refuse.length > 0) {
    // The ids' refusal as streamDowngrade words it for a type 21 ("a stream whose …"), joined to the others.
    const all = [...extras.refuse, ...('refuse' in d ? [`ids whose ${d.refuse.replace(/^a stream whose /, '')}`] : [])];
    const loss: LossKind = extras.refuseKinds[0] ?? 'stream-ids';
    return { loss, refuse: `a Redis ${layout.type === STREAM_5 ? '8.8' : '8.6'} stream (RDB type ${layout.type}) with ${all.join('; and ')}` };
  }
  return { to: d.to, lost: [...extras.lost, ...(d.lost ? [d.lost] : [])], emptyIdmp: extras.emptyIdmp, layout };
}

/** Why a hash with `n` live fields with a TTL is refused for `target`, which holds no field TTLs. */
export function fieldTtlRefusal(n: number, target: RdbFormat): string {
  return `a hash with ${n} field TTL${n === 1 ? '' : 's'}: RDB ${target.version} has no field TTLs (--lossy field-ttl writes the fields without them)`;
}

/** How the stream `layout` walked (type 19, 21, 26 or 27) is written for `target`: a Redis 8.6/8.8 one with its extras judged. */
export function streamWritten(layout: StreamLayout, target: RdbFormat, lossy: ReadonlySet<LossKind>): StreamWritten {
  return isNewerStream(layout.type) ? newerStreamDowngrade(layout, target, lossy) : olderStreamDowngrade(layout, target, lossy);
}

/**
 * How the key whose DUMP payload (as the source file holds it: type byte,
 * object bytes, footer) is `payload` is written for `target`, at the run's
 * time `now` (ms): a hash field whose TTL passed before it is left out (and
 * a hash left without fields is `expired`), as a server loading the file
 * then would; a key's own TTL is its caller's. A hash referencing a template
 * of the file (types 30, 32) takes its field names from `templates` (the
 * reader's parser's), refused when they are not there.
 */
export function expressValue(
  payload: Uint8Array,
  source: RdbFormat,
  target: RdbFormat,
  lossy: ReadonlySet<LossKind>,
  now: number,
  templates?: HashTemplates,
): Expressed {
  const type = payload[0]!;
  const end = payload.length - DUMP_FOOTER_BYTES;
  if (copiesAsIs(type, source, target)) return { action: 'write', type, object: payload.subarray(1, end), reencoded: false };
  if (isModule(type)) {
    if (lossy.has('module')) return { action: 'drop', lost: 'module' };
    return { action: 'refuse', loss: 'module', reason: 'a module value: the writer does not carry module data' };
  }
  const out = new RdbOut(payload.length + 64);
  const reencoded = (t: number, lost?: LossKind, value?: KeyValue, expiredFields = 0): Expressed => ({
    action: 'write',
    type: t,
    object: out.take(),
    reencoded: true,
    ...(lost ? { lost } : {}),
    ...(value ? { value } : {}),
    ...(expiredFields > 0 ? { expiredFields } : {}),
  });
  if (referencesTemplate(type)) {
    // Its bytes cannot stand alone (the names are a template of the file, opcode 242): the hash they stand for, written plain (exact).
    const value = templates && resolveTemplateHash(payload, (id) => templates.fieldNames(id));
    if (value === undefined) return { action: 'refuse', reason: templateNotKept(type) };
    return reencoded(writePlainValue(value, out), undefined, value);
  }
  if (type === STREAM_2 || type === STREAM_3) {
    const layout = new StreamLayout().read(type, payload, 1, end);
    const d = streamDowngrade(layout, target, lossy);
    if ('refuse' in d) return { action: 'refuse', loss: 'stream-ids', reason: d.refuse };
    layout.writeAs(d.to, out);
    return reencoded(d.to, d.lost);
  }
  if (isHashWithTtls(type)) {
    // Fields whose TTL passed are gone (a server loading the file leaves them out): never written, with or without their TTLs.
    const { live: h, expired } = liveFieldsAt(hashFieldTtls(payload, source.magic === 'VALKEY'), now);
    if (h.fields.length === 0) return { action: 'expired', expiredFields: expired };
    // The value the output holds, for a caller's digest (write/key-list.ts: a field's TTL is held where one is written):
    // the live fields, with their TTLs where they are written; without them where a plain hash is.
    const plain: KeyValue = { type: 'hash', fields: h.fields };
    if (!h.expireAt.some((t) => t !== 0)) return reencoded(writePlainValue(plain, out), undefined, plain, expired);
    if (holdsFieldTtls(target)) {
      const withTtls: KeyValue = { type: 'hash', fields: h.fields, fieldExpireAtMs: h.expireAt.map((t) => (t === 0 ? null : t)) };
      return reencoded(writeHashWithTtls(h, target, out), undefined, withTtls, expired);
    }
    if (lossy.has('field-ttl')) return reencoded(writePlainValue(plain, out), 'field-ttl', plain, expired);
    return { action: 'refuse', loss: 'field-ttl', reason: fieldTtlRefusal(h.expireAt.filter((t) => t !== 0).length, target) };
  }
  if (type === 28) {
    if (lossy.has('array')) return { action: 'drop', lost: 'array' };
    return { action: 'refuse', loss: 'array', reason: 'a Redis 8.8 array: the target has no such type' };
  }
  if (type === STREAM_4 || type === STREAM_5) {
    const d = newerStreamDowngrade(new StreamLayout().read(type, payload, 1, end), target, lossy);
    if ('refuse' in d) return { action: 'refuse', loss: d.loss, reason: d.refuse };
    d.layout.writeAs(d.to, out);
    return { ...reencoded(d.to, d.lost[0]), ...(d.lost.length > 1 ? { alsoLost: d.lost.slice(1) } : {}), ...(d.emptyIdmp ? { emptyIdmp: true as const } : {}) };
  }
  // Every other readable type: listpacks walked straight into their plain forms; older encodings decoded into the canonical value, written plain.
  try {
    if (transcodes(type)) return reencoded(transcodeListpacks(payload, out));
    const value = decodeDumpPayload(payload);
    return reencoded(writePlainValue(value, out), undefined, value);
  } catch (err) {
    return {
      action: 'refuse',
      reason: `RDB value type ${type} cannot be written for RDB ${target.version}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
