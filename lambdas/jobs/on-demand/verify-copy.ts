/**
 * `redis-dr verify-copy`: the DR verify state machine on one copy now (the
 * input S3's Object Created event gives it), followed to its end, and the
 * verdict it tagged the copy with.
 */
import { startExecution } from '../../adapters/aws/executions.js';
import { getObjectTags, listObjects } from '../../adapters/aws/s3.js';
import { replicaVersion } from '../../adapters/aws/vault-verdicts.js';
import { parseExportObjectKey } from '../../domain/dr-copies/export.js';
import { TAGS } from '../../domain/plans/types.js';
import { executionName, followExecution } from './executions.js';
import type { OperatorAws, WaitOptions } from './operator.js';

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
  /** Tag `redis-dr:verified`: ok, corrupt, unsupported; undefined when none was written. */
  readonly verdict?: string;
  /** Tag `redis-dr:rdb` (RDB version, keys). */
  readonly rdb?: string;
  readonly error?: string;
  readonly ok: boolean;
}

/** The newest `.rdb` copy of `target` in the bucket. */
async function newestCopy(aws: OperatorAws, region: string, bucket: string, target: string): Promise<string> {
  const copies = (await listObjects(aws.s3(region), bucket, `rdr-${target}-`))
    .filter((o) => parseExportObjectKey(o.key)?.snapshot.startsWith(`rdr-${target}-`))
    .sort((a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0) || b.key.localeCompare(a.key));
  if (!copies[0]) throw new Error(`no copy of ${target} in s3://${bucket}: export one first (redis-dr export --plan <plan> --target ${target} --wait)`);
  return copies[0].key;
}

/** Starts the verification of one copy and follows it to its verdict. */
export async function verifyCopy(input: VerifyCopyInput, aws: OperatorAws, wait: WaitOptions): Promise<VerifyCopyResult> {
  const s3 = aws.s3(input.region);
  const key = input.key ?? (await newestCopy(aws, input.region, input.bucket, input.target ?? ''));
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
  const executionArn = await startExecution(aws.sfn(input.region), input.stateMachineArn, executionName('cli-verify', new Date(aws.clock.now())), event);
  const ended = await followExecution(aws.sfn(input.region), executionArn, aws.clock, wait, `verification of s3://${input.bucket}/${key}`);
  const tags = await getObjectTags(s3, input.bucket, key);
  const verdict = tags[TAGS.verified];
  return {
    bucket: input.bucket,
    key,
    executionArn,
    status: ended.status ?? 'UNKNOWN',
    ...(verdict ? { verdict } : {}),
    ...(tags[TAGS.rdb] ? { rdb: tags[TAGS.rdb] } : {}),
    ...(ended.error ? { error: `${ended.error}${ended.cause ? `: ${ended.cause}` : ''}` } : {}),
    ok: ended.status === 'SUCCEEDED' && verdict === 'ok',
  };
}
