import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StandIns, TemplateJson } from '../../../lib/asl.js';
import { bucketPolicyOf, evaluate, type IamRequest, type PolicyDocument, requestObjectTags, roleArn, rolePolicies } from '../../support/iam.js';
import { verdictObjectKey } from '../../../lambdas/domain/points/verdict-objects.js';
import { REPLICATION_WRITES, VERDICT_OBJECT_WRITES } from '../../../lib/constructs/verdict-guard.js';

/**
 * The DR bucket's own guard of its copies and their verdicts
 * (lib/constructs/verdict-guard.ts, issue 53 item 3), simulated on the
 * synthesized DR stack (the example's golden template, which
 * test/lib/template-review.test.ts holds equal to a synth) with the
 * operator's policy (docs/iam/operator-policy.json) and with an
 * administrator's (`s3:*`): the bucket policy binds them both, and lets the
 * verifier's role alone write a verdict.
 */
const ROOT = join(__dirname, '..', '..', '..');
const STAND_INS: StandIns = { region: 'eu-central-1', account: '000000000000' };
const TEMPLATE = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'templates', 'example.dr.json'), 'utf8')) as TemplateJson;
const BUCKET_ID = Object.keys(TEMPLATE.Resources ?? {}).find((id) => /^CopiesBucket[0-9A-F]{8}$/.test(id))!;
const VERIFIER_ID = Object.keys(TEMPLATE.Resources ?? {}).find((id) => /^CopiesVerifyRdbRole[0-9A-F]{8}$/.test(id))!;
const BUCKET_POLICY = bucketPolicyOf(TEMPLATE, BUCKET_ID, STAND_INS);
const OPERATOR = JSON.parse(readFileSync(join(ROOT, 'docs', 'iam', 'operator-policy.json'), 'utf8')) as PolicyDocument;
const ADMIN: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
const VERIFIER = rolePolicies(TEMPLATE, VERIFIER_ID, STAND_INS);

