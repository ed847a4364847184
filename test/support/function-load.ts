import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { bgsave, type RedisServer, startRedisServer } from './redis-server.js';

/**
 * Function libraries held against a real redis-server: its FUNCTION LOAD's verdict on one library (the same checks a
 * file's load makes: its first line, its Lua compiled, its top level run), a file it saved holding libraries, and
 * whether it starts on a file.
 */

/** The server's refusal of library `code` (FUNCTION LOAD REPLACE; its words without "ERR "), or undefined when it loads it. */
export function functionLoadRefusal(server: RedisServer, code: Uint8Array): Promise<string | undefined> {
  return server
    .client()
    .call('FUNCTION', 'LOAD', 'REPLACE', Buffer.from(code))
    .then(
      () => undefined,
      (err: Error) => err.message.replace(/^ERR /, ''),
    );
}

/**
 * Called inside a `describe`: a real server started before its tests and stopped after them, its verdict on a library
 * ({@link functionLoadRefusal}) and the server itself, for tests that hold a check against FUNCTION LOAD.
 */
export function functionLoadVerdicts(): { readonly refusal: (code: Uint8Array) => Promise<string | undefined>; readonly server: () => RedisServer } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => server?.stop());
  return { refusal: (code) => functionLoadRefusal(server!, code), server: () => server! };
}

/** A file a real server saved, uncompressed (rdbcompression no: the libraries' code lies in it as text to change), holding `libraries` and the key `k`. */
export async function savedWithLibraries(libraries: readonly string[]): Promise<Buffer> {
  const source = await startRedisServer({ args: ['--rdbcompression', 'no'] });
  try {
    const c = source.client();
    for (const library of libraries) await c.call('FUNCTION', 'LOAD', library);
    await c.set('k', 'v');
    return readFileSync(await bgsave(source, c));
  } finally {
    await source.stop();
  }
}

/** A real server's verdict on the file at `path`: the keys it holds once it loaded it, or undefined when it refused to start. */
export async function keysLoadedFrom(path: string): Promise<string[] | undefined> {
  const server = await startRedisServer({ loadRdb: path, readyTimeoutMs: 3000 }).catch(() => undefined);
  if (!server) return undefined;
  try {
    return await server.client().keys('*');
  } finally {
    await server.stop();
  }
}
