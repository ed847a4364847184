/**
 * The storage a destination option names (`--to` of backup and ship-aof,
 * `--from` of restore-aof, `--destination` of retention release): a folder
 * (`file:///absolute/dir`) or an S3 prefix (`s3://bucket/prefix`, on AWS or
 * an S3-compatible store given with `--s3-endpoint`). The one factory for the
 * backup and the AOF stores the self-managed jobs are given; the AWS SDK
 * loads only for `s3://` (a file:// run stays about 60 MiB lighter). Also
 * what a backup reads its server with.
 */
import { open, stat } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { AofDirectory, RestoreDirectory, serverAofState } from '../../adapters/storage/aof-dir.js';
import { connectUrl, type UrlCredentials } from '../../adapters/redis/dump-restore.js';
import { startLocalRedis } from '../../adapters/redis/local-server.js';
import { findServerBinary, LocalRedisError } from '../../adapters/redis/server-binary.js';
import { pullRdb } from '../../adapters/redis/sync.js';
import { type AofStore, FileAofStore, S3AofStore } from '../../adapters/storage/aof-store.js';
import { type BackupStore, FileBackupStore, parseDestination } from '../../adapters/storage/backup-store.js';
import { UsageError } from '../kernel/usage-error.js';
import type { BackupDeps } from './backup.js';
import type { RestoreAofDeps, RestoreAofRequest } from './restore-aof.js';
import type { ShipAofDeps, ShipAofRequest } from './ship-aof-types.js';

/** A heartbeat URL with its secret part hidden, for messages (heartbeat URLs carry tokens). */
export { redactUrl as redactHeartbeatUrl } from '../../adapters/host/heartbeat.js';

/** How a kind of store is made from a folder or from an S3 prefix. */
export interface StoreMaker<T> {
  readonly file: (dir: string) => Promise<T> | T;
  readonly s3: (client: S3Client, bucket: string, prefix: string) => Promise<T> | T;
}

/** The store `url` names (through `make`), or a usage error naming `option` and what to write. */
export async function openDestination<T>(option: string, url: string, s3Endpoint: string | undefined, make: StoreMaker<T>): Promise<T> {
  const dest = parseDestination(url);
  if (!dest) throw new UsageError(`${option} ${url} is not a destination: write file:///absolute/dir or s3://bucket/prefix`);
  if (dest.kind === 'file') {
    if (s3Endpoint) throw new UsageError(`--s3-endpoint ${s3Endpoint} is for s3:// destinations, and ${option} is ${url}: drop --s3-endpoint`);
    return make.file(dest.dir);
  }
  if (s3Endpoint !== undefined && !/^https?:\/\/[^/]+/.test(s3Endpoint)) {
    throw new UsageError(`--s3-endpoint ${s3Endpoint} is not an http(s) URL: write e.g. http://127.0.0.1:9000`);
  }
  const { bucketExists, storageS3Client } = await import('../../adapters/aws/s3/client.js');
  const client = storageS3Client(s3Endpoint ? { endpoint: s3Endpoint } : {});
  // A bucket that is not there is a typo, as a missing folder is (exit 2, nothing done), not a failed run.
  if (!(await bucketExists(client, dest.bucket)))
    throw new UsageError(`${option} ${url}: no such bucket ${dest.bucket} (NoSuchBucket). Check the name (a typo?), or create the bucket first`);
  return make.s3(client, dest.bucket, dest.prefix);
}

/**
 * The backup store a destination option names (`create`: make a missing
 * folder). Without `create`, a folder that is not there is a usage error
 * (exit 2, nothing done: a mistyped path), not a failed backup; `'source'`:
 * a destination read (scrub, drill, serve), which has no `--create` to advise.
 */
