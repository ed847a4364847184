/**
 * A restore drill's signed evidence record (docs/attest.md) over a real S3
 * API (moto): the drill report writes it into the chain of its plan's drills
 * in its region in the DR bucket, signed by the evidence key (KMS mocked at
 * the API boundary with a real P-256 key); drills of one plan that run at
 * once never fork the chain; a Sign that fails writes nothing and fails the
 * report; redis-dr attest checks a copied-down chain offline.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client as RealS3Client, type S3Client } from '@aws-sdk/client-s3';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import type { AsyncSigner } from '../../../../lambdas/domain/attest/chain.js';
import type { DrillInput } from '../../../../lambdas/domain/drills/drill.js';
import { drillReportEventSchema, reportDrill } from '../../../../lambdas/jobs/drills/drill-report.js';
import { runInProcess } from '../../../cli/support/in-process.js';
import { DR_DRILL_CHOICE, DR_DRILL_INPUT, drillReportEvent } from '../../../support/drill-fixtures.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { auditorPublicKeyPem, kmsEvidenceKey, refusingSigner } from '../../../support/kms-evidence.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';
import { proxiedS3Client, viaS3Proxy } from '../../../support/s3-proxy.js';

let moto: MotoS3;
let n = 0;
beforeAll(async () => {
  moto = await startMotoS3();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/** An S3 client of the SDK's class name (the IAM simulation records its calls) passing each call to moto. */
function recordedS3(): S3Client {
  const Recorded = class S3Client extends RealS3Client {};
  const m = mockClient(Recorded);
  for (const C of [ListObjectsV2Command, HeadObjectCommand, GetObjectCommand, PutObjectCommand, DeleteObjectCommand] as const)
    m.on(C as never).callsFake((input: object) => moto.client.send(new (C as unknown as new (i: object) => Parameters<S3Client['send']>[0])(input)));
  return new Recorded({ region: 'us-east-1' });
}

const CHOICE = { ...DR_DRILL_CHOICE, selection: { mode: 'random' as const, drawnFrom: 9 } };

const ALICE = 'arn:aws:sts::111122223333:assumed-role/ops-admin/alice';

function event(over: { input?: Partial<DrillInput>; region?: string; execution?: string } = {}) {
  return drillReportEventSchema.parse(
    drillReportEvent({
      input: { ...DR_DRILL_INPUT, ...over.input },
      choice: CHOICE,
      region: over.region ?? 'eu-central-1',
      execution: over.execution ?? 'arn:aws:states:eu-central-1:111122223333:execution:redis-dr-prod-dr-drill:0f6c1e0a-6a4b-4c1e-9d2f-0e1b2c3d4e5f',
    }),
  );
}

async function bucket(): Promise<string> {
  const name = `dr-evidence-${++n}`;
  await moto.bucket(name);
  return name;
}

function deps(drBucket: string, signer: AsyncSigner, published: string[] = []) {
  return {
    publish: async (alert: { subject: string }) => {
      published.push(alert.subject);
    },
    metrics: new MemoryMetrics(),
    log: new MemoryLog(),
    evidence: { s3: recordedS3(), bucket: drBucket, signer, now: () => new Date('2026-11-21T10:12:31Z') },
  };
}

