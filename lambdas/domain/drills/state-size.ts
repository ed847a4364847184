/**
 * A drill's recovery point choice kept within what Step Functions carries.
 * The choice rides in the drill's state from the select step to the report
 * (`$.drill.choice`), beside the drill's input and what each step adds
 * (timings, the verify report, cleanup), and the create step's parameters
 * repeat its object ARNs and slot layout in a payload of their own. Each is
 * bounded by Step Functions' 256 KiB, a hard quota whose error
 * (`States.DataLimitExceeded`) no Catch takes: a drill that outgrew it would
 * stop where it stood, without its report and, past the create step,
 * without its cleanup. A copy of hundreds of shards (ElastiCache allows 500)
 * has an object ARN, a slot range and an expiry histogram (up to 256
 * characters) per shard, and a vault seed a key and a version per shard too.
 * Pure.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (States.DataLimitExceeded: a terminal error States.ALL does not catch)
 */
import { RUNBOOKS } from '../alerting/catalog.js';
import { STEP_FUNCTIONS_MAX_STATE_BYTES } from '../dr-copies/verify-state.js';
import type { RecoveryPointChoice } from './drill.js';
import { RestorePreflightError } from './restore-preflight.js';
import { seedCopyKey, seedCopyResult } from '../vault/vault-seed.js';

/**
 * What the drill's steps add to its state besides the choice, the input and what grows with the shards
 * ({@link shardStepsBytes}), at most: the timings, the verify report's counts and checks (whose texts name at most
 * the keys the input names, counted apart), the access and cleanup results and an error's cause (cut to 600
 * characters, report.ts), with room to spare.
 */
export const STEPS_STATE_BYTES = 32 * 1024;

/**
 * A shard's share of the replication group the wait step describes and keeps while the drill runs
 * (`$.drill.group.group`, DescribeReplicationGroups' whole group): its node group (id, status, slots, its one
 * member's cluster id, node id and zone) and its member cluster's id, about 270 bytes with a 40-character
 * group id (the API reference's fields; not measured on a live group), with room to spare.
 */
export const DESCRIBE_BYTES_PER_SHARD = 384;

/**
 * The most a choice may take for a drill whose input is `inputBytes` of JSON: the quota less what the steps add
 * (`shardBytes`: what grows with its shards, {@link shardStepsBytes}) and twice the input (the input rides in the
 * state, and the verify report's expect-keys and expect-values checks may quote what it names).
 */
export function maxChoiceBytes(inputBytes: number, shardBytes = 0): number {
  return STEP_FUNCTIONS_MAX_STATE_BYTES - STEPS_STATE_BYTES - shardBytes - 2 * inputBytes;
}

/**
 * What the steps after the select add to the state a shard at a time, for `choice`: the replication group the wait
 * step describes ({@link DESCRIBE_BYTES_PER_SHARD}); from the vault, the copy step's result (`$.drill.seedCopy`: each
 * copy's key, ARN and read-back line, at their longest: an execution name of 80 characters, the aws-us-gov
 * partition, a 63-character bucket unless the input names it), its delete's (`$.drill.seedCleanup`: the keys again)
 * and the report's summary (`$.drill.report`: a line per vault object).
 */
export function shardStepsBytes(choice: RecoveryPointChoice, seedBucket?: string): number {
  const describe = choice.kind === 'replication-group' ? choice.shards * DESCRIBE_BYTES_PER_SHARD : 0;
  const vault = choice.vault;
  if (!vault) return describe;
  const bucket = seedBucket ?? 'b'.repeat(63);
  const keys = vault.keys.map((k) => seedCopyKey('x'.repeat(80), k));
  const replica = (key: string) => vault.replicas?.find((r) => r.key === key);
  const longest = { size: Number.MAX_SAFE_INTEGER, etag: `"${'e'.repeat(32)}-10000"` };
  const copy = seedCopyResult(bucket, 'aws-us-gov', keys, (i) => replica(vault.keys[i]!) ?? longest);
  // The copies' ARNs then take the vault objects' place in the choice (seed-copy.ts 'Seed from the copy').
  const arnsGrow = Math.max(0, jsonBytes(copy.snapshotArns) - jsonBytes(choice.snapshotArns ?? []));
  const cleanup = jsonBytes(keys);
  // The summary's line per object (report.ts vaultLines), its newline escaped in the JSON.
  const summary = vault.keys.reduce((n, k) => n + jsonBytes(`  s3://${vault.bucket}/${k} (version ${replica(k)?.versionId ?? ''})\n`), 0);
  return describe + jsonBytes(copy) + arnsGrow + cleanup + summary;
}

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v), 'utf8');
}

