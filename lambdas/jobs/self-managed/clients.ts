/**
 * The storage a destination option names (`--to` of backup and ship-aof,
 * `--from` of restore-aof, `--destination` of retention release): a folder
 * (`file:///absolute/dir`) or an S3 prefix (`s3://bucket/prefix`, on AWS or
 * an S3-compatible store given with `--s3-endpoint`). The one factory for the
 * backup and the AOF stores the self-managed jobs are given; the AWS SDK
 * loads only for `s3://` (a file:// run stays about 60 MiB lighter).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type BackupStore, FileBackupStore, parseDestination } from '../../adapters/storage/backup-store.js';
import { UsageError } from '../usage-error.js';

/** How a kind of store is made from a folder or from an S3 prefix. */
export interface StoreMaker<T> {
  readonly file: (dir: string) => T;
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
  const { storageS3Client } = await import('../../adapters/aws/storage-s3.js');
  return make.s3(storageS3Client(s3Endpoint ? { endpoint: s3Endpoint } : {}), dest.bucket, dest.prefix);
}

/** The backup store a destination option names (`create`: make a missing folder). */
export function openBackupStore(to: string, s3Endpoint: string | undefined, option = '--to', create = true): Promise<BackupStore> {
  return openDestination<BackupStore>(option, to, s3Endpoint, {
    file: (dir) => new FileBackupStore(dir, { create }),
    s3: async (client, bucket, prefix) => new (await import('../../adapters/storage/backup-store-s3.js')).S3BackupStore(client, bucket, prefix),
  });
}