const COPY = `arn:aws:s3:::redis-dr-example-${STAND_INS.account}-eu-central-1/rdr-sessions-prod-20261123-1000-0001.rdb`;
const OPERATOR_ARN = `arn:aws:iam::${STAND_INS.account}:role/ops-admin`;
const OK = { 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v11 keys=1000' };

/** A request of `principal` on the DR bucket, its policy deciding too. */
function ask(principal: string, action: string, context: Record<string, string | string[]> = {}, resource = COPY): IamRequest {
  return { action, resource, context, principal, resourcePolicy: BUCKET_POLICY };
}

/** A tag write of `tags` over an object that carries `existing`. */
function tagWrite(principal: string, tags: Record<string, string>, existing: Record<string, string>): IamRequest {
  const context = {
    ...requestObjectTags({ TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    ...Object.fromEntries(Object.entries(existing).map(([k, v]) => [`s3:ExistingObjectTag/${k}`, v])),
  };
  return ask(principal, 's3:PutObjectTagging', context);
}

describe('the DR bucket guards its copies and their verdicts', () => {
  it('no principal but replication writes or deletes a copy: the operator’s export dependent actions and an administrator are denied', async () => {
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
      expect(await evaluate([ADMIN], ask(OPERATOR_ARN, action), STAND_INS), action).toBe('ExplicitlyDenied');
    }
    // The operator policy alone allows the put and the delete (ElastiCache checks them on the export bucket): the bucket denies them here.
    expect(await evaluate([OPERATOR], { action: 's3:PutObject', resource: COPY, context: {} }, STAND_INS)).toBe('Allowed');
    expect(await evaluate([OPERATOR], ask(OPERATOR_ARN, 's3:PutObject'), STAND_INS)).toBe('ExplicitlyDenied');
    expect(await evaluate([OPERATOR], ask(OPERATOR_ARN, 's3:DeleteObject'), STAND_INS)).toBe('ExplicitlyDenied');
    // Outside the copies (the scrub's records, the reports) the bucket denies nothing.
    const record = COPY.replace(/rdr-[^/]+$/, 'scrub/2026-11-23.json');
    expect(await evaluate([ADMIN], ask(OPERATOR_ARN, 's3:PutObject', {}, record), STAND_INS)).toBe('Allowed');
  });

  it('nobody but the verifier forges a verdict; a tag write that puts the copy’s own verdict back is allowed', async () => {
    const forgeries: [string, IamRequest][] = [
      ['an ok verdict on an unverified copy', tagWrite(OPERATOR_ARN, { 'redis-dr:tier': 'daily', ...OK }, { 'redis-dr:tier': 'daily' })],
      ['a summary on an unverified copy', tagWrite(OPERATOR_ARN, { 'redis-dr:rdb': 'v11 keys=1000' }, {})],
      ['ok over corrupt', tagWrite(OPERATOR_ARN, OK, { 'redis-dr:verified': 'corrupt' })],
    ];
    for (const [what, request] of forgeries) {
      expect(await evaluate([ADMIN], request, STAND_INS), `administrator: ${what}`).toBe('ExplicitlyDenied');
      expect(await evaluate([OPERATOR], request, STAND_INS), `operator: ${what}`).toBe('ExplicitlyDenied');
    }
    // `retention release` (the tier back, the verdict as it was) and a corrupt verdict kept: allowed.
    expect(await evaluate([ADMIN], tagWrite(OPERATOR_ARN, { 'redis-dr:tier': 'daily', ...OK }, { 'redis-dr:tier': 'held-daily', ...OK }), STAND_INS)).toBe(
      'Allowed',
    );
    expect(await evaluate([ADMIN], tagWrite(OPERATOR_ARN, { 'redis-dr:verified': 'corrupt' }, { 'redis-dr:verified': 'corrupt' }), STAND_INS)).toBe('Allowed');
  });

  it('the verifier’s role writes a verdict on an unverified copy, and turns corrupt into ok (negative of the guard: its exception)', async () => {
    const verifier = roleArn(VERIFIER_ID, STAND_INS);
    expect(await evaluate(VERIFIER, tagWrite(verifier, { 'redis-dr:tier': 'daily', ...OK }, { 'redis-dr:tier': 'daily' }), STAND_INS)).toBe('Allowed');
    expect(await evaluate(VERIFIER, tagWrite(verifier, OK, { 'redis-dr:verified': 'corrupt' }), STAND_INS)).toBe('Allowed');
    // Its role is named by ARN: the same policy under another role's name is denied.
    expect(await evaluate(VERIFIER, tagWrite(OPERATOR_ARN, OK, {}), STAND_INS)).toBe('ExplicitlyDenied');
  });

  it('verdict objects: only the verifier’s role puts one, nobody deletes or replicates one in; the operator policy denies its own writes too (issue 53 item 3)', async () => {
    const verdict = COPY.replace(/rdr-[^/]+$/, verdictObjectKey('dr', 'rdr-sessions-prod-20261123-1000-0001.rdb'));
    const verifier = roleArn(VERIFIER_ID, STAND_INS);
    // The verifier: its role allows the put and the read-back, the bucket leaves PutObject to it.
    expect(await evaluate(VERIFIER, ask(verifier, 's3:PutObject', {}, verdict), STAND_INS)).toBe('Allowed');
    expect(await evaluate(VERIFIER, ask(verifier, 's3:GetObject', {}, verdict), STAND_INS)).toBe('Allowed');
    // Nobody else: an administrator (s3:*) is denied every write by the bucket, the operator by its own policy as well.
    for (const action of VERDICT_OBJECT_WRITES) {
      expect(await evaluate([ADMIN], ask(OPERATOR_ARN, action, {}, verdict), STAND_INS), `administrator ${action}`).toBe('ExplicitlyDenied');
      expect(await evaluate([OPERATOR], { action, resource: verdict, context: {} }, STAND_INS), `operator policy alone ${action}`).toBe('ExplicitlyDenied');
    }
    // The verifier neither deletes nor replaces one by any other write; replication brings none (a source named like one).
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl'])
      expect(await evaluate([ADMIN], ask(verifier, action, {}, verdict), STAND_INS), `verifier ${action}`).toBe('ExplicitlyDenied');
    for (const action of REPLICATION_WRITES) expect(await evaluate([ADMIN], ask(verifier, action, {}, verdict), STAND_INS), action).toBe('ExplicitlyDenied');
    // The chain of signed verdicts (issue 58) is reserved alike: its records and the head hint.
    for (const record of ['redis-dr-verdict-chain/000000000001.json', 'redis-dr-verdict-chain/head'].map((k) => COPY.replace(/rdr-[^/]+$/, k))) {
      expect(await evaluate(VERIFIER, ask(verifier, 's3:PutObject', { 's3:if-none-match': '*' }, record), STAND_INS)).toBe('Allowed');
      for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'])
        expect(await evaluate([ADMIN], ask(OPERATOR_ARN, action, {}, record), STAND_INS), `administrator ${action} ${record}`).toBe('ExplicitlyDenied');
      expect(await evaluate([ADMIN], ask(verifier, 's3:DeleteObjectVersion', {}, record), STAND_INS)).toBe('ExplicitlyDenied');
    }
    // A chain record is put only where none is: without If-None-Match even the verifier is denied; the hint stays writable.
    const record = COPY.replace(/rdr-[^/]+$/, 'redis-dr-verdict-chain/000000000007.json');
    expect(await evaluate(VERIFIER, ask(verifier, 's3:PutObject', { 's3:if-none-match': '*' }, record), STAND_INS)).toBe('Allowed');
    expect(await evaluate(VERIFIER, ask(verifier, 's3:PutObject', {}, record), STAND_INS)).toBe('ExplicitlyDenied');
    const hint = COPY.replace(/rdr-[^/]+$/, 'redis-dr-verdict-chain/head');
    expect(await evaluate(VERIFIER, ask(verifier, 's3:PutObject', {}, hint), STAND_INS)).toBe('Allowed');
    // Negative: without the bucket's verdict statements, an administrator writes and deletes verdicts.
    const unguarded = {
      ...BUCKET_POLICY,
      Statement: BUCKET_POLICY.Statement.filter((st) => st.Sid !== 'OnlyTheVerifierWritesVerdicts' && st.Sid !== 'VerdictsArePutOnly'),
    };
    for (const action of ['s3:PutObject', 's3:DeleteObject'])
      expect(await evaluate([ADMIN], { ...ask(OPERATOR_ARN, action, {}, verdict), resourcePolicy: unguarded }, STAND_INS), action).toBe('Allowed');
  });
});
