import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGlob } from '../../../../lambdas/domain/keys/glob.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

const KEYS = ['a', 'ab', 'abc', 'b', 'set:1', 'zset:2', 'h?llo', 'hello', 'hallo', 'h*x', 'a[b', 'a-b', 'c]', '\\', 'x\ny', '', 'é', '123'];
const PATTERNS = [
  '*',
  'a*',
  '?',
  '??',
  'h?llo',
  'h\\?llo',
  'h[ae]llo',
  'h[^e]llo',
  'h[a-e]llo',
  'h[e-a]llo',
  'h\\*x',
  'a\\[b',
  '*[0-9]',
  '[',
  '[]',
  'a[-]b',
  '*:*',
  'x?y',
  '\\\\',
  'c]',
  '*\\',
  '[^a]*',
  'é',
];

describe('compileGlob matches key names as Redis KEYS does', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    for (const k of KEYS) if (k !== '') await c.set(k, '1');
  });
  afterAll(async () => server?.stop());

  it.each(PATTERNS)('%s', async (pattern) => {
    const expected = (await server.client().keysBuffer(pattern)).map((k) => k.toString('latin1')).sort();
    const match = compileGlob(pattern);
    const got = KEYS.filter((k) => k !== '' && match(Buffer.from(k)))
      .map((k) => Buffer.from(k).toString('latin1'))
      .sort();
    expect(got).toEqual(expected);
  });
});
