/**
 * MULTI/EXEC/DISCARD/WATCH/UNWATCH on `serve`, held against a read-only
 * replica (`replica-read-only yes`, redis-server's default) of a
 * redis-server loaded from the same file: a transaction of reads runs, a
 * write queued in it is refused with READONLY and EXEC then aborts it, and
 * the transaction errors (nesting, EXEC without MULTI, WATCH inside MULTI)
 * are the server's bytes. Only the READONLY line's text differs (a replica
 * names itself, serve names the recovery point): it is compared by its code.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { RawClient } from '../../../support/resp-raw.js';
import { rawReplies, readonlyCode } from '../../../support/serve-parity.js';
import { writeServeDataset } from '../../../support/serve-dataset.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';

let writer: RedisServer;
let primary: RedisServer;
let replica: RedisServer;
let serving: Serving;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-tx-'));
  writer = await startRedisServer();
  await writeServeDataset(writer.client());
  await writer.client().save();
  const file = join(dir, 'point.rdb');
  copyFileSync(writer.rdbPath, file);
  // No diskless-sync delay: by default the primary waits 5 s for more replicas before the first sync, as long as the
  // wait below once was (the link came up at about 5 s, so under load the suite failed now and then).
  primary = await startRedisServer({ loadRdb: file, args: ['--repl-diskless-sync-delay', '0'] });
  replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port), '--replica-read-only', 'yes'] });
  const c = replica.client();
  const until = Date.now() + 45_000;
  while (Date.now() < until && !/master_link_status:up/.test(await c.info('replication'))) await new Promise((r) => setTimeout(r, 50));
  expect(await c.info('replication')).toMatch(/master_link_status:up/);
  serving = await startServing({ location: file, port: 0 });
}, 60_000);

afterAll(async () => {
  await serving?.close();
  for (const s of [writer, primary, replica]) await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The replies to `cmds`, in RESP `proto`, with a READONLY line cut to its code. */
const replies = async (port: number, cmds: string[][], proto: 2 | 3 = 2): Promise<string[]> => (await rawReplies(port, cmds, proto)).map(readonlyCode);

const TRANSACTIONS: string[][][] = [
  // Reads, run at EXEC, SELECT inside applying to the commands after it and to the connection after EXEC.
  [['MULTI'], ['GET', 'str'], ['HGETALL', 'hash:small'], ['LRANGE', 'list:small', '0', '-1'], ['SELECT', '5'], ['GET', 'str'], ['EXEC'], ['GET', 'str']],
  [['MULTI'], ['PING'], ['ZRANGE', 'zset:small', '0', '-1', 'WITHSCORES'], ['XRANGE', 'stream', '-', '+'], ['TTL', 'nope'], ['DBSIZE'], ['EXEC']],
  // A write queued in MULTI: READONLY now, and EXEC discards the transaction.
  [['MULTI'], ['GET', 'str'], ['SET', 'str', 'x'], ['GET', 'int'], ['EXEC'], ['GET', 'str']],
  [['MULTI'], ['DEL', 'str'], ['DISCARD'], ['EXEC']],
  // Errors found at queueing abort EXEC; ones found at run time are replies inside it.
  [['MULTI'], ['FOO'], ['GET', 'str'], ['EXEC']],
  [['MULTI'], ['GET'], ['EXEC']],
  [['MULTI'], ['GET', 'list:small'], ['SELECT', '99'], ['GET', 'str'], ['EXEC']],
  // The transaction's own errors.
  [['EXEC'], ['DISCARD'], ['MULTI'], ['MULTI'], ['GET', 'str'], ['EXEC']],
  [['MULTI'], ['WATCH', 'str'], ['GET', 'str'], ['EXEC']],
  [['WATCH'], ['WATCH', 'str', 'int'], ['UNWATCH'], ['WATCH', 'str'], ['MULTI'], ['GET', 'str'], ['EXEC'], ['UNWATCH']],
  [['MULTI'], ['EXEC'], ['MULTI', 'x'], ['EXEC', 'x'], ['DISCARD', 'x'], ['UNWATCH', 'x']],
];

describe('serve transactions, against a read-only replica loaded from the same file', () => {
  it.each([2, 3] as const)('answers MULTI/EXEC/DISCARD/WATCH/UNWATCH as the replica does (RESP%d)', async (proto) => {
    for (const cmds of TRANSACTIONS) {
      const [ref, served] = [await replies(replica.port, cmds, proto), await replies(serving.port, cmds, proto)];
      expect(cmds.map((c, i) => [c.join(' '), served[i]])).toEqual(cmds.map((c, i) => [c.join(' '), ref[i]]));
    }
  });

  it('changes nothing: a refused transaction leaves every value as it was', async () => {
    const raw = await RawClient.open(serving.port);
    expect(await raw.call('MULTI')).toBe('+OK\r\n');
    expect(await raw.call('SET', 'str', 'x')).toMatch(/^-READONLY You can't write against a read only recovery point/);
    expect(await raw.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(await raw.call('GET', 'str')).toBe('$5\r\nhello\r\n');
    raw.close();
  });
});
