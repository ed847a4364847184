/**
 * Valkey 9's slot import state (opcode 243 in `VALKEY` files): written by
 * `clusterRDBSaveSlotImports` for every atomic slot migration this node was
 * importing when it saved, so a snapshot taken while a cluster reshards
 * carries it. The record is the job's name (a string of exactly 40
 * characters, CLUSTER_NAMELEN), the number of slot ranges, then each range's
 * first and last slot as RDB lengths; `clusterRDBLoadSlotImport` reads it
 * back. The keys of those slots are ordinary keys in the file. Pure.
 *
 * @see https://github.com/valkey-io/valkey/blob/unstable/src/cluster_migrateslots.c
 */

/** Length of a slot migration job's name (CLUSTER_NAMELEN: a 160-bit id in hex). */
export const SLOT_IMPORT_NAME_BYTES = 40;
/** Hash slots of a Redis/Valkey cluster: ranges lie in [0, 16383]. */
export const CLUSTER_SLOTS = 16384;
/** Slot imports kept in a report (the count of all of them is reported too). */
export const MAX_SLOT_IMPORTS_KEPT = 16;
/** Ranges kept per slot import in a report (the count of all of them is reported too): reports and checkpoints stay a few KB. */
export const MAX_SLOT_RANGES_KEPT = 32;

/**
 * Why a job name cannot be one Valkey wrote, or null. The loader copies 40
 * bytes out of the name whatever its length, so a shorter one would be read
 * past its end: no server writes it.
 */
export function slotImportNameProblem(length: number): string | null {
  return length === SLOT_IMPORT_NAME_BYTES
    ? null
    : `job name of ${length} bytes; Valkey writes the ${SLOT_IMPORT_NAME_BYTES}-character job id (CLUSTER_NAMELEN)`;
}

/** Why a range count cannot be one Valkey wrote, or null: ranges never overlap, so there are at most 16384. */
export function slotRangeCountProblem(count: number): string | null {
  return count <= CLUSTER_SLOTS ? null : `${count} slot ranges, more than the ${CLUSTER_SLOTS} slots of a cluster`;
}

/** Why a range cannot be one Valkey wrote, or null (CLUSTER MIGRATESLOTS checks both slots and their order). */
export function slotRangeProblem(start: number, end: number): string | null {
  if (end >= CLUSTER_SLOTS) return `slot range ${start}-${end} ends past slot ${CLUSTER_SLOTS - 1}`;
  if (start > end) return `slot range ${start}-${end} starts after it ends`;
  return null;
}
