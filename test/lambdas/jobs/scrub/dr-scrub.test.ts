/**
 * The scheduled scrub of the DR bucket over a real S3 API (moto) and real RDB
 * files: a flipped byte in an old copy pages rdb-corrupt naming it and fails
 * the run; good copies pass; an unreadable copy fails the run; daily runs
 * re-read every copy within `days`, and skipped runs leave copies past it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { writeVerdictObject } from '../../../../lambdas/adapters/records/verdict-objects.js';
import { verdictOfTags } from '../../../support/verdict-store.js';
import { isVerdictObjectKey } from '../../../../lambdas/domain/points/verdict-objects.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { scrubCoverage } from '../../../../lambdas/domain/scrub/coverage.js';
import { parseScrubRecord, scrubHistory } from '../../../../lambdas/domain/scrub/record.js';
import { readScrubRecords } from '../../../../lambdas/adapters/records/scrub-records.js';
import { type DrScrubDeps, runDrScrub, twinIn } from '../../../../lambdas/jobs/scrub/dr-bucket.js';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { runInProcess } from '../../../cli/support/in-process.js';
import { auditorPublicKeyPem, kmsEvidenceKey, refusingSigner } from '../../../support/kms-evidence.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';
import { COPIES, DAY, FIXTURES, failedRun, recordedS3 as recorded, scrubDeps } from './bucket-fixtures.js';

let moto: MotoS3;
let n = 0;

beforeAll(async () => {
  moto = await startMotoS3();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/** A DR bucket (versioned, as a replication destination is) holding every fixture as a copy verify-rdb judged `ok` with its key count. */
async function drBucket(): Promise<string> {
  const bucket = `dr-scrub-${++n}`;
  await moto.bucket(bucket);
  await moto.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  for (const [file, keys] of Object.entries(COPIES)) await putCopy(moto.client, bucket, file, readFileSync(join(FIXTURES, file)), keys);
  return bucket;
}

/**
 * A copy as verify-rdb leaves it: its verdict object (written and read back, naming the version put) and its verdict
 * tags; `forged`: the tags alone (somebody else's verdict, no object).
 */
async function putCopy(s3: S3Client, bucket: string, key: string, body: Uint8Array, keys: number, forged = false): Promise<void> {
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const tags = { [TAGS.verified]: 'ok', [TAGS.rdb]: `v=9 keys=${keys} expires=0` };
  const verdict = verdictOfTags(key, tags, { versionId: put.VersionId!, etag: put.ETag!, size: body.length });
  if (!forged) await writeVerdictObject(s3, bucket, 'dr', verdict!);
  await s3.send(
    new PutObjectTaggingCommand({
      Bucket: bucket,
      Key: key,
      Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    }),
  );
}

function recordedS3(real: S3Client = moto.client): S3Client {
  return recorded(real);
}

function deps(at: Date, pages: Page[], extra: Partial<DrScrubDeps> = {}): DrScrubDeps {
  return { ...scrubDeps(recordedS3(), at, pages), ...extra };
}

