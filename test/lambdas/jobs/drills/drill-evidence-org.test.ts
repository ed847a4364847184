/**
 * With an organization's vault (config `vault.organizationId`), each drill's
 * signed record is also kept under `<account>/<DR region>/` of the DR bucket
 * (docs/org.md, docs/attest.md), the prefix the DR bucket's rule replicates
 * into the vault: over a real S3 API (moto), the copy is the chain record's
 * bytes, an auditor checks the copied-down organization chain with `attest`,
 * and a copy a failed run missed is made by the step's retry without a
 * second record in the chain. Not recorded for the IAM simulation (the
 * drills fixture has no organization's vault): the grant is simulated on the
 * synthesized role in test/lib/constructs/org-drill-records.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import type { AsyncSigner } from '../../../../lambdas/domain/attest/chain.js';
import { drillReportEventSchema, reportDrill } from '../../../../lambdas/jobs/drills/drill-report.js';
import { checkAttestation } from '../../../../lambdas/jobs/attest/check.js';
import { DR_DRILL_CHOICE, DR_DRILL_INPUT, drillReportEvent } from '../../../support/drill-fixtures.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { auditorPublicKeyPem, kmsEvidenceKey } from '../../../support/kms-evidence.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';

const ORG_ROOT = '111122223333/eu-central-1/';
let moto: MotoS3;
let n = 0;
const key = kmsEvidenceKey();
let signer: AsyncSigner;
const dirs: string[] = [];
beforeAll(async () => {
  moto = await startMotoS3();
  signer = await kmsSigner(key.kms, key.keyArn);
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const event = (run: string, region = 'eu-central-1') =>
  drillReportEventSchema.parse(
    drillReportEvent({
      input: DR_DRILL_INPUT,
      choice: DR_DRILL_CHOICE,
      region,
      execution: `arn:aws:states:${region}:111122223333:execution:redis-dr-prod-dr-drill:${run}`,
    }),
  );

const deps = (b: string, s3 = moto.client, orgRoot = ORG_ROOT) => ({
  publish: async () => undefined,
  metrics: new MemoryMetrics(),
  log: new MemoryLog(),
  evidence: { s3, bucket: b, signer, orgRoot },
});

async function bucket(): Promise<string> {
  const name = `dr-org-evidence-${++n}`;
  await moto.bucket(name);
  return name;
}

async function keysUnder(b: string, prefix: string): Promise<string[]> {
  return ((await moto.client.send(new ListObjectsV2Command({ Bucket: b, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
}

async function text(b: string, k: string): Promise<string> {
  return (await moto.client.send(new GetObjectCommand({ Bucket: b, Key: k }))).Body!.transformToString();
}

describe("an organization's copy of each drill record, under <account>/<DR region>/", () => {
  it('keeps the same bytes under the account prefix, for both regions; the copied-down organization chain verifies offline', async () => {
    const b = await bucket();
    for (const run of ['run-1', 'run-2']) await reportDrill(event(run), deps(b));
    const primary = await reportDrill(event('run-p', 'eu-west-1'), deps(b));
    expect(primary.record).toBe('drills/eu-west-1/sessions/redis-dr-drill-00000001.json');
    const chain = await keysUnder(b, 'drills/');
    expect(await keysUnder(b, ORG_ROOT)).toEqual(chain.map((k) => `${ORG_ROOT}${k}`));
    for (const k of chain) expect(await text(b, `${ORG_ROOT}${k}`)).toBe(await text(b, k));
    // An auditor with the organization's evidence (the vault's replica of the prefix): one chain per plan and region.
    const dir = mkdtempSync(join(tmpdir(), 'org-drills-'));
    dirs.push(dir);
    const folder = join(dir, 'sessions');
    mkdirSync(folder);
    for (const k of await keysUnder(b, `${ORG_ROOT}drills/eu-central-1/sessions/`)) writeFileSync(join(folder, k.split('/').at(-1)!), await text(b, k));
    const pem = auditorPublicKeyPem(key, dir);
    expect(await checkAttestation({ path: folder, publicKey: pem, deployment: `s3://${b}/` })).toMatchObject({ ok: true, records: 2, whole: true });
  }, 60_000);

  it('a copy the run could not write fails the report naming it; the next drill of the plan copies it with its own (a retry of the same run writes no second record)', async () => {
    const b = await bucket();
    const refusing = moto.newClient();
    refusing.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'PutObjectCommand' && String((args.input as { Key?: string }).Key).startsWith(ORG_ROOT))
          throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        return next(args);
      },
      { step: 'initialize' },
    );
    await expect(reportDrill(event('run-1'), deps(b, refusing))).rejects.toThrow(
      /111122223333\/eu-central-1\/drills\/eu-central-1\/sessions\/redis-dr-drill-00000001\.json/,
    );
    expect(await keysUnder(b, ORG_ROOT)).toEqual([]);
    const retried = await reportDrill(event('run-1'), deps(b));
    expect(retried.record).toBe('drills/eu-central-1/sessions/redis-dr-drill-00000001.json');
    expect(await keysUnder(b, 'drills/')).toEqual([retried.record]);
    expect(await text(b, `${ORG_ROOT}${retried.record}`)).toBe(await text(b, retried.record!));
  }, 60_000);

  it('refuses an orgRoot of another shape before signing anything', async () => {
    const b = await bucket();
    await expect(reportDrill(event('run-1'), deps(b, moto.client, 'drills/'))).rejects.toThrow(
      'orgRoot must be <12-digit account>/<region>/, got "drills/": fix the drill report\'s EVIDENCE_ORG_ROOT',
    );
    expect(await keysUnder(b, '')).toEqual([]);
  }, 60_000);
});
