import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { RdbFileWriter } from '../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../lambdas/domain/rdb/write/rdb-out.js';

/** A file of two keys at `path`: `a`, a small string, and `big`, a string of `bytes` random bytes (stored plain); `names` renames them. */
export function writeBigStringFile(path: string, bytes: number, names: { readonly small: string; readonly big: string } = { small: 'a', big: 'big' }): void {
  const w = new RdbFileWriter({ magic: 'REDIS', version: 10 }, [['redis-ver', '7.0.15']]);
  const chunks: Buffer[] = [];
  w.key(0, Buffer.from(names.small), 0, new RdbOut(64).string(Buffer.from('small')).take(), null);
  w.key(0, Buffer.from(names.big), 0, new RdbOut(bytes + 16).string(randomBytes(bytes)).view(), null);
  while (w.full) chunks.push(Buffer.from(w.chunk()));
  chunks.push(w.end());
  writeFileSync(path, Buffer.concat(chunks));
}
