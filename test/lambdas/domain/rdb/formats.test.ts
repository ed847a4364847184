import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/crc64.js';
import { createRdbVerifier, rdbVerdict, type RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';
import { formatRdbSummary, parseRdbSummary, verdictTags } from '../../../../lambdas/domain/rdb-summary.js';

/**
 * RDB formats newer than the local redis-server (7.0) writes or reads, built
 * byte by byte as their loaders read them (Redis and Valkey `src/rdb.c`), and
 * what the verifier says of formats it does not know: "unsupported", a
 * verdict apart from "corrupt", never "valid".
 */
const str = (text: string): number[] => [text.length, ...Buffer.from(text)];
const le64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
/** A file with a real CRC-64 trailer. */
function file(magic: string, body: number[]): Uint8Array {
  const bytes = Uint8Array.from([...Buffer.from(magic, 'latin1'), ...body, 0xff]);
  const crc = new Crc64().update(bytes, 0, bytes.length).value;
  return Uint8Array.from([...bytes, ...le64(crc)]);
}
function verify(bytes: Uint8Array, chunk?: number): RdbReport {
  const v = createRdbVerifier({ requireChecksum: true });
  if (!chunk) v.push(bytes);
  else for (let at = 0; at < bytes.length; at += chunk) v.push(bytes.subarray(at, at + chunk));
  return v.end();
}
/** Whole and byte by byte: the parser resumes at any byte, so both must say the same. */
function both(bytes: Uint8Array): RdbReport {
  const whole = verify(bytes);
  expect(verify(bytes, 1)).toEqual(whole);
  return whole;
}

describe('formats the verifier does not know: unsupported, not corrupt, never valid', () => {
  it.each([
    ['REDIS0099', 99, /^a Redis newer than /],
    ['VALKEY099', 99, /^a Valkey newer than /],
  ])('%s is unsupported (version %i), named as such', (magic, version, writer) => {
    const report = both(file(magic, [0xfe, 0x00, 0x00, ...str('k'), ...str('v')]));
    expect(report.ok).toBe(false);
    expect(report.unsupported).toMatchObject({ version, writtenBy: expect.stringMatching(writer) });
    expect(report.error?.message).toMatch(new RegExp(`^unsupported format \\(version ${version}, written by `));
    expect(rdbVerdict(report)).toBe('unsupported');
  });

  it.each([
    ['a VALKEY file in the range Valkey reserves for foreign formats', 'VALKEY011'],
    ['version 0', 'REDIS0000'],
    ['a file that is no RDB', 'HELLO0011'],
  ])('%s is corrupt, not unsupported', (_what, magic) => {
    const report = both(file(magic, []));
    expect(report.ok).toBe(false);
    expect(report.unsupported).toBeUndefined();
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('tags an unsupported file "unsupported" with a summary that reads back as unsupported, never as an error', () => {
    const report = verify(file('REDIS0099', []));
    const tags = verdictTags(report);
    expect(tags['redis-dr:verified']).toBe('unsupported');
    expect(formatRdbSummary(report)).toMatch(/^v=99 keys=0 expires=0 unsupported@9=unsupported format version 99 written by a Redis newer than/);
    const summary = parseRdbSummary(tags['redis-dr:rdb']);
    expect(summary).toMatchObject({ version: 99, unsupported: { offset: 9 } });
    expect(summary?.error).toBeUndefined();
    // A corrupt file still reads back as an error.
    expect(parseRdbSummary(formatRdbSummary(verify(file('REDIS0000', [])))))?.toHaveProperty('error');
  });
});
