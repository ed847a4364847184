/**
 * serve of a Redis 8.10 (RDB 15) file opened from its key index (`<file>.keys`, written as `backup` writes it): the
 * index keeps the file's hash templates, so a hash that references one (types 30, 32) is answered as the hash it
 * stands for from an S3 copy that is not read whole, and from a local file. An index that does not keep them (one
 * written before indexes kept templates) answers such a key with the error that names the way round, never a hash
 * without its field names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { templateHashAlone } from '../../../../lambdas/domain/rdb/format/template-ref.js';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { indexInMemory } from '../../../../lambdas/domain/serve/paged-index.js';
import { rdbVerifierParser } from '../../../../lambdas/domain/rdb/verifier.js';
import { CopyKeyIndex } from '../../../../lambdas/jobs/dr-copies/copy-key-index.js';
import { writeBareIndexBeside, writeIndexBeside } from '../../../support/key-index-beside.js';
import { requestsAfter, requestsSoFar } from '../../../support/moto.js';
import { serveOverMoto } from '../../../support/serve-moto.js';
import { TEMPLATE_FILE_HASHES, templateFile } from '../../../support/template-hashes.js';

const rdb = Buffer.from(templateFile());
const served = serveOverMoto('redis-dr-serve-tpl-index-');
const client = (location: string) => served.client(location);

/** Every template hash as its HGETALL reads, and s. */
async function answers(c: Redis): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(TEMPLATE_FILE_HASHES)) out[key] = await c.hgetall(key).catch((e: Error) => `error: ${e.message}`);
  out.s = await c.get('s');
  return out;
}

describe('serve: Redis 8.10 template hashes from a key index', () => {
  it('an S3 copy opened from its index, not read whole: each hash as it stands for, DUMP the plain hash', async () => {
    const name = 'prod/tpl.rdb';
    const stored = await served.moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: name, Body: rdb }));
    expect(
      await writeIndexBeside(new S3BackupStore(served.moto.newClient(), 'backups', 'prod/'), 'tpl.rdb', writeLocal('tpl.rdb'), { etag: stored.ETag }),
    ).toMatch(/^tpl\.rdb\.keys: 4 keys/);
    const before = await requestsSoFar(served.moto);
    const { s, c } = await client(`s3://backups/${name}`);
    // Opened by its HeadObject and CRC-64 trailer only: the templates came with the index, not from the copy.
    expect((await requestsAfter(served.moto, before)).filter((r) => r.includes(`/${name} `))).toEqual([
      `HEAD /backups/${name} HTTP/1.1 200`,
      `GET /backups/${name} HTTP/1.1 206`,
    ]);
    expect(s.notes[0]).toContain('its key index');
    expect(await answers(c)).toEqual({ ...TEMPLATE_FILE_HASHES, s: 'v' });
    expect(await c.hget('h2', 'city')).toBe('Oslo');
    const payload = await c.dumpBuffer('h1');
    expect(payload[0]).toBe(4);
    const value = decodeDumpPayload(payload);
    expect(value.type === 'hash' && value.fields.map(([f, v]) => `${f}=${v}`)).toEqual(['age=42', 'city=Paris', 'name=Ann']);
  });

  it('a local file with its index beside it answers the same', async () => {
    const path = writeLocal('local.rdb');
    await writeIndexBeside(new FileBackupStore(served.dir), 'local.rdb');
    const { s, c } = await client(path);
    expect(s.notes[0]).toContain('its key index');
    expect(await answers(c)).toEqual({ ...TEMPLATE_FILE_HASHES, s: 'v' });
  });

  it("a DR copy's index (the verification's own parse, CopyKeyIndex) keeps them too, and what the copy holds besides its keys", () => {
    const index = new CopyKeyIndex('s3://b/tpl.rdb');
    const v = index.verifying((sink) => rdbVerifierParser({ requireChecksum: true }, sink));
    for (let at = 0; at < rdb.length; at += 7) {
      const chunk = rdb.subarray(at, Math.min(rdb.length, at + 7));
      index.push(chunk, at);
      v.push(chunk);
    }
    expect(v.end().ok).toBe(true);
    const opened = indexInMemory(index.encode(rdb.length) as Buffer, { bytes: rdb.length, trailer: rdb.subarray(rdb.length - 8).toString('hex') });
    if ('problem' in opened) throw new Error(opened.problem);
    expect(opened.index.templates?.fieldNames(1)?.map(String)).toEqual(['age', 'city', 'name']);
    expect(opened.index.templates?.fieldNames(2)?.map(String)).toEqual(['a']);
    // And what the copy holds besides its keys (none here), as backup's index says it (besides-keys-index.test.ts).
    expect(opened.index.besidesKeys).toEqual({ functionLibraries: 0, moduleAux: [] });
  });

  it('an index that does not keep the templates (written before indexes kept them) answers such a key with the way round', async () => {
    const name = 'prod/old.rdb';
    const stored = await served.moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: name, Body: rdb }));
    // The index as a writer before this one wrote it: the same keys, no templates in its header.
    const index = await writeBareIndexBeside(new S3BackupStore(served.moto.newClient(), 'backups', 'prod/'), 'old.rdb', rdb, stored.ETag!);
    expect(index.includes(Buffer.from('"templates"'))).toBe(false);
    const { s, c } = await client(`s3://backups/${name}`);
    expect(s.notes[0]).toContain('its key index');
    const got = (await answers(c)) as Record<string, unknown>;
    expect(got.s).toBe('v');
    for (const key of Object.keys(TEMPLATE_FILE_HASHES)) {
      expect(got[key], key).toMatch(/^error: ERR /);
      expect(got[key], key).toContain(templateHashAlone(key === 'h2' ? 30 : 32));
    }
  });
});

/** The template file at `name` in the test's folder; its path. */
function writeLocal(name: string): string {
  const path = join(served.dir, name);
  writeFileSync(path, rdb);
  return path;
}
