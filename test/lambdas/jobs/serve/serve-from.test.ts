/**
 * `serve --from <destination> [--point <file>]`: a backup of a self-managed
 * destination chosen by its file name (the chooser `drill local --from`
 * uses), in a folder and on a real S3 API (moto), and the one-line errors for
 * a point that is not there.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';
import { backupFileName, formatReadBackTag } from '../../../../lambdas/domain/self-managed/backup.js';
import { FoundProblem } from '../../../../lambdas/jobs/kernel/found-problem.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { keyHistoryOf } from '../../../../lambdas/jobs/serve/history.js';
import { servePoint } from '../../../../lambdas/jobs/serve/serve-point.js';
import { EndpointError } from '../../../../lambdas/jobs/serve/serve.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { startRedisServer } from '../../../support/redis-server.js';

const T = [Date.UTC(2030, 10, 24, 3, 0), Date.UTC(2030, 10, 24, 4, 0)];
const name = (i: number): string => backupFileName('cache', new Date(T[i]!));
let root: string;
let moto: MotoS3;
let restoreCredentials: () => void;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redis-dr-serve-from-'));
  mkdirSync(join(root, 'dest'));
  moto = await startMotoS3();
  restoreCredentials = useMotoCredentials();
  await moto.bucket('backups');
  const server = await startRedisServer();
  const c = server.client();
  for (const [i, value] of ['v1', 'v2'].entries()) {
    await c.set('k', value);
    await c.save();
    copyFileSync(server.rdbPath, join(root, 'dest', name(i)));
    await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${name(i)}`, Body: readFileSync(server.rdbPath) }));
  }
  c.disconnect();
  await server.stop();
}, 60_000);

afterAll(async () => {
  restoreCredentials?.();
  await moto?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function getK(from: string, point: string, s3Endpoint?: string): Promise<{ value: string | null; chosen?: string }> {
  const serving = await servePoint({ kind: 'destination', from, point, ...(s3Endpoint ? { s3Endpoint } : {}) }, { port: 0 });
  const c = new Redis({ port: serving.port });
  try {
    return { value: await c.get('k'), chosen: serving.point };
  } finally {
    c.disconnect();
    await serving.close();
  }
}

describe('serve --from <destination> --point <file>', () => {
  it('serves the backup the point names, in a folder and on S3 (no --target: the name says it)', async () => {
    expect(await getK(`file://${join(root, 'dest')}`, name(0))).toEqual({ value: 'v1', chosen: name(0) });
    expect(await getK(`file://${join(root, 'dest')}`, name(1).replace(/\.rdb$/, ''))).toEqual({ value: 'v2', chosen: name(1) });
    expect(await getK('s3://backups/prod', name(0), moto.endpoint)).toEqual({ value: 'v1', chosen: name(0) });
  }, 30_000);

  it('names a point that is not there, with the newest there is', async () => {
    const missing = backupFileName('cache', new Date(Date.UTC(2020, 0, 1)));
    const attempt = servePoint({ kind: 'destination', from: `file://${join(root, 'dest')}`, point: missing }, { port: 0 });
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(servePoint({ kind: 'destination', from: `file://${join(root, 'dest')}`, point: missing }, { port: 0 })).rejects.toThrow(
      `--point ${missing}: no backup of cache of that name in file://${join(root, 'dest')}; give one of its file names (the newest is ${name(1)})`,
    );
    await expect(servePoint({ kind: 'destination', from: 's3://backups/prod', point: missing, s3Endpoint: moto.endpoint }, { port: 0 })).rejects.toThrow(
      /no backup of cache of that name in s3:\/\/backups\/prod/,
    );
  }, 30_000);

  it('without --point, names the backup before the newest when the newest will not open (corrupt), as a command to paste', async () => {
    const dest = join(root, 'newest-corrupt');
    const fine = join(root, 'both-proven');
    mkdirSync(dest);
    mkdirSync(fine);
    for (let i = 0; i < 2; i++) {
      const bytes = readFileSync(join(root, 'dest', name(i)));
      // Both proven stored (their read-back records), then the newest damaged on disk since: the verifier refuses it.
      const readBack = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      for (const d of [dest, fine]) writeFileSync(join(d, `${name(i)}.json`), JSON.stringify({ tier: 'daily', target: 'cache', keys: 1, readBack }));
      writeFileSync(join(fine, name(i)), bytes);
      if (i === 1) bytes[bytes.length - 12]! ^= 0xff;
      writeFileSync(join(dest, name(i)), bytes);
    }
    const from = `file://${dest}`;
    // Still a problem found in the data (exit 1 in the CLI) once the older backup is named, not a usage error.
    await expect(servePoint({ kind: 'destination', from }, { port: 0 })).rejects.toBeInstanceOf(FoundProblem);
    await expect(servePoint({ kind: 'destination', from }, { port: 0 })).rejects.toThrow(
      new RegExp(
        `is corrupt \\(the verifier's verdict.*; the backup before it \\(not verified yet; add the other options you gave\\): redis-dr serve --from ${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --point ${name(0)}$`,
      ),
    );
    // A problem of the endpoint is no reason for older data: a port in use with a newest backup that opens names none.
    const busy = await servePoint({ kind: 'destination', from: `file://${fine}` }, { port: 0 });
    try {
      await expect(servePoint({ kind: 'destination', from: `file://${fine}` }, { port: busy.port })).rejects.toThrow(EndpointError);
      await expect(servePoint({ kind: 'destination', from: `file://${fine}` }, { port: busy.port })).rejects.toThrow(/is in use[^;]*$/);
    } finally {
      await busy.close();
    }
    // That command serves it.
    expect(await getK(from, name(0))).toEqual({ value: 'v1', chosen: name(0) });
  }, 30_000);

  it('refuses a backup replaced since it was stored by another valid RDB of its size, as history does (aud35)', async () => {
    const dest = join(root, 'newest-replaced');
    mkdirSync(dest);
    const files = [0, 1].map((i) => readFileSync(join(root, 'dest', name(i))));
    for (const [i, bytes] of files.entries()) {
      const readBack = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      writeFileSync(join(dest, `${name(i)}.json`), JSON.stringify({ tier: 'daily', target: 'cache', keys: 1, readBack }));
    }
    // The newest's bytes are now the older backup's (k = v1): a valid RDB, of the length its record proves.
    expect(files[0]!.length).toBe(files[1]!.length);
    writeFileSync(join(dest, name(0)), files[0]!);
    writeFileSync(join(dest, name(1)), files[0]!);
    const from = `file://${dest}`;
    const notIt = new RegExp(
      `${name(1)} is not the backup its record names: its SHA-256 is [0-9a-f]{64}, the record .* says [0-9a-f]{64}: it was replaced or changed since`,
    );
    await expect(servePoint({ kind: 'destination', from }, { port: 0 })).rejects.toThrow(notIt);
    await expect(servePoint({ kind: 'destination', from, point: name(1) }, { port: 0 })).rejects.toThrow(notIt);
    // A problem found in the data (exit 1 in the CLI), not a usage error.
    await expect(servePoint({ kind: 'destination', from, point: name(1) }, { port: 0 })).rejects.toBeInstanceOf(FoundProblem);
    // The older one is what its record names: served.
    expect(await getK(from, name(0))).toEqual({ value: 'v1', chosen: name(0) });
    const h = await keyHistoryOf({ from, key: Buffer.from('k') });
    expect(h.rows!.map((r) => [r.point, r.exists, r.change])).toEqual([[name(0), true, 'first']]);
    expect(h.unreadable).toEqual([{ point: name(1), why: expect.stringMatching(notIt) }]);
    // On S3: proven by its read-back tag, no key index beside it (read whole, then hashed).
    for (const [i, bytes] of files.entries()) {
      const readBack = formatReadBackTag(bytes.length, createHash('sha256').update(bytes).digest('hex'));
      const Tagging = `${encodeURIComponent(TAGS.managed)}=true&${encodeURIComponent(TAGS.tier)}=daily&${encodeURIComponent(TAGS.readBack)}=${encodeURIComponent(readBack)}`;
      await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `replaced/${name(i)}`, Body: files[0]!, Tagging }));
    }
    const s3 = { kind: 'destination' as const, from: 's3://backups/replaced', s3Endpoint: moto.endpoint };
    await expect(servePoint(s3, { port: 0 })).rejects.toThrow(notIt);
    expect(await getK(s3.from, name(0), moto.endpoint)).toEqual({ value: 'v1', chosen: name(0) });
  }, 30_000);
});
