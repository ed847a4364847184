/**
 * The verify-rdb benchmark's `big-set` dataset (issue 13): ONE set key holding
 * `members` distinct members `member:0` … `member:<members - 1>`, written as
 * SADD commands of {@link MEMBERS_PER_SADD} members, {@link SADDS_PER_PIPELINE}
 * to a pipeline, one pipeline in flight at a time (so the generator holds at
 * most 100,000 members). The members are not integers, so Redis 7.0 keeps the
 * set hashtable-encoded and the RDB stores it as RDB_TYPE_SET: a length, then
 * one string per member (10 to 16 bytes each, too short for LZF).
 */
import type Redis from 'ioredis';

/** Members per SADD. */
export const MEMBERS_PER_SADD = 1000;
/** SADDs per pipeline (awaited before the next one is built). */
const SADDS_PER_PIPELINE = 100;
/** The one key. */
export const BIG_SET_KEY = 'bench:big-set';

/** What {@link populateBigSet} wrote. */
export interface BigSetSummary {
  readonly kind: 'big-set';
  readonly key: string;
  readonly members: number;
  /** SCARD after writing: must equal `members`. */
  readonly scard: number;
  /** OBJECT ENCODING of the key (`hashtable` expected). */
  readonly encoding: string;
  /** used_memory of the server after writing, in bytes. */
  readonly serverUsedMemory: number;
  readonly seconds: number;
}

/** Writes the set into database 0 of `client`; logs progress every 1,000,000 members. */
export async function populateBigSet(client: Redis, members: number, log: (line: string) => void): Promise<BigSetSummary> {
  const started = Date.now();
  await client.del(BIG_SET_KEY);
  let next = 0;
  let nextLog = 1_000_000;
  while (next < members) {
    const pipeline = client.pipeline();
    for (let s = 0; s < SADDS_PER_PIPELINE && next < members; s++) {
      const end = Math.min(members, next + MEMBERS_PER_SADD);
      const batch: string[] = new Array(end - next);
      for (let i = next; i < end; i++) batch[i - next] = `member:${i}`;
      pipeline.sadd(BIG_SET_KEY, ...batch);
      next = end;
    }
    const replies = await pipeline.exec();
    for (const [err] of replies ?? []) if (err) throw err;
    if (next >= nextLog || next === members) {
      log(`  ${next.toLocaleString('en-US')} / ${members.toLocaleString('en-US')} members written`);
      while (nextLog <= next) nextLog += 1_000_000;
    }
  }
  const scard = await client.scard(BIG_SET_KEY);
  const encoding = String(await client.object('ENCODING', BIG_SET_KEY));
  const usedMemory = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? Number.NaN);
  if (scard !== members) throw new Error(`SCARD ${BIG_SET_KEY} is ${scard}, expected ${members}`);
  return { kind: 'big-set', key: BIG_SET_KEY, members, scard, encoding, serverUsedMemory: usedMemory, seconds: (Date.now() - started) / 1000 };
}
