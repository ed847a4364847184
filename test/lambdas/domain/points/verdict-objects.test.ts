import { describe, expect, it } from 'vitest';
import { parseRdbSummary } from '../../../../lambdas/domain/points/rdb-summary.js';
import {
  isVerdictObjectKey,
  judgeCopyVerdict,
  parseVerdictObject,
  UNPROVEN_VERDICT,
  VERDICT_PREFIX,
  type VerdictObject,
  verdictObjectBody,
  verdictObjectKey,
  verdictObjectOf,
} from '../../../../lambdas/domain/points/verdict-objects.js';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';

const KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';
const OK: VerdictObject = {
  verdict: 'ok',
  replica: { key: KEY, versionId: 'v1', etag: '"e1"', size: 4096 },
  keys: { version: 11, keys: 1200, expires: 30, byType: { string: 1000, hash: 200 }, functionLibraries: 2 },
  checkedAt: '2026-11-21T02:07:00.000Z',
};
const TAGS_OK = { 'redis-dr:tier': 'daily', 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=1200 expires=30 fn=2 string=1000 hash=200' };

describe('verdict objects: one layout for the DR bucket and the vault', () => {
  it('names each copy’s object under its place’s prefix, and tells verdict keys from copies', () => {
    expect(verdictObjectKey('dr', KEY)).toBe(`redis-dr-verdicts/${KEY}.json`);
    expect(verdictObjectKey('vault', `111122223333/eu-west-1/${KEY}`)).toBe(`redis-dr-vault-verdicts/111122223333/eu-west-1/${KEY}.json`);
    expect(Object.values(VERDICT_PREFIX).every((p) => !p.startsWith('rdr-'))).toBe(true);
    expect(isVerdictObjectKey(verdictObjectKey('dr', KEY))).toBe(true);
    expect(isVerdictObjectKey(KEY)).toBe(false);
    expect(isVerdictObjectKey(`${KEY}.keys`)).toBe(false);
  });
});

describe('judgeCopyVerdict: a DR copy’s tags against its verdict object (issue 53 item 3)', () => {
  it('takes the verdict object’s verdict and counts when the tag agrees', () => {
    const r = judgeCopyVerdict(TAGS_OK, OK, undefined);
    expect(r.untrusted).toBeUndefined();
    expect(r.tags['redis-dr:verified']).toBe('ok');
    expect(parseRdbSummary(r.tags['redis-dr:rdb'])).toMatchObject({ keys: 1200, expires: 30, functionLibraries: 2, byType: { string: 1000, hash: 200 } });
    expect(r.tags['redis-dr:tier']).toBe('daily');
  });

  it('a different summary over an ok verdict (what retention release could put): the object’s counts hold, the tag is named', () => {
    const forged = { ...TAGS_OK, 'redis-dr:rdb': 'v=11 keys=9999999 expires=0 string=9999999' };
    const r = judgeCopyVerdict(forged, OK, undefined);
    expect(parseRdbSummary(r.tags['redis-dr:rdb'])?.keys).toBe(1200);
    expect(r.untrusted).toMatch(/^verdict tag redis-dr:verified=ok redis-dr:rdb="v=11 keys=9999999 .*" differs from the verdict object \(ok, 1200 keys\)/);
    // ok over a corrupt object: corrupt holds.
    const corrupt: VerdictObject = { ...OK, verdict: 'corrupt', keys: { version: 11, keys: 0, expires: 0, byType: {} }, reason: 'at byte 9: bad' };
    const over = judgeCopyVerdict(TAGS_OK, corrupt, undefined);
    expect(over.tags['redis-dr:verified']).toBe('corrupt');
    expect(over.tags['redis-dr:rdb']).toBeUndefined();
    expect(over.untrusted).toMatch(/differs from the verdict object \(corrupt/);
  });

  it('a verdict tag without a verdict object is unproven: neither ok nor pending, and says why', () => {
    const r = judgeCopyVerdict(TAGS_OK, undefined, `no verdict object s3://b/${verdictObjectKey('dr', KEY)}`);
    expect(r.tags['redis-dr:verified']).toBe(UNPROVEN_VERDICT);
    expect(r.tags['redis-dr:rdb']).toBeUndefined();
    expect(r.untrusted).toBe(`verdict tag redis-dr:verified=ok without a verdict object (no verdict object s3://b/redis-dr-verdicts/${KEY}.json): not trusted`);
  });

  it('no tag and no object: not verified yet (nothing claimed); no tag but an object: the object’s verdict (the tag set was replaced)', () => {
    expect(judgeCopyVerdict({ 'redis-dr:tier': 'daily' }, undefined, 'no verdict object')).toEqual({ tags: { 'redis-dr:tier': 'daily' } });
    const r = judgeCopyVerdict({ 'redis-dr:tier': 'weekly' }, OK, undefined);
    expect(r).toMatchObject({ tags: { 'redis-dr:tier': 'weekly', 'redis-dr:verified': 'ok' } });
    expect(r.untrusted).toBeUndefined();
  });
});

describe('a verdict object of a verification resumed from a checkpoint', () => {
  it('says its duplicate-key check was partial (from which byte), as the report does; one pass says nothing of it', () => {
    const kv = (k: string) => [0x00, 0x01, ...Buffer.from(k), 0x01, 0x76];
    const head = [...Buffer.from('REDIS0010'), 0xfe, 0x00, ...kv('a')];
    const bytes = Buffer.from([...head, ...kv('b'), 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.writeBigUInt64LE(new Crc64().update(bytes, 0, bytes.length - 8).value, bytes.length - 8);
    const first = createRdbVerifier({ requireChecksum: true });
    first.push(bytes.subarray(0, head.length));
    first.pause();
    const cp = first.checkpoint()!;
    const resumed = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
    resumed.push(bytes.subarray(cp.offset));
    const whole = createRdbVerifier({ requireChecksum: true });
    whole.push(bytes);
    const replica = { key: KEY, versionId: 'v1', etag: '"e1"', size: bytes.length };
    const at = new Date('2026-11-29T12:00:00.000Z');
    const partial = verdictObjectOf(resumed.end(), replica, at);
    expect(partial).toMatchObject({ verdict: 'ok', keys: { keys: 2 }, duplicateKeyCheck: { fromOffset: cp.offset, detectionProbability: 1 } });
    // Kept through the body an auditor reads back.
    expect(parseVerdictObject(verdictObjectBody(partial))).toEqual({ verdict: partial });
    const exact = verdictObjectOf(whole.end(), replica, at);
    expect(exact).toMatchObject({ verdict: 'ok', keys: { keys: 2 } });
    expect(exact).not.toHaveProperty('duplicateKeyCheck');
  });
});
