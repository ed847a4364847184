/**
 * The files of one recovery point, as `migrate --from-rdb` takes them: one
 * `.rdb` for a server or a cluster-mode-disabled cache, one per shard for a
 * cluster-mode-enabled one (`<export>-0001.rdb`, `-0002.rdb`, …, see
 * export.ts). Restoring some shards of a recovery point and calling it done
 * is the failure this module exists to refuse: a set of several files must be
 * one export, every shard once, none missing. Pure.
 *
 * How many shards the recovery point had comes from the `redis-dr:shard` tag
 * (`0002/0003`) the export Lambda writes on every S3 object; local files
 * carry no tags, so for them the caller states it (`--shards`).
 */
import { parseExportObjectKey } from '../points/export-objects.js';

/** One file as given or found, before it is read. */
export interface ShardFile {
  /** Where it is, as the user wrote it or as a listing found it (`s3://b/k` or a path). */
  readonly location: string;
  /** Its last path segment (an S3 key's name or a file's). */
  readonly name: string;
  /** The object's `redis-dr:shard` tag, parsed (S3 objects the export wrote). */
  readonly tag?: { readonly shard: number; readonly shards: number; readonly slots?: string };
  /** The object's `redis-dr:snapshot` tag: the snapshot the export wrote it from (S3 objects the export wrote). */
  readonly snapshot?: string;
}

/** A checked set: the files in shard order, and each one's hash slots when the tags recorded them. */
export interface ShardSet {
  readonly files: readonly ShardFile[];
  /** Shards of the recovery point (1 for a single file that is not a shard of several). */
  readonly shards: number;
  /** The export the files belong to, when their names say. */
  readonly exportName?: string;
  /** Per file (shard order), its slot ranges as `[first, last]` pairs, when every file's tag recorded them. */
  readonly slots?: readonly (readonly (readonly [number, number])[])[];
}

/** Why a set is refused. */
export class ShardSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardSetError';
  }
}

/** `0-5460,5462` → [[0, 5460], [5462, 5462]]; undefined when malformed or out of 0–16383. */
export function parseSlotRanges(text: string): [number, number][] | undefined {
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b > 16383) return undefined;
    ranges.push([a, b]);
  }
  return ranges;
}

const list = (files: readonly ShardFile[]): string => files.map((f) => f.location).join(', ');

/**
 * Checks that `files` are one recovery point, whole, and orders them by
 * shard. One file is taken as it is, unless its tag says it is one shard of
 * several, or it is named as an export's shard and neither a tag nor
 * `expectedShards` says it is the only one. Several files must all be shards of one export (their names),
 * each shard once, numbered 1…N without a gap, N being what every file's
 * tag says — or, for untagged files, `expectedShards` (required then).
 * @throws ShardSetError naming the files and the fix.
 */
