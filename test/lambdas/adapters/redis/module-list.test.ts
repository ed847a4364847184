import { describe, expect, it } from 'vitest';
import { noModuleLoaded } from '../../../../lambdas/adapters/redis/module-list.js';

describe("which targets have no module for a file's module value (MODULE LIST)", () => {
  const listing = (reply: unknown) => ({ call: async () => reply });
  it("counts Valkey 9.1's built-in Lua engine as no module (it holds no data); any other module, or a refused MODULE LIST, as one", async () => {
    expect(await noModuleLoaded(listing([]))).toBe(true);
    // A real Valkey 9.1.2's MODULE LIST (RESP2), and the same as RESP3 maps.
    expect(await noModuleLoaded(listing([['name', 'lua', 'ver', 1, 'path', 'lua', 'args', []]]))).toBe(true);
    expect(
      await noModuleLoaded(
        listing([
          new Map<string, unknown>([
            ['name', 'lua'],
            ['ver', 1],
          ]),
        ]),
      ),
    ).toBe(true);
    // A real Redis 8.6.3's: its vector sets are a module of their own.
    expect(await noModuleLoaded(listing([['name', 'vectorset', 'ver', 1, 'path', '', 'args', []]]))).toBe(false);
    expect(
      await noModuleLoaded(
        listing([
          ['name', 'lua'],
          ['name', 'ReJSON'],
        ]),
      ),
    ).toBe(false);
    expect(await noModuleLoaded({ call: async () => Promise.reject(new Error('NOPERM')) })).toBe(false);
  });
});
