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

/**
 * The first key written twice in one object of JSON `text` (which must parse), or undefined. JSON.parse keeps the
 * last; another reader may keep the first, and a person reads both: a record whose text says two things is not the
 * one that was signed, though its parsed value is. Keys compare as parsed (`"p\u0061ssed"` is `"passed"`). A scan
 * over the text, as JSON.parse reports no duplicates and no JSON library at hand does.
 */
export function duplicateKey(text: string): string | undefined {
  // Per open container: the keys seen of an object, null for an array; whether the next string is a key.
  const open: (Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open.at(-1);
      if (keys && keyNext) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        keyNext = false;
      }
      i = end;
    } else if (c === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === ',') keyNext = open.at(-1) instanceof Set;
  }
  return undefined;
}