export function checkShardSet(files: readonly ShardFile[], expectedShards?: number): ShardSet {
  if (files.length === 0) throw new ShardSetError('no .rdb file given');
  if (files.length === 1 && (expectedShards === undefined || expectedShards === 1)) {
    const [only] = files;
    const named = parseExportObjectKey(only!.name);
    if (only!.tag && only!.tag.shards > 1) {
      throw new ShardSetError(
        `${only!.location} is shard ${only!.tag.shard} of ${only!.tag.shards} of its recovery point: restoring one shard would leave the others' keys out. ` +
          'Give every shard (--from-rdb once per file), or the export as s3://<bucket>/<export name> without the -NNNN.rdb suffix',
      );
    }
    if (named && expectedShards === 1 && named.shard !== 1) {
      throw new ShardSetError(
        `${only!.location} is named as shard ${named.shard} of export ${named.exportName}, not as the one shard of a recovery point of one shard (--shards 1)`,
      );
    }
    if (named && expectedShards === undefined && (!only!.tag || named.shard !== 1)) {
      // Named as a shard of an export, and nothing says it is the only one: an export still in progress or
      // half finished (its objects are tagged only once it completed), a bucket read without
      // s3:GetObjectTagging, or one file of several downloaded.
      throw new ShardSetError(
        `${only!.location} is named as shard ${named.shard} of export ${named.exportName}, and nothing says how many shards that recovery point has ` +
          '(no redis-dr:shard tag: an export still running or left half-finished, no s3:GetObjectTagging, or a local copy): ' +
          'give every shard, and --shards <n> (redis-dr status shows the count; --shards 1 for a recovery point of one shard)',
      );
    }
    return { files, shards: 1, ...slotsOf(files) };
  }
  const parsed = files.map((f) => ({ file: f, key: parseExportObjectKey(f.name) }));
  const unnamed = parsed.filter((p) => p.key === undefined);
  if (unnamed.length > 0) {
    throw new ShardSetError(
      `the files of a recovery point of several shards must be named <export>-0001.rdb, <export>-0002.rdb, … as the export writes them; ${list(unnamed.map((p) => p.file))} ` +
        `${unnamed.length === 1 ? 'is' : 'are'} not. Restore unrelated files one command at a time`,
    );
  }
  const exportNames = [...new Set(parsed.map((p) => p.key!.exportName))];
  if (exportNames.length > 1)
    throw new ShardSetError(`the files belong to ${exportNames.length} different exports (${exportNames.join(', ')}): give the shards of one recovery point`);
  const byShard = new Map<number, ShardFile>();
  for (const { file, key } of parsed) {
    const twice = byShard.get(key!.shard);
    if (twice) throw new ShardSetError(`shard ${key!.shard} is given twice (${twice.location} and ${file.location})`);
    if (file.tag && file.tag.shard !== key!.shard)
      throw new ShardSetError(
        `${file.location} is named shard ${key!.shard} but tagged shard ${file.tag.shard}: the object was renamed or mis-tagged; not restoring from it`,
      );
    if (file.snapshot !== undefined && file.snapshot !== key!.snapshot)
      throw new ShardSetError(
        `${file.location} is named shard ${key!.shard} of export ${key!.exportName} but tagged as written from snapshot ${file.snapshot}: ` +
          'an object of another export put under its name; not restoring from it',
      );
    byShard.set(key!.shard, file);
  }
  const tagged = files.filter((f) => f.tag);
  const counts = [...new Set(tagged.map((f) => f.tag!.shards))];
  if (counts.length > 1) throw new ShardSetError(`the files' tags disagree on the shard count (${counts.join(' and ')}): they are not one recovery point`);
  let shards: number;
  if (tagged.length === files.length) {
    shards = counts[0]!;
    if (expectedShards !== undefined && expectedShards !== shards) {
      throw new ShardSetError(`--shards ${expectedShards}, but the objects' tags say the recovery point has ${shards} shards`);
    }
  } else if (expectedShards !== undefined) {
    if (counts.length === 1 && counts[0] !== expectedShards)
      throw new ShardSetError(`--shards ${expectedShards}, but some objects' tags say ${counts[0]} shards`);
    shards = expectedShards;
  } else {
    throw new ShardSetError(
      `${files.length} files without a shard count (local files carry no tags): add --shards <n>, the number of shards of the recovery point ` +
        '(redis-dr status shows it), so that a missing shard is refused instead of restored around',
    );
  }
  const missing: number[] = [];
  for (let s = 1; s <= shards; s++) if (!byShard.has(s)) missing.push(s);
  const extra = [...byShard.keys()].filter((s) => s > shards);
  if (missing.length > 0 || extra.length > 0) {
    const name = exportNames[0]!;
    throw new ShardSetError(
      `the recovery point ${name} has ${shards} shards; ` +
        (missing.length > 0
          ? `shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`
          : `shard(s) ${extra.join(', ')} are beyond it`) +
        ': an incomplete set is refused',
    );
  }
  const ordered = [...byShard.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
  const layout = slotsOf(ordered);
  if (layout.slots) checkSlotLayout(ordered, layout.slots, exportNames[0]!);
  return { files: ordered, shards, exportName: exportNames[0], ...layout };
}

/**
 * The slots the shards' tags recorded must be a cluster's: every one of the 16,384 hash slots served by exactly one
 * shard. Tags that leave slots to no shard say the set lacks a shard (its keys would be restored around, and a
 * --verify that reads the files' keys would call the rest equal); two shards tagged with one slot are not one layout.
 */
function checkSlotLayout(files: readonly ShardFile[], slots: readonly (readonly (readonly [number, number])[])[], name: string): void {
  const owner = new Int16Array(16384).fill(-1);
  slots.forEach((ranges, i) => {
    for (const [a, b] of ranges)
      for (let s = a; s <= b; s++) {
        const seen = owner[s]!;
        if (seen >= 0 && seen !== i)
          throw new ShardSetError(
            `${files[seen]!.location} and ${files[i]!.location} are both tagged as serving hash slot ${s}: their redis-dr:shard tags are not one recovery point's layout`,
          );
        owner[s] = i;
      }
  });
  const gaps: string[] = [];
  let uncovered = 0;
  for (let s = 0; s < 16384; s++) {
    if (owner[s]! >= 0) continue;
    let e = s;
    while (e + 1 < 16384 && owner[e + 1]! < 0) e++;
    uncovered += e - s + 1;
    gaps.push(e === s ? String(s) : `${s}-${e}`);
    s = e;
  }
  if (uncovered > 0)
    throw new ShardSetError(
      `the redis-dr:shard tags of the ${files.length} shards of ${name} record no shard serving hash slot${uncovered === 1 ? '' : 's'} ` +
        `${gaps.slice(0, 5).join(', ')}${gaps.length > 5 ? ', …' : ''} (${uncovered} of 16384): a shard is missing or mis-tagged; an incomplete set is refused`,
    );
}

/** Every file's slot ranges, when every file's tag has them (and they parse). */
function slotsOf(files: readonly ShardFile[]): Pick<ShardSet, 'slots'> {
  const slots = files.map((f) => (f.tag?.slots === undefined ? undefined : parseSlotRanges(f.tag.slots)));
  return slots.every((s) => s !== undefined) && files.length > 1 ? { slots: slots as [number, number][][] } : {};
}

/**
 * Where a key of file `file` (shard order) belongs, checked against the
 * set: its slot must be in the slots the file's tag recorded, and no other
 * file may hold keys of that slot. Keeps a slot → file table (16,384
 * entries). Returns the problem, or undefined.
 */
export class SlotOwnership {
  private readonly owner = new Int16Array(16384).fill(-1);
  private readonly allowed?: Uint8Array[];

  constructor(private readonly set: ShardSet) {
    if (set.slots) {
      this.allowed = set.slots.map((ranges) => {
        const bits = new Uint8Array(16384);
        for (const [a, b] of ranges) bits.fill(1, a, b + 1);
        return bits;
      });
    }
  }

  /** A key of hash slot `slot` in file `file` (index in shard order). */
  check(file: number, slot: number): string | undefined {
    const seen = this.owner[slot]!;
    if (seen >= 0 && seen !== file) {
      return `${this.set.files[seen]!.location} and ${this.set.files[file]!.location} both hold keys of hash slot ${slot}: they are not the shards of one recovery point`;
    }
    this.owner[slot] = file;
    if (this.allowed && this.allowed[file]![slot] !== 1) {
      return `${this.set.files[file]!.location} holds a key of hash slot ${slot}, outside the slots its shard served (${this.set.files[file]!.tag!.slots})`;
    }
    return undefined;
  }
}