export function openBackupStore(to: string, s3Endpoint: string | undefined, option = '--to', create: boolean | 'source' = true): Promise<BackupStore> {
  return openDestination<BackupStore>(option, to, s3Endpoint, {
    file: async (dir) => {
      if (create !== true && !(await folderExists(dir)))
        throw new UsageError(
          create === 'source'
            ? `${option} ${to}: no such folder. Check the path (a typo?): it is where backup --to wrote`
            : `${option} ${to}: no such folder. Check the path (a typo?), or add --create to make it (the first run of a new destination)`,
        );
      return new FileBackupStore(dir, { create: create === true });
    },
    s3: s3BackupStore,
  });
}

/** The backup store of an S3 prefix (the SDK-backed store loads only for s3://). */
export const s3BackupStore: StoreMaker<BackupStore>['s3'] = async (client, bucket, prefix) =>
  new (await import('../../adapters/storage/backup-store-s3.js')).S3BackupStore(client, bucket, prefix);

/** Whether `dir` is there (a folder, or anything else the store then refuses with its own words); other faults are the store's to report. */
async function folderExists(dir: string): Promise<boolean> {
  try {
    await stat(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * What a backup reads the server at `redisUrl` with: a connection (as
 * `redis-dr-backup`, with `credentials` when given outside the URL), a
 * replication pull (remote mode) and the saved file (local mode).
 */
export function backupSourceClients(redisUrl: string, credentials: UrlCredentials | undefined): Pick<BackupDeps, 'connect' | 'pull' | 'openFile'> {
  return {
    connect: () => connectUrl(redisUrl, 'redis-dr-backup', credentials),
    pull: pullRdb,
    openFile: async (path) => (await open(path, 'r')).createReadStream({ highWaterMark: 1 << 20 }),
  };
}

/** The AOF store a destination option names (`--to` of ship-aof, `--from` of restore-aof). */
export function openAofStore(option: string, url: string, s3Endpoint: string | undefined, create: boolean | 'source' = false): Promise<AofStore> {
  return openDestination<AofStore>(option, url, s3Endpoint, {
    // The rule backup has: a missing folder is a typo unless --create says it is the first run (a source is never made).
    file: async (dir) => {
      if (create !== true && !(await folderExists(dir)))
        throw new UsageError(
          create === 'source'
            ? `${option} ${url}: no such folder. Check the path (a typo?): it is where ship-aof shipped to`
            : `${option} ${url}: no such folder. Check the path (a typo?), or add --create to make it (the first run of a new destination)`,
        );
      return new FileAofStore(dir);
    },
    s3: (client, bucket, prefix) => new S3AofStore(client, bucket, prefix),
  });
}

/**
 * What ship-aof reads with: the server's AOF directory `dir` and, with
 * `redisUrl`, the server's own state (INFO persistence, as `redis-dr-ship-aof`);
 * `close` ends that connection.
 */
export function shipAofClients(
  dir: string,
  redisUrl: string | undefined,
  credentials: UrlCredentials | undefined,
): { readonly dir: ShipAofRequest['dir']; readonly serverState?: ShipAofDeps['serverState']; close(): void } {
  const state = redisUrl === undefined ? undefined : serverAofState(() => connectUrl(redisUrl, 'redis-dr-ship-aof', credentials));
  return { dir: new AofDirectory(dir), ...(state ? { serverState: state.read } : {}), close: () => state?.close() };
}

/** What restore-aof writes and loads with: the directory `to` and a throwaway server. */
export function restoreAofClients(to: string): { readonly to: RestoreAofRequest['to']; readonly startServer: RestoreAofDeps['startServer'] } {
  return { to: new RestoreDirectory(to), startServer: startLocalRedis };
}

/** The server binary restore-aof loads the result with (`--server-bin`, else PATH), or a usage error with the fix. */
export async function restoreServerBin(serverBin: string | undefined): Promise<string> {
  try {
    return (await findServerBinary(serverBin)).bin;
  } catch (err) {
    if (!(err instanceof LocalRedisError)) throw err;
    throw new UsageError(
      serverBin !== undefined
        ? `--server-bin ${serverBin}: ${err.message}: give the path of a redis-server or valkey-server binary (e.g. /usr/bin/redis-server), or --no-load`
        : `${err.message}; or give --server-bin <path>, or --no-load to skip the load`,
    );
  }
}
