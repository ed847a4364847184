/**
 * A test file's setting for `serve` over S3: moto started with its credentials and a bucket `backups`, a temporary
 * folder, and servers with their clients, each served point closed and the rest removed after the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type ServeOptions, type Serving, startServing } from '../../lambdas/jobs/serve/serve.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from './moto.js';

export interface ServeOverMoto {
  /** Moto, once started (in beforeAll). */
  readonly moto: MotoS3;
  /** The temporary folder. */
  readonly dir: string;
  /** `location` served (S3 through moto; `options` added), with a client connected to it. */
  client(location: string, options?: Partial<ServeOptions>): Promise<{ s: Serving; c: Redis }>;
}

/** Registers the file's beforeAll and afterAll; `prefix` names its temporary folder. */
export function serveOverMoto(prefix: string): ServeOverMoto {
  let moto: MotoS3 | undefined;
  let dir: string | undefined;
  let restoreCredentials: (() => void) | undefined;
  const serving: Serving[] = [];
  const clients: Redis[] = [];
  beforeAll(async () => {
    moto = await startMotoS3();
    restoreCredentials = useMotoCredentials();
    await moto.bucket('backups');
    dir = mkdtempSync(join(tmpdir(), prefix));
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(serving.map((s) => s.close()));
    restoreCredentials?.();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get moto() {
      return moto!;
    },
    get dir() {
      return dir!;
    },
    async client(location, options = {}) {
      const s = await startServing({ location, s3Endpoint: moto!.endpoint, port: 0, ...options });
      serving.push(s);
      const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      clients.push(c);
      return { s, c };
    },
  };
}