async function keysUnder(drBucket: string, prefix: string): Promise<string[]> {
  const out = await moto.client.send(new ListObjectsV2Command({ Bucket: drBucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function text(drBucket: string, key: string): Promise<string> {
  return (await (await moto.client.send(new GetObjectCommand({ Bucket: drBucket, Key: key }))).Body!.transformToString()) as string;
}

describe('the drill report keeps a signed record of each drill in the DR bucket', () => {
  it('a chain per plan and region: seq from 1 in each, the record naming who started a manual drill and the random point', async () => {
    const b = await bucket();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const first = await reportDrill(event(), deps(b, signer));
    const manual = await reportDrill(
      event({
        input: { startedBy: ALICE },
        execution: 'arn:aws:states:eu-central-1:111122223333:execution:redis-dr-prod-dr-drill:cli-sessions-20261121T100000Z',
      }),
      deps(b, signer),
    );
    const primary = await reportDrill(event({ region: 'eu-west-1' }), deps(b, signer));
    const other = await reportDrill(event({ input: { plan: 'queues' } }), deps(b, signer));
    expect([first.record, manual.record, primary.record, other.record]).toEqual([
      'drills/eu-central-1/sessions/redis-dr-drill-00000001.json',
      'drills/eu-central-1/sessions/redis-dr-drill-00000002.json',
      'drills/eu-west-1/sessions/redis-dr-drill-00000001.json',
      'drills/eu-central-1/queues/redis-dr-drill-00000001.json',
    ]);
    const record = JSON.parse(await text(b, manual.record!)) as Record<string, unknown> & { attestation: { seq: number; deployment: string } };
    expect(record).toMatchObject({
      kind: 'redis-dr-drill',
      deployment: 'prod',
      plan: 'sessions',
      region: 'eu-central-1',
      trigger: 'manual',
      startedBy: ALICE,
      target: 'rg-a',
      point: 'rdr-rg-a-20261121-0200',
      pointSelection: 'random',
      drawnFrom: 9,
      passed: true,
      rtoSeconds: 745,
      rtoTargetSeconds: 1800,
      attestation: { seq: 2, deployment: `s3://${b}/` },
    });
    expect((JSON.parse(await text(b, first.record!)) as { trigger: string }).trigger).toBe('scheduled');
  }, 60_000);

  it('drills of one plan reporting at once never fork the chain: each takes the next free place', async () => {
    const b = await bucket();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const runs = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        reportDrill(event({ execution: `arn:aws:states:eu-central-1:111122223333:execution:redis-dr-prod-dr-drill:run-${i}` }), deps(b, signer)),
      ),
    );
    expect(runs.map((r) => r.record).sort()).toEqual([1, 2, 3, 4].map((i) => `drills/eu-central-1/sessions/redis-dr-drill-0000000${i}.json`));
    const seqs = await Promise.all(runs.map(async (r) => (JSON.parse(await text(b, r.record!)) as { attestation: { seq: number } }).attestation.seq));
    expect(seqs.sort()).toEqual([1, 2, 3, 4]);
  }, 60_000);

  it('the report step run again for the same execution (a retry) writes no second record; another execution takes the next place', async () => {
    const b = await bucket();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const first = await reportDrill(event(), deps(b, signer));
    const again = await reportDrill(event(), deps(b, signer));
    expect(again.record).toBe(first.record);
    const next = await reportDrill(event({ execution: 'arn:aws:states:eu-central-1:111122223333:execution:redis-dr-prod-dr-drill:next' }), deps(b, signer));
    expect(await keysUnder(b, 'drills/')).toEqual([first.record, next.record]);
    expect(next.record).toBe('drills/eu-central-1/sessions/redis-dr-drill-00000002.json');
  }, 60_000);

  it("a record PUT whose answer was lost after S3 stored it (a proxy cuts it after moto did it) is the drill's record, not a place another drill took: one record, even without the execution to tell it by", async () => {
    const b = await bucket();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const first = 'drills/eu-central-1/sessions/redis-dr-drill-00000001.json';
    let done = false;
    const cut = (method: string, url: string) => !done && (done = method === 'PUT' && url.split('?')[0]!.endsWith(`/${first}`));
    const { execution: _, ...unnamed } = event();
    const r = await viaS3Proxy(moto.endpoint, { cut }, async () => {
      const s3 = proxiedS3Client();
      try {
        return await reportDrill(unnamed, { ...deps(b, signer), evidence: { ...deps(b, signer).evidence, s3 } });
      } finally {
        s3.destroy();
      }
    });
    expect(done).toBe(true);
    expect(r.record).toBe(first);
    expect(await keysUnder(b, 'drills/')).toEqual([first]);
  }, 60_000);

  it('attest checks a copied-down chain offline: a changed digit, a deleted middle record, another deployment, a missing signature: exit 1 naming it', async () => {
    const b = await bucket();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    for (let i = 0; i < 3; i++)
      await reportDrill(event({ execution: `arn:aws:states:eu-central-1:111122223333:execution:redis-dr-prod-dr-drill:run-${i}` }), deps(b, signer));
    const dir = mkdtempSync(join(tmpdir(), 'drill-evidence-'));
    try {
      const pem = auditorPublicKeyPem(key, dir);
      const folder = join(dir, 'sessions');
      mkdirSync(folder);
      for (const k of await keysUnder(b, 'drills/eu-central-1/sessions/')) writeFileSync(join(folder, k.split('/').at(-1)!), await text(b, k));
      const attest = (...more: string[]) => runInProcess(['attest', folder, '--public-key', pem, ...more]);
      const ok = await attest('--deployment', `s3://${b}/`);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toBe(`VERIFIED ${folder}: 3 record(s), one chain from record 1 to 3 of s3://${b}/, every signature and digest good\n`);
      const another = await attest('--deployment', 's3://redis-dr-other-111122223333-eu-central-1/');
      expect(another.code).toBe(1);
      expect(another.stdout).toBe(
        `NOT VERIFIED redis-dr-drill-00000001.json: belongs to deployment s3://${b}/, not s3://redis-dr-other-111122223333-eu-central-1/\n`,
      );
      const second = join(folder, 'redis-dr-drill-00000002.json');
      const kept = readFileSync(second, 'utf8');
      writeFileSync(second, kept.replace('"rtoSeconds": 745', '"rtoSeconds": 744'));
      const changed = await attest();
      expect(changed.code).toBe(1);
      expect(changed.stdout).toBe('NOT VERIFIED redis-dr-drill-00000002.json: its content is not what was signed (changed after signing)\n');
      const { attestation: _a, ...bare } = JSON.parse(kept) as Record<string, unknown>;
      writeFileSync(second, JSON.stringify(bare));
      const unsigned = await attest();
      expect(unsigned.code).toBe(1);
      expect(unsigned.stdout).toBe('NOT VERIFIED redis-dr-drill-00000002.json: carries no attestation (unsigned, or not a redis-dr record)\n');
      unlinkSync(second);
      const gap = await attest();
      expect(gap.code).toBe(1);
      expect(gap.stdout).toBe('NOT VERIFIED redis-dr-drill-00000003.json: a gap: record 2 is missing between redis-dr-drill-00000001.json and it\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a Sign that fails writes no record and fails the report (the execution ends DrillReportFailed and pages), never an unsigned record', async () => {
    const b = await bucket();
    const signer = refusingSigner();
    const published: string[] = [];
    await expect(reportDrill(event(), deps(b, signer, published))).rejects.toThrow(/kms:Sign/);
    expect(await keysUnder(b, 'drills/')).toEqual([]);
    // The drill's outcome was still sent before the record was attempted.
    expect(published).toHaveLength(1);
  }, 60_000);
});