/** Bytes of the choice as Step Functions counts them (UTF-8 of its JSON). */
export function choiceBytes(choice: RecoveryPointChoice): number {
  return jsonBytes(choice);
}

/**
 * The choice as the drill carries it: unchanged when it fits
 * {@link maxChoiceBytes} for the drill's input; else without the shards' expiry histograms
 * (`expected.expiries`, marked `expiriesLeftOut`: the key check then allows
 * every key with an expiry to be gone, and says why), and
 * `droppedExpiries` set. Still over: {@link RestorePreflightError}, before
 * anything is created, naming the size and the shards.
 */
export function fitChoice(
  choice: RecoveryPointChoice,
  input: unknown,
  region?: string,
): { readonly choice: RecoveryPointChoice; readonly droppedExpiries: boolean; readonly maxBytes: number } {
  const inputBytes = jsonBytes(input);
  const shardBytes = shardStepsBytes(choice, seedBucketOf(input));
  const max = maxChoiceBytes(inputBytes, shardBytes);
  if (choiceBytes(choice) <= max) return { choice, droppedExpiries: false, maxBytes: max };
  const { expiries, ...rest } = choice.expected;
  const lighter = { ...choice, expected: expiries === undefined ? rest : { ...rest, expiriesLeftOut: true as const } };
  const bytes = choiceBytes(lighter);
  if (bytes <= max) return { choice: lighter, droppedExpiries: expiries !== undefined, maxBytes: max };
  throw new RestorePreflightError(choice.recoveryPoint, [
    {
      rule: 'drill-state-size',
      reason:
        `its ${choice.shards} shard(s) make a drill state of about ${bytes - max + STEP_FUNCTIONS_MAX_STATE_BYTES} bytes, over Step Functions' ` +
        `${STEP_FUNCTIONS_MAX_STATE_BYTES}: the choice ${bytes} without their expiry histograms, what the steps add for the shards ${shardBytes}, ` +
        `the input twice ${2 * inputBytes} and the other steps ${STEPS_STATE_BYTES}`,
      fix:
        'the drill state machine cannot carry this copy: restore it by hand with ' +
        `\`redis-dr restore -c config/<env>.json --target ${choice.target} --new-id <id> ${restoreFrom(choice, region)}\` and check it (${RUNBOOKS.restoreDrill})`,
    },
  ]);
}

/** The DR bucket a vault seed is copied to, when the drill's input names it. */
function seedBucketOf(input: unknown): string | undefined {
  const vault = (input as { vault?: { seedBucket?: unknown } } | undefined)?.vault;
  return typeof vault?.seedBucket === 'string' ? vault.seedBucket : undefined;
}

/**
 * `redis-dr restore`'s options for the choice's point (restore-point.ts restoreSource): the snapshot; the vault's copy
 * of this point (`s3://<vault bucket>/<export>`, restored in the vault's region; `--from vault` would take the vault's
 * newest, not a point drawn or passed over to); or the DR copy's `s3://<bucket>/<export>` with `--region`, the DR
 * region the select step runs in (S3 copies restore there only: without it restore refuses the command).
 */
function restoreFrom(choice: RecoveryPointChoice, region: string | undefined): string {
  if (choice.snapshotName) return `--from ${choice.snapshotName}`;
  if (choice.vault) return `--from s3://${choice.vault.bucket}/${choice.recoveryPoint}`;
  const bucket = /^arn:aws[\w-]*:s3:::([^/]+)\//.exec(choice.snapshotArns?.[0] ?? '')?.[1];
  return `--region ${region ?? '<DR region>'} --from ${bucket ? `s3://${bucket}/${choice.recoveryPoint}` : choice.recoveryPoint}`;
}
