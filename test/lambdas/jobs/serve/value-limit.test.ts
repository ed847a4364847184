/**
 * A value over proto-max-bulk-len (512 MiB) is answered with an error naming
 * the key and the limit, never read nor decompressed whole. Tested with the
 * limit lowered (`maxValueBytes`, the CLI's `--proto-max-bulk-len`) on a file
 * a real redis-server wrote: a value over it as stored, one stored
 * LZF-compressed under it that declares more, and one under it.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeclaredSize, declaredStringBytes } from '../../../../lambdas/domain/serve/value-limit.js';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { RawClient } from '../../../support/resp-raw.js';
import { startRedisServer } from '../../../support/redis-server.js';

const LIMIT = 1000;
let dir: string;
let serving: Serving;
let raw: RawClient;
const bigValue = randomBytes(2000);
// Exactly the limit (answered: Redis's check is `> proto-max-bulk-len`), and one byte more (refused).
const atLimit = randomBytes(LIMIT);
const overByOne = randomBytes(LIMIT + 1);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-limit-'));
  const server = await startRedisServer();
  const c = server.client();
  // Random bytes do not compress: stored as 2,000 bytes. 'x' × 5,000 is stored LZF-compressed in a few dozen bytes.
  await c
    .pipeline()
    .set('big', bigValue)
    .set('packed', 'x'.repeat(5000))
    .set('small', 'ok')
    .set('at-limit', atLimit)
    .set('over-by-one', overByOne)
    .rpush('list', 'a', 'b')
    // LCS of these two: a table of 17 × 17 cells of 4 bytes, 1,156 bytes: over the limit.
    .set('lcs:a', 'abcdefghijklmnop')
    .set('lcs:b', 'bcdefghijklmnopq')
    .exec();
  await c.save();
  copyFileSync(server.rdbPath, join(dir, 'point.rdb'));
  c.disconnect();
  await server.stop();
  serving = await startServing({ location: join(dir, 'point.rdb'), port: 0, maxValueBytes: LIMIT });
  raw = await RawClient.open(serving.port);
}, 60_000);

afterAll(async () => {
  raw?.close();
  await serving?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve: values over proto-max-bulk-len', () => {
  it('answers a value stored over the limit with an error naming the key and the limit, and keeps serving', async () => {
    const reply = await raw.call('GET', 'big');
    expect(reply).toMatch(/^-ERR redis-dr serve could not answer GET: the value of "big" takes 20\d\d bytes, more than the 1000 a reply may hold/);
    expect(reply).toContain('proto-max-bulk-len): restore the point to read it');
    expect(await raw.call('DUMP', 'big')).toMatch(/^-ERR .*"big" takes/);
    expect(await raw.call('GET', 'small')).toBe('$2\r\nok\r\n');
    expect(await raw.call('LRANGE', 'list', '0', '-1')).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  });

  it('answers a string of exactly the limit (GET, DUMP) and refuses one a byte longer, though both heads fit in the slack (session 36)', async () => {
    // Before: the 2-byte length head counted as the value's, so a string of exactly the limit was refused.
    expect(await raw.call('GET', 'at-limit')).toBe(`$${LIMIT}\r\n${atLimit.toString('latin1')}\r\n`);
    expect(await raw.call('DUMP', 'at-limit')).toMatch(/^\$10\d\d\r\n/);
    expect(await raw.call('GET', 'over-by-one')).toMatch(
      /^-ERR redis-dr serve could not answer GET: the value of "over-by-one" holds 1001 bytes, more than the 1000 a reply may hold/,
    );
    expect(await raw.call('DUMP', 'over-by-one')).toMatch(/^-ERR .*"over-by-one" holds 1001 bytes/);
    expect(await raw.call('GETRANGE', 'over-by-one', '0', '-1')).toMatch(/^-ERR .*"over-by-one" takes 1001 bytes/);
    expect(await raw.call('GETRANGE', 'over-by-one', '1', '-1')).toBe(`$${LIMIT}\r\n${overByOne.subarray(1).toString('latin1')}\r\n`);
    expect(await raw.call('STRLEN', 'over-by-one')).toBe(`:${LIMIT + 1}\r\n`);
  });

  it('refuses a compressed string whose declared length is over the limit before decompressing it', async () => {
    const reply = await raw.call('GET', 'packed');
    expect(reply).toMatch(
      /^-ERR redis-dr serve could not answer GET: the value of "packed" holds \(LZF-compressed to \d+ in the file\) 5000 bytes, more than the 1000/,
    );
    expect(await raw.call('GETRANGE', 'packed', '0', '3')).toMatch(/"packed" holds/);
  });

  it('answers STRLEN of a string over the limit from its header, and GETRANGE of a plain one within the limit from its bytes in the file', async () => {
    expect(await raw.call('STRLEN', 'packed')).toBe(':5000\r\n');
    expect(await raw.call('STRLEN', 'big')).toBe(':2000\r\n');
    expect(await raw.call('STRLEN', 'small')).toBe(':2\r\n');
    expect(await raw.call('STRLEN', 'list')).toMatch(/^-WRONGTYPE/);
    expect(await raw.call('GETRANGE', 'big', '0', '9')).toBe(`$10\r\n${bigValue.subarray(0, 10).toString('latin1')}\r\n`);
    expect(await raw.call('GETRANGE', 'big', '-5', '-1')).toBe(`$5\r\n${bigValue.subarray(1995).toString('latin1')}\r\n`);
    expect(await raw.call('GETRANGE', 'big', '1500', '1000')).toBe('$0\r\n\r\n');
    // The range itself over the limit: refused, named.
    expect(await raw.call('GETRANGE', 'big', '0', '-1')).toMatch(/^-ERR redis-dr serve could not answer GETRANGE: the value of "big" takes 2000 bytes/);
  });

  it("the lowered limit is the server's proto-max-bulk-len: CONFIG GET says it, LCS's table is bounded by it (7.0's check; it was 512 MiB whatever the limit)", async () => {
    expect(await raw.call('CONFIG', 'GET', 'proto-max-bulk-len')).toBe('*2\r\n$18\r\nproto-max-bulk-len\r\n$4\r\n1000\r\n');
    expect(await raw.call('LCS', 'lcs:a', 'lcs:b', 'LEN')).toBe('-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n');
    // Negative: a table within it (3 × 17 cells) is answered.
    expect(await raw.call('LCS', 'small', 'lcs:a', 'LEN')).toBe(':1\r\n'); // 'ok' and …o…: one in common
    expect(await raw.call('LCS', 'lcs:a', 'lcs:b')).toMatch(/^-ERR Insufficient memory/);
  });

  it('reads the declared length from the LZF header alone (a crafted 600 MiB declaration, a few bytes)', () => {
    // 0xc3: LZF; compressed length 2 (6-bit); plain length 0x80 + u32 big-endian 600 MiB.
    const head = Buffer.from([0xc3, 0x02, 0x80, ...[0, 0, 0, 0].map((_, i) => ((600 * 1024 * 1024) >>> (8 * (3 - i))) & 0xff), 0x00, 0x00]);
    expect(declaredStringBytes(0, head)).toBe(600 * 1024 * 1024);
    expect(declaredStringBytes(14, head)).toBeUndefined();
    expect(() => checkDeclaredSize({ name: Buffer.from('huge'), type: 0 }, head, 512 * 1024 * 1024)).toThrow(
      /the value of "huge" holds \(LZF-compressed to 9 in the file\) 629145600 bytes, more than the 536870912/,
    );
  });
});
