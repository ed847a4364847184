/**
 * `redis-dr attest` reading the records where they are kept (an S3 prefix, or
 * one record there), over a real S3 API (moto): the vault's verdict chain
 * signed with a KMS key (mocked at the API boundary by a real P-256 key)
 * verifies as a chain from its prefix, a record alone, and a deleted middle
 * record is a named gap; a report.json's HTML and CSV are read beside it and
 * a changed byte in the CSV fails it, naming the CSV. A self-managed signed
 * report on an s3:// destination keeps its HTML and CSV beside its record there.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { appendToVerdictChain, chainDeployment } from '../../../../lambdas/adapters/records/verdict-chain.js';
import { attest, ed25519Signer } from '../../../../lambdas/domain/attest/chain.js';
import { companionsOfFiles, withCompanions } from '../../../../lambdas/domain/attest/companions.js';
import { chainRecordKey, VERDICT_CHAIN_PREFIX } from '../../../../lambdas/domain/points/verdict-objects.js';
import { checkAttestation } from '../../../../lambdas/jobs/attest/check.js';
import { reportOfDestination } from '../../../../lambdas/jobs/report/self-managed.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { kmsEvidenceKey } from '../../../support/kms-evidence.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';

let moto: MotoS3;
const dir = mkdtempSync(join(tmpdir(), 'attest-s3-'));
// The auditor's credentials: the SDK's default chain, as the CLI reads them (moto takes any), set for this file only.
let restore: () => void;
beforeAll(async () => {
  moto = await startMotoS3();
  restore = useMotoCredentials();
}, 60_000);
afterAll(async () => {
  restore?.();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh Ed25519 signer and its public key's PEM file (`name` in the test's folder). */
function ed25519Key(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = join(dir, name);
  writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
  return { signer: ed25519Signer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), pem };
}

const put = (Bucket: string, Key: string, Body: string | Uint8Array) => moto.client.send(new PutObjectCommand({ Bucket, Key, Body }));

describe('attest s3://…', () => {
  it("the vault's verdict chain checked from its prefix, and one record alone; a deleted middle record is a named gap", async () => {
    const bucket = 'attest-s3-vault';
    await moto.bucket(bucket);
    const key = kmsEvidenceKey('arn:aws:kms:eu-central-1:222222222222:key/0b1c2d3e-vault-evidence');
    const signer = await kmsSigner(key.kms, key.keyArn);
    for (let i = 1; i <= 3; i++)
      await appendToVerdictChain(
        moto.client,
        bucket,
        'vault',
        {
          verdict: 'ok',
          replica: { key: `rdr-app-20261125-0${i}00-0001.rdb`, versionId: `v${i}`, etag: `"e${i}"`, size: 4096 },
          keys: { version: 11, keys: i, expires: 0, byType: { string: i } },
          checkedAt: '2026-11-25T10:00:00.000Z',
        },
        signer,
        new Date(),
      );
    const pem = join(dir, 'vault.pem');
    writeFileSync(pem, createPublicKey({ key: key.publicKeyDer, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
    const prefix = `s3://${bucket}/${VERDICT_CHAIN_PREFIX.vault}`;
    const check = (path: string) => checkAttestation({ path, publicKey: pem, deployment: chainDeployment(bucket), s3Endpoint: moto.endpoint });
    // The head hint beside the records is not a record (no .json): not read.
    expect(await check(prefix)).toMatchObject({ ok: true, records: 3, whole: true });
    expect(await check(`s3://${bucket}/${chainRecordKey('vault', 2)}`)).toMatchObject({ ok: true, whole: false, head: { seq: 2 } });
    await moto.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: chainRecordKey('vault', 2) }));
    expect(await check(prefix)).toMatchObject({ ok: false, name: '000000000003.json', why: 'a gap: record 2 is missing between 000000000001.json and it' });
    await expect(check(`s3://${bucket}/${chainRecordKey('vault', 2)}`)).rejects.toThrow(UsageError);
  }, 60_000);

  it('a report.json read from S3 checks the HTML and CSV beside it: a changed byte in the CSV fails, naming it', async () => {
    const bucket = 'attest-s3-report';
    await moto.bucket(bucket);
    const { signer, pem } = ed25519Key('report.pem');
    const prefix = 'reports/weekly/2026-11-23T0600Z/';
    const html = '<html><body>weekly report</body></html>';
    const csv = 'report_status,control,verdict\nCOMPLETE,cross-region-copy,pass\n';
    const json = withCompanions(
      '{"deployment":"prod","summary":{"pass":1}}',
      companionsOfFiles([
        { path: 'report.html', bytes: html },
        { path: 'csv/controls.csv', bytes: csv },
      ]),
    );
    const signed = attest(JSON.parse(json) as object, { deployment: `s3://${bucket}/`, at: new Date(), signer });
    await put(bucket, `${prefix}report.html`, html);
    await put(bucket, `${prefix}csv/controls.csv`, csv);
    await put(bucket, `${prefix}report.json`, JSON.stringify(signed, null, 2));
    const check = () => checkAttestation({ path: `s3://${bucket}/${prefix}report.json`, publicKey: pem, s3Endpoint: moto.endpoint });
    expect(await check()).toMatchObject({ ok: true, files: 2 });
    await put(bucket, `${prefix}csv/controls.csv`, csv.replace('pass', 'pasS'));
    expect(await check()).toMatchObject({
      ok: false,
      name: 'csv/controls.csv',
      why: expect.stringMatching(/^is not the file report\.json signed \(changed after signing: /),
    });
  }, 60_000);

  it('a self-managed signed report on an s3:// destination: its record and its HTML and CSV kept in its folder there; attest checks them; a deleted HTML is named', async () => {
    const bucket = 'attest-s3-self-managed';
    await moto.bucket(bucket);
    const { signer, pem } = ed25519Key('self-managed.pem');
    const out = mkdtempSync(join(dir, 'out-'));
    const at = new Date('2026-11-20T00:00:00Z');
    const { written } = await reportOfDestination(
      { url: `s3://${bucket}/redis/`, s3Endpoint: moto.endpoint },
      { since: new Date(at.getTime() - 30 * 86_400_000), until: at, generatedAt: at, rpoMinutes: 1440, rtoMinutes: 60, timeZone: 'UTC', minRetentionDays: 30 },
      { json: join(out, 'report.json'), html: join(out, 'report.html'), csvDir: join(out, 'csv') },
      signer,
    );
    expect(written.at(-1)).toBe(`s3://${bucket}/redis/redis-dr-report-20261120T000000000Z/report.json`);
    const check = () => checkAttestation({ path: `s3://${bucket}/redis/`, publicKey: pem, s3Endpoint: moto.endpoint, deployment: `s3://${bucket}/redis/` });
    const ok = await check();
    expect(ok).toMatchObject({ ok: true, whole: true });
    expect(ok.files).toBeGreaterThan(1);
    await moto.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'redis/redis-dr-report-20261120T000000000Z/report.html' }));
    expect(await check()).toMatchObject({ ok: false, name: 'redis-dr-report-20261120T000000000Z/report.html', why: expect.stringMatching(/^is not there/) });
  }, 60_000);
});
