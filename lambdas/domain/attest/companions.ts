/**
 * The files a signed record vouches for beside it (docs/attest.md): the
 * scheduled report's `report.json` (and a self-managed `report --signing-key`
 * JSON) carries, under `companions`, the SHA-256 and length of the HTML and
 * CSV files written in its folder (`report.html`, `csv/<name>.csv`),
 * so its signature covers them too (the field is part of the signed content).
 * `redis-dr attest` reads each named file beside the record and names the
 * one whose bytes are not what was signed. Paths are relative to the
 * record's folder, `/`-separated, never absolute or climbing out (`..`).
 * Pure.
 */
import { sha256Hex } from './canonical.js';

/** What a record says of one file beside it. */
export interface Companion {
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
  /** Its length in bytes. */
  readonly bytes: number;
}

/** The files beside a record, by path relative to the record's folder. */
export type Companions = Readonly<Record<string, Companion>>;

/** The field of a record that holds its companions. */
export const COMPANIONS_FIELD = 'companions';

/** The companions of files (each path relative to the record's folder) as their bytes are. */
export function companionsOfFiles(files: readonly { readonly path: string; readonly bytes: string | Uint8Array }[]): Companions {
  const out: Record<string, Companion> = {};
  for (const f of files) {
    const bytes = typeof f.bytes === 'string' ? Buffer.from(f.bytes, 'utf8') : f.bytes;
    out[f.path] = { sha256: sha256Hex(bytes), bytes: bytes.length };
  }
  return out;
}

/** A record's JSON text (two-space indented) with its companions set, before it is signed. */
export function withCompanions(jsonText: string, companions: Companions): string {
  const record = JSON.parse(jsonText) as Record<string, unknown>;
  return `${JSON.stringify({ ...record, [COMPANIONS_FIELD]: companions }, null, 2)}\n`;
}

/** Whether `path` stays inside the record's folder (relative, no `..`, no backslash or empty part). */
function isInside(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.includes('\\') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * The companions a parsed record names: none when it has no such field; `problem` when the field is not one
 * (a path climbing out of the folder, a digest that is not 64 hex digits, a length that is not a count).
 */
export function companionsOf(record: unknown): { readonly companions: Companions } | { readonly problem: string } | undefined {
  const field = (record as Record<string, unknown> | null)?.[COMPANIONS_FIELD];
  if (field === undefined) return undefined;
  if (field === null || typeof field !== 'object' || Array.isArray(field)) return { problem: `its ${COMPANIONS_FIELD} is not an object of files` };
  for (const [path, c] of Object.entries(field as Record<string, unknown>)) {
    if (!isInside(path)) return { problem: `its ${COMPANIONS_FIELD} names ${JSON.stringify(path)}, not a path inside its folder` };
    const { sha256, bytes } = (c ?? {}) as Partial<Companion>;
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isInteger(bytes) || (bytes as number) < 0)
      return { problem: `its ${COMPANIONS_FIELD} entry of ${path} is not a SHA-256 and a length` };
  }
  return { companions: field as Companions };
}

/** Why the file's bytes (undefined: not there) are not what the record signed; undefined when they are. */
export function companionProblem(expected: Companion, actual: Uint8Array | undefined, record: string): string | undefined {
  if (actual === undefined) return `is not there, and ${record} signed its SHA-256 (copy the report's folder whole)`;
  if (actual.length !== expected.bytes || sha256Hex(actual) !== expected.sha256)
    return `is not the file ${record} signed (changed after signing: ${actual.length} bytes, SHA-256 ${sha256Hex(actual).slice(0, 16)}…, signed ${expected.bytes} bytes, ${expected.sha256.slice(0, 16)}…)`;
  return undefined;
}