describe('runDrScrub', () => {
  it('re-reads every due copy, finds each good, and writes its record under scrub/ (read back)', async () => {
    const bucket = await drBucket();
    const pages: Page[] = [];
    const run = await runDrScrub({ bucket, days: 30 }, deps(new Date(Date.now() + 40 * DAY), pages));
    // Read oldest first (by arrival: moto's LastModified has one-second steps, so copies put across a second boundary
    // are not in name order); which copies and each verdict are what this checks.
    expect(run.record.results.map((r) => [r.file, r.ok, r.problems]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1))).toEqual(
      Object.keys(COPIES)
        .sort()
        .map((f) => [f, true, []]),
    );
    expect(run.bad).toEqual([]);
    expect(pages).toEqual([]);
    expect(run.recordKey).toMatch(/^scrub\/redis-dr-scrub-\d{8}T\d{9}Z\.json$/);
    const stored = await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: run.recordKey }));
    expect(parseScrubRecord(await stored.Body!.transformToString())).toEqual(run.record);
    expect(run.coverage).toMatchObject({ copies: 4, readWithinDays: 4, reRead: 4, failing: [] });
  }, 60_000);

  it("with an organization's vault (orgEvidence), writes the same record under <account>/<region>/scrub/ too (verified put), and only there besides scrub/", async () => {
    const bucket = await drBucket();
    const run = await runDrScrub({ bucket, days: 30, orgEvidence: { account: '111111111111' } }, deps(new Date(Date.now() + 40 * DAY), []));
    const name = run.recordKey!.slice('scrub/'.length);
    const orgKey = `${accountRegionPrefix('111111111111', 'eu-west-1')}scrub/${name}`;
    const read = async (key: string) => await (await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
    expect(await read(orgKey)).toBe(await read(run.recordKey!));
    expect(parseScrubRecord(await read(orgKey))).toEqual(run.record);
    const listed = (await moto.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents!.map((o) => o.Key).filter((k) => k!.endsWith('.json'));
    // Besides the copies' verdict objects (the verifier's).
    expect(listed.filter((k) => !isVerdictObjectKey(k ?? '')).sort()).toEqual([orgKey, run.recordKey].sort());
    // Negative: without an organization, nothing is written under an account prefix.
    const plain = await drBucket();
    await runDrScrub({ bucket: plain, days: 30 }, deps(new Date(Date.now() + 40 * DAY), []));
    const keys = (await moto.client.send(new ListObjectsV2Command({ Bucket: plain }))).Contents!.map((o) => o.Key!);
    expect(keys.filter((k) => /^\d{12}\//.test(k))).toEqual([]);
  }, 60_000);

  it('finds a flipped byte in an old copy, pages rdb-corrupt naming it, and fails the run', async () => {
    const bucket = await drBucket();
    const bytes = Buffer.from(readFileSync(join(FIXTURES, 'list-quicklist.rdb')));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await putCopy(moto.client, bucket, 'list-quicklist.rdb', bytes, 2);
    const pages: Page[] = [];
    const run = await failedRun(runDrScrub({ bucket, days: 30 }, deps(new Date(Date.now() + 40 * DAY), pages)));
    expect(run.bad.map((b) => b.file)).toEqual(['list-quicklist.rdb']);
    expect(run.bad[0]!.problems.join('\n')).toMatch(/CRC-64|structure/);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.attributes.kind).toBe('rdb-corrupt');
    expect(pages[0]!.message).toContain(`s3://${bucket}/list-quicklist.rdb`);
    // Bytes found bad: no word of an unproven verdict or of re-verifying it.
    expect(pages[0]!.message).not.toContain('--unproven');
    // The others still passed, and the run's record (with the bad one in it) was written before the failure.
    expect(run.record.results.filter((r) => r.ok)).toHaveLength(3);
    expect((await readScrubRecords(moto.client, bucket)).map((r) => r.startedAt)).toEqual([run.record.startedAt]);
  }, 60_000);

  it('issue 53 item 3: a copy whose ok verdict tag has no verdict object is a bad copy, named, and fails the run', async () => {
    const bucket = await drBucket();
    // Somebody tagged this copy ok (another summary over it): the bytes are intact, the verdict is not the verifier's.
    await putCopy(moto.client, bucket, 'list-quicklist.rdb', readFileSync(join(FIXTURES, 'list-quicklist.rdb')), 2, true);
    const pages: Page[] = [];
    const run = await failedRun(runDrScrub({ bucket, days: 30 }, deps(new Date(Date.now() + 40 * DAY), pages)));
    expect(run.bad.map((b) => b.file)).toEqual(['list-quicklist.rdb']);
    // Still paged (never a false OK), saying the verdict is unproven and how the verifier gives it one.
    expect(pages.map((p) => p.attributes.kind)).toEqual(['rdb-corrupt']);
    expect(pages[0]!.message).toContain('`redis-dr verify-copy -c <config> --unproven`');
    // The bucket's verdict object of the copy names the version verified before; the version now carries only the tag.
    expect(run.bad[0]!.problems.join('\n')).toMatch(
      /verdict tag redis-dr:verified=ok without a verdict object \(the verdict of s3:\/\/.+\/list-quicklist\.rdb is about version .+, not the current .+\): not trusted/,
    );
    expect(run.record.results.filter((r) => r.ok)).toHaveLength(3);
  }, 60_000);

  it('fails the run on a copy that cannot be read (never skipped)', async () => {
    const bucket = await drBucket();
    const real = moto.newClient();
    // GetObject of one copy refused (as a lost permission or a KMS fault would be): the listing still shows it.
    real.middlewareStack.add(
      (next, ctx) => async (args) => {
        const input = args.input as { Key?: string };
        if (ctx.commandName === 'GetObjectCommand' && input.Key === 'zset-ziplist.rdb')
          throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
        return next(args);
      },
      { step: 'initialize' },
    );
    const s3 = recordedS3(real);
    const pages: Page[] = [];
    const run = await failedRun(runDrScrub({ bucket, days: 30 }, deps(new Date(Date.now() + 40 * DAY), pages, { s3 })));
    expect(run.bad.map((b) => [b.file, b.problems])).toEqual([['zset-ziplist.rdb', [expect.stringMatching(/^could not be re-read: .*Access Denied/)]]]);
    expect(pages.map((p) => p.message.split('\n')[0])).toEqual([expect.stringContaining('zset-ziplist.rdb')]);
    real.destroy();
  }, 60_000);

  it('compares each copy with its primary-region twin (length and ETag, HeadObject there), and pages one that differs', async () => {
    const bucket = await drBucket();
    const primary = `primary-${n}`;
    await moto.bucket(primary);
    // hash-ziplist's twin holds other bytes; zset-ziplist's is the same file; the others have none (expired there).
    await moto.client.send(new PutObjectCommand({ Bucket: primary, Key: 'hash-ziplist.rdb', Body: readFileSync(join(FIXTURES, 'list-quicklist.rdb')) }));
    await moto.client.send(new PutObjectCommand({ Bucket: primary, Key: 'zset-ziplist.rdb', Body: readFileSync(join(FIXTURES, 'zset-ziplist.rdb')) }));
    const pages: Page[] = [];
    const twin = twinIn(recordedS3(), primary);
    const run = await failedRun(runDrScrub({ bucket, days: 30 }, deps(new Date(Date.now() + 40 * DAY), pages, { twin })));
    expect(run.bad.map((b) => b.file)).toEqual(['hash-ziplist.rdb']);
    expect(run.bad[0]!.problems).toEqual([
      expect.stringMatching(/^length 137 bytes is not the primary-region twin's 123$/),
      expect.stringMatching(/^ETag .* is not the primary-region twin's ".*"$/),
    ]);
    expect(run.record.results.find((r) => r.file === 'zset-ziplist.rdb')?.ok).toBe(true);
    expect(pages).toHaveLength(1);
  }, 60_000);

  it('re-reads every copy within `days` when it runs daily, and not when runs are skipped', async () => {
    const bucket = await drBucket();
    const start = Date.now() + DAY;
    const days = 3;
    const copies = Object.keys(COPIES).map((file) => ({ file, arrivedAt: new Date(Date.now()) }));
    for (let d = 0; d < 8; d++) {
      const at = new Date(start + d * DAY);
      await runDrScrub({ bucket, days }, deps(at, []));
      const coverage = scrubCoverage(copies, scrubHistory(await readScrubRecords(moto.client, bucket)), { days, now: at });
      expect(coverage.readWithinDays, `day ${d}`).toBe(copies.length);
    }
    // Negative: no run for a week after the last one: the ledger shows every copy past the bound, and the next run takes them all as due.
    const late = new Date(start + 15 * DAY);
    const before = scrubCoverage(copies, scrubHistory(await readScrubRecords(moto.client, bucket)), { days, now: late });
    expect(before.readWithinDays).toBe(0);
    const run = await runDrScrub({ bucket, days }, deps(late, []));
    expect([...run.due].sort()).toEqual(Object.keys(COPIES).sort());
  }, 120_000);

  it('stops before a copy that does not fit the time left: a PARTIAL record naming the copies not re-read, and a failed run (never OK)', async () => {
    const bucket = await drBucket();
    const real = moto.newClient();
    let left = 600_000;
    const headed = new Set<string>();
    // Once the first copy is read (the second copy's first HeadObject), the Lambda has less time left than its reserve.
    real.middlewareStack.add(
      (next, ctx) => async (args) => {
        const key = String((args.input as { Key?: string }).Key);
        if (ctx.commandName === 'HeadObjectCommand' && !isVerdictObjectKey(key) && headed.add(key).size === 2) left = 0;
        return next(args);
      },
      { step: 'initialize' },
    );
    const pages: Page[] = [];
    const p = runDrScrub({ bucket, days: 30 }, deps(new Date(Date.now() + 40 * DAY), pages, { s3: recordedS3(real), remainingMs: () => 60_000 + left }));
    await expect(p).rejects.toThrow(/PARTIAL: stopped before the Lambda's timeout with 3 of the 4 copies/);
    const run = await failedRun(p);
    expect(run.record.results.map((r) => r.ok)).toEqual([true]);
    expect(run.record.partial?.notReRead).toHaveLength(3);
    expect(run.bad).toEqual([]);
    expect(pages).toEqual([]);
    // The record says PARTIAL where the report and the next run read it; the ledger counts only the copy read.
    const [stored] = await readScrubRecords(moto.client, bucket);
    expect(stored?.partial).toEqual(run.record.partial);
    real.destroy();
  }, 60_000);

  it('cuts a stalled read at the deadline: the copy is not judged (no page), the run is PARTIAL and fails', async () => {
    const bucket = await drBucket();
    const real = moto.newClient();
    // list-quicklist's GET stalls until the test ends, so a run that ends at all cut it (the old 4 s stall and a 3.5 s
    // bound on the run failed on a loaded machine). The deadline is set when the copy is looked at (its HeadObject, after
    // the budget let it in, before its read starts): the copies before it are read whatever the machine's speed.
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    let end = Date.now() + 3_600_000;
    real.middlewareStack.add(
      (next, ctx) => async (args) => {
        const key = (args.input as { Key?: string }).Key;
        if (ctx.commandName === 'HeadObjectCommand' && key === 'list-quicklist.rdb') end = Date.now() + 100 + 500;
        if (ctx.commandName === 'GetObjectCommand' && key === 'list-quicklist.rdb') await stalled;
        return next(args);
      },
      { step: 'initialize' },
    );
    const pages: Page[] = [];
    try {
      const run = await failedRun(
        runDrScrub(
          { bucket, days: 30 },
          deps(new Date(Date.now() + 40 * DAY), pages, { s3: recordedS3(real), remainingMs: () => end - Date.now(), reserveMs: 100 }),
        ),
      );
      expect(run.record.partial?.notReRead).toContain('list-quicklist.rdb');
      expect(run.record.results.map((r) => r.file)).not.toContain('list-quicklist.rdb');
      expect(run.record.results.length).toBeGreaterThan(0);
      expect(run.record.results.every((r) => r.ok)).toBe(true);
      expect(pages).toEqual([]);
    } finally {
      release();
      real.destroy();
    }
  }, 60_000);

  it("signs each run's record with the evidence key (KMS mocked with a real P-256 key): redis-dr attest verifies the chain offline with the public key as exported", async () => {
    const bucket = await drBucket();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    const at = Date.now() + 40 * DAY;
    const first = await runDrScrub({ bucket, days: 30 }, deps(new Date(at), [], { signer }));
    const second = await runDrScrub({ bucket, days: 30 }, deps(new Date(at + DAY), [], { signer }));
    expect([first.attestation?.seq, second.attestation?.seq]).toEqual([1, 2]);
    expect(first.attestation).toMatchObject({ deployment: `s3://${bucket}/`, keyId: signer.keyId, previous: null });
    // What an auditor does (docs/attest.md): copies scrub/ down, converts `aws kms get-public-key`'s DER with openssl, runs attest.
    const dir = mkdtempSync(join(tmpdir(), 'dr-scrub-evidence-'));
    try {
      const pem = auditorPublicKeyPem(key, dir);
      const folder = join(dir, 'evidence');
      mkdirSync(folder);
      for (const k of [first.recordKey!, second.recordKey!]) {
        const got = await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
        writeFileSync(join(folder, k.replace(/^scrub\//, '')), await got.Body!.transformToString());
      }
      const ok = await runInProcess(['attest', folder, '--public-key', pem, '--deployment', `s3://${bucket}/`]);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toBe(`VERIFIED ${folder}: 2 record(s), one chain from record 1 to 2 of s3://${bucket}/, every signature and digest good\n`);
      // A changed digit in the first record: exit 1 naming it.
      const name = first.recordKey!.replace(/^scrub\//, '');
      writeFileSync(join(folder, name), readFileSync(join(folder, name), 'utf8').replace('"copies": 4', '"copies": 5'));
      const bad = await runInProcess(['attest', folder, '--public-key', pem]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe(`NOT VERIFIED ${name}: its content is not what was signed (changed after signing)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('writes no record when the evidence key cannot sign (the run fails: never an unsigned record where one is signed)', async () => {
    const bucket = await drBucket();
    const signer = refusingSigner();
    await expect(runDrScrub({ bucket, days: 30 }, deps(new Date(Date.now() + 40 * DAY), [], { signer }))).rejects.toThrow(/kms:Sign/);
    expect(await readScrubRecords(moto.client, bucket)).toEqual([]);
  }, 60_000);
});
