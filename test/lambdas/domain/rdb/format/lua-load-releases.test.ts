/**
 * The releases judged past Redis 7.4 and Valkey 8.0 (lua-load.ts, lua-load-calls.ts), each read from its source at a
 * release: Redis 8.0 (8.0.6) and 8.6 (8.6.3), whose load environment and calls are 7.4's. No such server is installed
 * here: the verdicts below were held against a Redis 8.0.6 and 8.6.3 built from those sources when they were written
 * (FUNCTION LOAD). Releases not read stay not judged.
 */
import { describe, expect, it } from 'vitest';
import { libraryLoadRefusal, loadEnvironment, loadEnvironmentOfInfo } from '../../../../../lambdas/domain/rdb/format/lua-load.js';

const library = (body: string): Buffer => Buffer.from(`#!lua name=probe\n${body}`, 'latin1');
const fn = 'function() return 1 end';
const env = (engine: 'redis' | 'valkey', version: string) => loadEnvironment(engine, version)!;

describe('loadEnvironment past Redis 7.4', () => {
  it('judges Redis 8.0 and 8.6; not Redis 8.2, 8.4, 8.8, 8.10 (not read at a release) nor Valkey 8.1 on', () => {
    expect(['8.0', '8.0.6', '8.6.3'].map((v) => loadEnvironment('redis', v)?.release)).toEqual(['Redis 8.0', 'Redis 8.0', 'Redis 8.6']);
    for (const named of ['redis 8.2.1', 'redis 8.4.0', 'redis 8.8', 'redis 8.10.0', 'valkey 8.1.1', 'valkey 9.0.0']) {
      const [engine, v] = named.split(' ') as ['redis' | 'valkey', string];
      expect(loadEnvironment(engine, v), named).toBeUndefined();
    }
    // A live target by its INFO (migrate --from-rdb --functions).
    expect(loadEnvironmentOfInfo('# Server\r\nredis_version:8.6.3\r\nos:Linux\r\n')?.release).toBe('Redis 8.6');
    expect(loadEnvironmentOfInfo('# Server\r\nredis_version:8.2.1\r\nos:Linux\r\n')).toBeUndefined();
  });
});

describe('Redis 8.0 and 8.6: as Redis 7.4', () => {
  it("refuses Valkey's server, a bad log level in 7.4's words, a bad name in register_function's call", () => {
    for (const version of ['8.0.6', '8.6.3']) {
      const e = env('redis', version);
      expect(libraryLoadRefusal(library(`server.register_function('f', ${fn})`), e)).toBe(
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'server'",
      );
      expect(libraryLoadRefusal(library(`redis.register_function('f', ${fn})\nredis.log(4, 'x')`), e)).toBe(
        'Error registering functions: ERR Invalid log level.',
      );
      expect(libraryLoadRefusal(library(`redis.register_function('f-', ${fn})\nnope()`), e)).toBe(
        'Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      );
      expect(libraryLoadRefusal(library(`redis.register_function{function_name='f', callback=${fn}, flags={'no-writes', 'bogus'}}`), e)).toBe(
        'Error registering functions: ERR unknown flag given',
      );
      // Negative: what 7.4 loads.
      expect(libraryLoadRefusal(library(`redis.log(redis.LOG_NOTICE, 'x')\nredis.register_function('f', ${fn})`), e)).toBeUndefined();
    }
  });
});
