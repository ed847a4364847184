import { expect } from 'vitest';
import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { createRdbVerifier, type RdbReport } from '../../lambdas/domain/rdb/verifier.js';

/**
 * Byte-built RDB files for the format tests (formats newer than the local
 * redis-server writes, built as their loaders read them): a length-prefixed
 * string, a little-endian 64-bit integer, a file with a real CRC-64 trailer,
 * and the verifier run whole and byte by byte.
 */

/** A string with a 6-bit length prefix (shorter than 64 bytes). */
export const str = (text: string): number[] => [text.length, ...Buffer.from(text)];

/** `n` as 8 little-endian bytes. */
export const le64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

/**
 * `magic`, `body`, EOF and a real CRC-64 trailer. Written into one array (each value taken modulo 256, as
 * `Uint8Array.from` takes it): spread into lists first, the bytes of the format tests' larger files cost seconds.
 */
export function file(magic: string, body: number[]): Uint8Array {
  const head = Buffer.from(magic, 'latin1');
  const bytes = new Uint8Array(head.length + body.length + 1 + 8);
  bytes.set(head, 0);
  bytes.set(body, head.length);
  const eof = head.length + body.length;
  bytes[eof] = 0xff;
  const crc = new Crc64().update(bytes, 0, eof + 1).value;
  bytes.set(le64(crc), eof + 1);
  return bytes;
}

/** The verifier's report of `bytes`, pushed whole or in chunks of `chunk` bytes. */
export function verify(bytes: Uint8Array, chunk?: number): RdbReport {
  const v = createRdbVerifier({ requireChecksum: true });
  if (!chunk) v.push(bytes);
  else for (let at = 0; at < bytes.length; at += chunk) v.push(bytes.subarray(at, at + chunk));
  return v.end();
}

/**
 * The reports of `bytes` whole and in chunks of 4093 bytes, 64 KiB + 7 and 1 MiB (a big value cut, so streamed where it
 * can be): the same verdict, message and warnings. The whole one is returned.
 */
export function sameVerdictInChunks(bytes: Uint8Array): RdbReport {
  const whole = verify(bytes);
  for (const chunk of [4093, 65_536 + 7, 1 << 20]) {
    const cut = verify(bytes, chunk);
    expect(cut.ok, `chunks of ${chunk}: ${cut.error?.message}`).toBe(whole.ok);
    expect(cut.error?.message, `chunks of ${chunk}`).toBe(whole.error?.message);
    expect(cut.warnings?.map((w) => w.message)).toEqual(whole.warnings?.map((w) => w.message));
    expect(cut.warningKinds).toEqual(whole.warningKinds);
  }
  return whole;
}

/** Whole and byte by byte: the parser resumes at any byte, so both must say the same. */
export function both(bytes: Uint8Array): RdbReport {
  const whole = verify(bytes);
  expect(verify(bytes, 1)).toEqual(whole);
  return whole;
}

/** Where stream node key `ms-seq` (a 16-byte string: its length byte 0x10, then ms and seq big-endian) lies in `rdb`, once: the offset of its first byte. */
export function streamNodeKeyAt(rdb: Uint8Array, ms: number, seq: number): number {
  const key = Buffer.alloc(17);
  key[0] = 0x10;
  key.writeBigUInt64BE(BigInt(ms), 1);
  key.writeBigUInt64BE(BigInt(seq), 9);
  const bytes = Buffer.from(rdb.buffer, rdb.byteOffset, rdb.length);
  const at = bytes.indexOf(key);
  expect(at).toBeGreaterThan(0);
  expect(bytes.indexOf(key, at + 1)).toBe(-1);
  return at + 1;
}

/** A file (RDB 10) with one string key in each of databases 0 … n−1: `k<db>` = `v`, the SELECTDBs' numbers 32-bit. */
export function manyDatabases(n: number): Uint8Array {
  const body: number[] = [];
  for (let db = 0; db < n; db++) body.push(0xfe, 0x80, db >>> 24, (db >>> 16) & 0xff, (db >>> 8) & 0xff, db & 0xff, 0, ...str(`k${db}`), ...str('v'));
  return file('REDIS0010', body);
}

/**
 * A file (RDB 10, no keys) of module AUX data of `n` modules, each named once (`AAAAAAAAB` on: the 9 characters of the
 * module id from its number), each its "when" (2) and an empty body.
 */
export function manyModuleAux(n: number): Uint8Array {
  const body: number[] = [];
  for (let i = 1; i <= n; i++) {
    const id = Buffer.alloc(8);
    id.writeBigUInt64BE(BigInt(i) << 10n);
    body.push(0xf7, 0x81, ...id, 0x02, 0x02, 0x00);
  }
  return file('REDIS0010', body);
}

/**
 * `rdb` (a file a real server wrote) as if saved at `ms`: its `ctime` AUX field (Redis writes it as a 32-bit integer
 * encoding, `FA 05 "ctime" C2` then 4 bytes little-endian) set to `ms`'s second, and the CRC-64 trailer made again.
 * Every other byte as the server wrote it.
 */
export function savedAt(rdb: Uint8Array, ms: number): Buffer {
  const out = Buffer.from(rdb);
  const at = out.indexOf(Buffer.from([0xfa, 5, ...Buffer.from('ctime'), 0xc2]));
  if (at < 0 || at > 256) throw new Error('no 32-bit ctime AUX field in the file head');
  out.writeUInt32LE(Math.floor(ms / 1000), at + 8);
  const crc = new Crc64().update(out, 0, out.length - 8).value;
  out.set(le64(crc), out.length - 8);
  return out;
}

/**
 * `rdb` (a file a real server wrote, uncompressed where `at` lies) with `text` written over the first `at` it holds
 * (as many bytes: a stored length stays right), and the CRC-64 trailer made again.
 */
export function rewritten(rdb: Uint8Array, at: string, text: string): Buffer {
  if (Buffer.byteLength(text, 'latin1') !== Buffer.byteLength(at, 'latin1'))
    throw new Error(`rewritten: ${JSON.stringify(text)} is not as long as ${JSON.stringify(at)}`);
  const out = Buffer.from(rdb);
  const i = out.indexOf(Buffer.from(at, 'latin1'));
  if (i < 0) throw new Error(`rewritten: ${JSON.stringify(at)} is not in the file`);
  out.write(text, i, 'latin1');
  out.set(le64(new Crc64().update(out, 0, out.length - 8).value), out.length - 8);
  return out;
}
