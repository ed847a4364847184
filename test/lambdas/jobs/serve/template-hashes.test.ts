/**
 * serve of a Redis 8.10 (RDB 15) file whose hashes reference its templates (types 30, 32: the field names are the
 * file's, opcode 242): each answered as the hash it stands for, its templates read with the file, and DUMP giving a
 * payload that stands alone (the plain hash: a payload of the stored bytes names a template no reader of it has).
 * Before, every read of such a key failed ("unknown RDB value type 32"), and compare with such a file as a side with it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashTemplates } from '../../../../lambdas/domain/rdb/format/hash-template.js';
import { templateHashAlone } from '../../../../lambdas/domain/rdb/format/template-ref.js';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { TEMPLATE_FILE_HASHES, templateFile } from '../../../support/template-hashes.js';

describe('serve: hashes that reference their file templates (Redis 8.10)', () => {
  let dir: string;
  let serving: Serving;
  let client: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serve-templates-'));
    const input = join(dir, 'in.rdb');
    writeFileSync(input, templateFile());
    serving = await startServing({ location: input, port: 0 });
    client = new Redis({ port: serving.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    client?.disconnect();
    await serving?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers each as the hash it stands for: HGETALL, HGET, HLEN, TYPE', async () => {
    for (const [key, hash] of Object.entries(TEMPLATE_FILE_HASHES)) {
      expect(await client.hgetall(key), key).toEqual(hash);
      expect(await client.hlen(key)).toBe(Object.keys(hash).length);
      expect(await client.type(key)).toBe('hash');
    }
    expect(await client.hget('h2', 'city')).toBe('Oslo');
    expect(await client.get('s')).toBe('v');
  });

  it('DUMP gives the plain hash (type 4) with the file version: a payload that stands alone, decoded as the hash', async () => {
    for (const [key, hash] of Object.entries(TEMPLATE_FILE_HASHES)) {
      const payload = await client.dumpBuffer(key);
      expect(payload[0], key).toBe(4);
      expect(payload.readUInt16LE(payload.length - 10)).toBe(15);
      const value = decodeDumpPayload(payload);
      expect(value.type === 'hash' && Object.fromEntries(value.fields.map(([f, v]) => [f.toString(), v.toString()]))).toEqual(hash);
    }
  });

  it('without the file templates (a key index that does not keep them) such a payload is said, with the way round', () => {
    const stored = Buffer.from([32, 1, 2, 0x34, 0x32, 5, ...Buffer.from('Paris'), 3, ...Buffer.from('Ann'), 15, 0, ...Buffer.alloc(8)]);
    expect(() => decodeDumpPayload(stored)).toThrow(templateHashAlone(32));
    expect(templateHashAlone(32)).toMatch(/convert-rdb <file> --for redis-8\.0/);
    // With the file's templates: the hash it stands for; with templates that do not hold its template: said the same way.
    const templates = new HashTemplates();
    templates.define(1, 3);
    for (const f of ['age', 'city', 'name']) templates.addName(1, Buffer.from(f));
    expect(decodeDumpPayload(stored, templates)).toEqual({
      type: 'hash',
      fields: [
        [Buffer.from('age'), Buffer.from('42')],
        [Buffer.from('city'), Buffer.from('Paris')],
        [Buffer.from('name'), Buffer.from('Ann')],
      ],
    });
    expect(() => decodeDumpPayload(stored, new HashTemplates())).toThrow(templateHashAlone(32));
  });
});
