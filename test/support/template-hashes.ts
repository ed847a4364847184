/**
 * Redis 8.10 (RDB 15) hash templates built byte by byte (the local server writes no RDB 15): a template record
 * (opcode 242), keys that reference one (type 32: the id then the values; type 30: one listpack, the id first), and a
 * small file of each beside a string, as format/hash-template.ts reads them.
 */
import { file, str } from './rdb-bytes.js';

/** Opcode 242: template `id` (under 64), its field count, then its field names (sorted by length, then bytes). */
export const template = (id: number, fields: string[]): number[] => [0xf2, id, fields.length, ...fields.flatMap((f) => str(f))];
/** Type 32: a key, template `id`, then one value per field. */
export const arrayRef = (key: string, id: number, values: string[]): number[] => [0x20, ...str(key), id, ...values.flatMap((v) => str(v))];

/** A listpack of a small integer (the template id) and short strings. */
function listpack(id: number, values: string[]): number[] {
  const entries = [id, 1, ...values.flatMap((v) => [0x80 | v.length, ...Buffer.from(v), 1 + v.length])];
  const total = 6 + entries.length + 1;
  return [total & 0xff, total >> 8, 0, 0, values.length + 1, 0, ...entries, 0xff];
}

/** Type 30: a key, then the listpack of template `id` and the values. */
export const listpackRef = (key: string, id: number, values: string[]): number[] => {
  const lp = listpack(id, values);
  return [0x1e, ...str(key), lp.length, ...lp];
};

/** h1 and h3 by template arrays (type 32), h2 by a template listpack (type 30), beside a string s; the hashes they stand for. */
export function templateFile(): Uint8Array {
  return file('REDIS0015', [
    ...[0xfe, 0x00, ...template(1, ['age', 'city', 'name']), ...template(2, ['a'])],
    ...arrayRef('h1', 1, ['42', 'Paris', 'Ann']),
    ...listpackRef('h2', 1, ['7', 'Oslo', 'Bo']),
    ...arrayRef('h3', 2, ['x']),
    ...[0x00, ...str('s'), ...str('v')],
  ]);
}

/** What {@link templateFile}'s hashes hold. */
export const TEMPLATE_FILE_HASHES = {
  h1: { age: '42', city: 'Paris', name: 'Ann' },
  h2: { age: '7', city: 'Oslo', name: 'Bo' },
  h3: { a: 'x' },
} as const;
