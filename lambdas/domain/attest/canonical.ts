/**
 * The canonical form of a JSON value, so a digest of a record is the same
 * whoever writes it out: object keys sorted, no whitespace, numbers and
 * strings as JSON.stringify writes them (RFC 8785's ordering for the ASCII
 * keys records use). Pure.
 */
import { createHash } from 'node:crypto';

/** `value` as canonical JSON text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 of `text` (UTF-8), hex. */
export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The digest of a JSON value's canonical form. */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
