/**
 * `redis-dr verify-copy`: the DR verify state machine on one copy now (the
 * input S3's Object Created event gives it), followed to its end, and the
 * verdict it gave the copy: its verdict object's, the tags only as that
 * object confirms them (a verdict tag without one is `unproven`).
 */
import { startExecution } from '../../adapters/aws/executions.js';
import { listObjects } from '../../adapters/aws/s3/objects.js';
import { readDrCopy, replicaVersion } from '../../adapters/records/verdict-objects.js';
import { parseExportObjectKey } from '../../domain/points/export-objects.js';
import { TAGS } from '../../domain/plans/types.js';
import { executionName, followExecution } from './executions.js';
import type { OperatorAws, WaitOptions } from '../kernel/operator.js';

/** Which copy, where. */
export interface VerifyCopyInput {
  readonly stateMachineArn: string;
  readonly region: string;
  readonly bucket: string;
  /** The copy's key; undefined: the newest copy of `target`. */
  readonly key?: string;
  readonly target?: string;
}

/** The verdict on one copy. */
export interface VerifyCopyResult {
  readonly bucket: string;
  readonly key: string;
  readonly executionArn: string;
  /** SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
  readonly status: string;
  /** The verdict object's: ok, corrupt, unsupported; `unproven` for a verdict tag without one; undefined when none was written. */
  readonly verdict?: string;
  /** The verdict's summary, as tag `redis-dr:rdb` spells it (RDB version, keys). */
  readonly rdb?: string;
  /** A verdict tag on the copy that was not taken, and why (without a verdict object, or saying otherwise). */
  readonly untrusted?: string;
  readonly error?: string;
  /** True only when every shard verified ok. */
  readonly ok: boolean;
  /** With `--newest` of an export of several shards: each shard's own result (the fields above are the first shard not ok, else the last). */
  readonly shards?: readonly VerifyCopyResult[];
}

/** Every shard's `.rdb` copy of the newest export of `target` in the bucket. */
async function newestCopies(aws: OperatorAws, region: string, bucket: string, target: string): Promise<string[]> {
  const prefix = `rdr-${target.toLowerCase()}-`;
  const copies = (await listObjects(aws.s3(region), bucket, prefix))
    .map((o) => ({ o, parsed: parseExportObjectKey(o.key) }))
    .filter((c) => c.parsed?.snapshot.startsWith(prefix))
    .sort((a, b) => (b.o.lastModified?.getTime() ?? 0) - (a.o.lastModified?.getTime() ?? 0) || b.o.key.localeCompare(a.o.key));
  const newest = copies[0]?.parsed;
  if (!newest) throw new Error(`no copy of ${target} in s3://${bucket}: export one first (redis-dr export --plan <plan> --target ${target} --wait)`);
  // One object per shard: a copy is verified only when every shard of its export is.
  return copies
    .filter((c) => c.parsed!.exportName === newest.exportName)
    .map((c) => c.o.key)
    .sort();
}

/**
 * Starts the verification of one copy and follows it to its verdict; with
 * `target` (no key), of every shard of the target's newest export, one after
 * another, ok only when all are.
 */
export async function verifyCopy(input: VerifyCopyInput, aws: OperatorAws, wait: WaitOptions): Promise<VerifyCopyResult> {
  if (input.key !== undefined) return verifyOneCopy(input, input.key, aws, wait);
  const keys = await newestCopies(aws, input.region, input.bucket, input.target ?? '');
  if (keys.length === 1) return verifyOneCopy(input, keys[0]!, aws, wait);
  const shards: VerifyCopyResult[] = [];
  for (const key of keys) shards.push(await verifyOneCopy(input, key, aws, wait));
  const shown = shards.find((r) => !r.ok) ?? shards.at(-1)!;
  return { ...shown, ok: shards.every((r) => r.ok), shards };
}

/** Verifies `key` and follows it to its verdict; `name` prefixes the execution's name (one per copy when several start at once). */
export async function verifyOneCopy(
  input: Pick<VerifyCopyInput, 'stateMachineArn' | 'region' | 'bucket'>,
  key: string,
  aws: OperatorAws,
  wait: WaitOptions,
  name = 'cli-verify',
): Promise<VerifyCopyResult> {
  const s3 = aws.s3(input.region);
  const head = await replicaVersion(s3, input.bucket, key);
  // What EventBridge delivers for an Object Created event: the state machine reads bucket, key and size from it.
  const event = {
    version: '0',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    region: input.region,
    time: new Date(aws.clock.now()).toISOString(),
    detail: { bucket: { name: input.bucket }, object: { key, size: head.size, ...(head.versionId ? { 'version-id': head.versionId } : {}) } },
  };
  const executionArn = await startExecution(aws.sfn(input.region), input.stateMachineArn, executionName(name, new Date(aws.clock.now())), event);
  const ended = await followExecution(aws.sfn(input.region), executionArn, aws.clock, wait, `verification of s3://${input.bucket}/${key}`);
  const reading = await readDrCopy(s3, input.bucket, key);
  const { tags } = reading;
  const verdict = tags[TAGS.verified];
  return {
    bucket: input.bucket,
    key,
    executionArn,
    status: ended.status ?? 'UNKNOWN',
    ...(verdict ? { verdict } : {}),
    ...(tags[TAGS.rdb] ? { rdb: tags[TAGS.rdb] } : {}),
    ...(reading.untrusted ? { untrusted: reading.untrusted } : {}),
    ...(ended.error ? { error: `${ended.error}${ended.cause ? `: ${ended.cause}` : ''}` } : {}),
    ok: ended.status === 'SUCCEEDED' && verdict === 'ok',
  };
}
