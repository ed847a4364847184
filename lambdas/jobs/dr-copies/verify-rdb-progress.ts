/**
 * What verify-rdb (verify-rdb.ts) is given and carries between its invocations: the S3 event, and a paused
 * verification's checkpoint and progress, checked, since a state machine carries them.
 */
import { z } from 'zod';
import { unpackTemplates } from '../../domain/dr-copies/verify-state.js';
import { copyVerificationSettingsSchema } from '../../domain/plans/settings.js';
import { RDB_WARNING_KINDS, type RdbCheckpoint } from '../../domain/rdb/verifier.js';

/** The EventBridge "Object Created" / "Object Tags Added" event, as far as it is used. */
export const s3ObjectEventSchema = z.object({
  'detail-type': z.enum(['Object Created', 'Object Tags Added']),
  source: z.literal('aws.s3'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(3) }),
    object: z.object({
      // Our keys use only URL-safe characters; EventBridge passes keys as written.
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      'version-id': z.string().optional(),
    }),
  }),
});
export type S3ObjectEvent = z.infer<typeof s3ObjectEventSchema>;

/** The CRC-64 state and counts of a paused verification (checked, since a state machine carries it). */
export const rdbCheckpointSchema = z.object({
  format: z.literal(1),
  offset: z.number().int().positive(),
  crc: z.string().regex(/^[0-9a-f]{16}$/),
  requireChecksum: z.boolean(),
  version: z.number().int().nonnegative(),
  valkey: z.boolean(),
  keys: z.number().int().nonnegative(),
  expires: z.number().int().nonnegative(),
  expiredKeys: z.number().int().nonnegative(),
  // The expiry histogram so far (absent before it existed: the report then has none, and drills allow for every expiring key).
  expiryCounts: z.array(z.number().int().nonnegative()).readonly().optional(),
  expiryUnbased: z.number().int().nonnegative().optional(),
  emptyKeys: z.number().int().nonnegative(),
  fileTimeMs: z.number(),
  pendingExpireMs: z.number().optional(),
  moduleTypes: z.record(z.string(), z.number()),
  // Absent in checkpoints taken before it existed: an execution in flight across a deploy goes on.
  moduleAux: z.array(z.string()).readonly().optional(),
  // Absent in checkpoints taken before it existed, and when none.
  ignorableKeyMeta: z.record(z.string(), z.number().int().nonnegative()).optional(),
  databases: z.array(z.number().int().nonnegative()).readonly(),
  // The database selected at the checkpoint; absent in checkpoints taken before it was kept (then the last of databases).
  db: z.number().int().nonnegative().optional(),
  // Absent in checkpoints taken before keys were counted per database (the report then has no per-database counts).
  keysByDb: z.record(z.string(), z.number().int().nonnegative()).optional(),
  byType: z.record(z.string(), z.number()),
  // The RDB value type bytes read before the checkpoint; absent in checkpoints taken before they were kept. Dropped, the
  // resumed verifier keeps none (report.ts typesSeen) and the report has no rdbTypes, which the engines line judges by.
  rdbTypes: z.array(z.number().int().min(0).max(255)).readonly().optional(),
  auxFields: z.record(z.string(), z.string()),
  functionLibraries: z.number().int().nonnegative(),
  // Absent in checkpoints taken before library names were kept, and when none. Dropped, a library after the resume point
  // with a name one before it had (a file Redis refuses whole) would pass.
  functionLibraryNames: z.array(z.string()).readonly().optional(),
  // Absent in checkpoints taken before Valkey 9's slot import state was read (none then).
  slotImports: z
    .array(
      z.object({
        job: z.string(),
        ranges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).readonly()).readonly(),
        rangeCount: z.number().int().nonnegative(),
      }),
    )
    .readonly()
    .optional(),
  slotImportJobs: z.number().int().nonnegative().optional(),
  // Absent in checkpoints taken before Redis 8.10's hash templates were read (none then). Dropped, a key after the
  // resume point would name a template the resumed verification never saw: a good copy called corrupt.
  // Packed (domain/dr-copies/verify-state.ts: a few bytes a template, so the registry of a Redis 8.10 file fits the
  // state), or as pairs (checkpoints taken before it was packed).
  hashTemplates: z
    .union([
      z.string().transform((packed, ctx) => {
        try {
          return unpackTemplates(packed);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
      z.array(z.tuple([z.number().int().nonnegative(), z.number().int().positive()]).readonly()).readonly(),
    ])
    .optional(),
  templateHashes: z.number().int().nonnegative().optional(),
  warnings: z.array(z.object({ offset: z.number(), message: z.string() })).readonly(),
  warningCount: z.number().int().nonnegative(),
  warningKinds: z.partialRecord(z.enum(RDB_WARNING_KINDS), z.number().int().nonnegative()).optional(),
  sampledCollections: z.number().int().nonnegative(),
  minDetectionProbability: z.number().min(0).max(1),
}) satisfies z.ZodType<RdbCheckpoint>;

/** How far a verification got, carried from one invocation to the next. */
export const verifyProgressSchema = z.object({
  /** The object version the checkpoint belongs to: a checkpoint is never used on another. */
  size: z.number().int().nonnegative(),
  etag: z.string().optional(),
  versionId: z.string().optional(),
  /** When the first invocation started (ms since the epoch): the verification's duration is measured from here. */
  startedAt: z.number(),
  invocations: z.number().int().positive(),
  checkpoint: rdbCheckpointSchema,
  /**
   * The key index's segments put beside the copy so far (copy-key-index.ts):
   * their boundaries, 0 to this checkpoint's offset; absent when one could
   * not be put (the copy then gets no index).
   */
  keyIndexParts: z.array(z.number().int().nonnegative()).optional(),
});
export type VerifyProgress = z.infer<typeof verifyProgressSchema>;
/** A progress as the state machine carries it (JSON): its checkpoint's template registry packed. */
export type VerifyProgressState = z.input<typeof verifyProgressSchema>;

/** The input of one invocation: the S3 event, and the progress of the invocations before. */
export const verifyStepSchema = z.object({
  event: s3ObjectEventSchema,
  progress: verifyProgressSchema.optional(),
  /** Times the object changed under a verification, which then started again from byte 0. */
  restarts: z.number().int().nonnegative().optional(),
});
export type VerifyStepInput = z.infer<typeof verifyStepSchema>;

/**
 * What the verify state machine's task sends each invocation: the step (the
 * state: event, progress, restarts) and the plans' settings, parsed with the
 * schema the config's settings come from (domain/plans/settings.ts).
 */
export const verifyInvocationSchema = z.strictObject({
  step: verifyStepSchema,
  settings: copyVerificationSettingsSchema,
});
export type VerifyInvocation = z.infer<typeof verifyInvocationSchema>;
