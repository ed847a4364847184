/**
 * What the Lambda code really sends to AWS, recorded from the job tests.
 *
 * Every `mockClient(…)` of a test file is registered (test/support/setup.ts
 * wraps aws-sdk-client-mock); after each test the commands its stubs
 * received are kept as calls: service, operation, and the request members
 * that name resources or tags. A job test file belongs to the function that
 * runs that job ({@link PRINCIPALS}); its calls are checked in under
 * `test/fixtures/iam/calls/<test file>.json`, which test/lib/iam-functions.test.ts
 * evaluates against the function's role with an IAM policy simulator. The
 * CLI's tests are the operator's calls (`cli-<test file>.json`), from which
 * docs/iam/operator-policy.json is derived.
 *
 * After a test file, its recorded calls must all be in its checked-in file
 * (compared by shape: operation, members, tag keys), so a job that starts
 * making a new call fails its own tests until the file is re-recorded:
 * `RECORD_AWS_CALLS=1 npx vitest run <test file>` (run the whole file).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The function whose role makes the calls of each job test file. */
export const PRINCIPALS: Record<string, string> = {
  'alert-formatter.test.ts': 'alert-formatter',
  'drill-reaper.test.ts': 'drill-reaper',
  'drill-report.test.ts': 'drill-report',
  'drill-evidence.test.ts': 'drill-report',
  'drill-select.test.ts': 'drill-select',
  'drill-seed-copy.test.ts': 'drill-seed-copy',
  'drill-verify.test.ts': 'drill-verify',
  'elasticache-report.test.ts': 'report',
  'dr-scrub.test.ts': 'scrub',
  // The vault stack's scrub role (handler scrub there): test/lib/iam-functions.test.ts names the vault's roles vault-<handler>.
  'vault-scrub.test.ts': 'vault-scrub',
  'export.test.ts': 'export',
  'freshness.test.ts': 'freshness',
  'freshness-scrub.test.ts': 'freshness',
  'probe.test.ts': 'probe',
  'prune.test.ts': 'prune',
  'scheduled-report.test.ts': 'report',
  'snapshot.test.ts': 'snapshot',
  'snapshot-collapse.test.ts': 'snapshot',
  'verify-rdb.test.ts': 'verify-rdb',
  'verify-rdb-collapse.test.ts': 'verify-rdb',
  // The vault stack's verify role (its verdicts signed into the vault's chain).
  'verify-rdb-vault-chain.test.ts': 'vault-verify-rdb',
};

/** The principal of a test file's calls: the function of a job test, `operator` for the CLI's tests, or none. */
export function principalOf(testPath: string): string | undefined {
  return /[\\/]test[\\/]cli[\\/].+\.test\.ts$/.test(testPath) ? 'operator' : PRINCIPALS[basename(testPath)];
}

/** Where a test file's calls are checked in. */
export function callsFileOf(testPath: string): string {
  const name = basename(testPath, '.test.ts');
  return join(CALLS_DIR, principalOf(testPath) === 'operator' ? `cli-${name}.json` : `${name}.json`);
}

/** One call as recorded: which function, which service and operation, the members that name resources and tags. */
export interface AwsCall {
  readonly principal: string;
  /** The SDK client's service: `elasticache`, `s3`, `tag`, `sns`, `states`, `lambda`, `secretsmanager`, `sts`, `scheduler`. */
  readonly service: string;
  /** The API operation: `DescribeSnapshots`. */
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

export const CALLS_DIR = join(__dirname, '..', 'fixtures', 'iam', 'calls');

const SERVICES: Record<string, string> = {
  ElastiCacheClient: 'elasticache',
  S3Client: 's3',
  ResourceGroupsTaggingAPIClient: 'tag',
  SNSClient: 'sns',
  SFNClient: 'states',
  LambdaClient: 'lambda',
  SecretsManagerClient: 'secretsmanager',
  STSClient: 'sts',
  SchedulerClient: 'scheduler',
  CloudFormationClient: 'cloudformation',
  CloudWatchClient: 'cloudwatch',
  KMSClient: 'kms',
};

/** Members that carry data or secrets, not names: never recorded (a state machine's `input` is data too). */
const DATA_MEMBERS = new Set([
  'Body',
  'Message',
  'Payload',
  'SecretString',
  'Subject',
  'MessageAttributes',
  'ContentMD5',
  'ChecksumSHA256',
  'AuthToken',
  'Passwords',
  'input',
]);

interface Stub {
  calls(): { args: unknown[] }[];
  /** Puts the client's own `send` back. */
  restore(): void;
}

/** Distinct calls of one shape kept in a checked-in file. */
const SAMPLES_PER_SHAPE = 3;

/** Every stub of the test file; `service` only for the clients whose calls are recorded. */
const stubs: { service: string | undefined; stub: Stub }[] = [];
const seen = new WeakSet<object>();
const recorded: AwsCall[] = [];

/** Registers a stub made by `mockClient(client)` (setup.ts does this for every test file). */
export function registerStub(client: { name: string }, stub: Stub): void {
  stubs.push({ service: SERVICES[client.name], stub });
}

/** The members of a request that name resources or tags (short strings, tag lists, the S3 tag set). */
export function namingMembers(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input ?? {})) {
    if (DATA_MEMBERS.has(k)) continue;
    if (typeof v === 'string' && v.length <= 256) out[k] = v;
    // Lists of names (SnapshotArnsToRestore, UserGroupIds, SecurityGroupIds): resources the call names too.
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length <= 256)) out[k] = v;
    else if (k === 'Tags' && Array.isArray(v)) out[k] = v;
    else if (k === 'Tagging' && v !== null && typeof v === 'object') out[k] = v;
  }
  return out;
}

/** Takes the commands the registered stubs received since the last collection, for the test file's principal. */
export function collectCalls(testPath: string | undefined): void {
  const principal = testPath ? principalOf(testPath) : undefined;
  for (const { service, stub } of stubs) {
    if (!service) continue;
    for (const call of stub.calls()) {
      const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
      if (seen.has(command)) continue;
      seen.add(command);
      if (!principal) continue;
      recorded.push({ principal, service, operation: command.constructor.name.replace(/Command$/, ''), input: namingMembers(command.input) });
    }
  }
}

/**
 * After a test file: restores every client it mocked and forgets its stubs and
 * calls, so nothing of it reaches the next file a shared worker runs
 * (vitest.config.mts: the CDK tests run without isolation).
 */
export function releaseStubs(): void {
  for (const { stub } of stubs.splice(0)) stub.restore();
  recorded.length = 0;
}

/** A call's shape: what must be in the checked-in file (values may differ run to run; members and tag keys may not). */
export function shapeOf(call: Omit<AwsCall, 'input'> & { input: Record<string, unknown> }): string {
  const tags = Array.isArray(call.input.Tags) ? (call.input.Tags as { Key: string }[]).map((t) => t.Key).sort() : [];
  const tagSet = (call.input.Tagging as { TagSet?: { Key: string }[] } | undefined)?.TagSet?.map((t) => t.Key).sort() ?? [];
  return JSON.stringify([call.principal, call.service, call.operation, Object.keys(call.input).sort(), tags, tagSet]);
}

/** The shapes of `made` calls that `checkedIn` lacks. */
export function uncheckedShapes(made: readonly AwsCall[], checkedIn: readonly AwsCall[]): string[] {
  const known = new Set(checkedIn.map(shapeOf));
  return [...new Set(made.map(shapeOf).filter((s) => !known.has(s)))];
}

/** The checked-in calls of a test file. */
export function checkedInCalls(file: string): AwsCall[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AwsCall[]) : [];
}

/**
 * After a test file: in record mode, writes its calls (distinct, sorted);
 * otherwise throws when it made a call whose shape is not checked in.
 */
export function settleCalls(testPath: string | undefined): void {
  if (!testPath || !principalOf(testPath)) return;
  const file = callsFileOf(testPath);
  if (process.env.RECORD_AWS_CALLS === '1') {
    const distinct = [...new Set(recorded.map((c) => JSON.stringify(c)))].sort();
    // A few samples of each shape are enough to judge the role; the file stays readable.
    const perShape = new Map<string, number>();
    const kept = distinct.filter((line) => {
      const shape = shapeOf(JSON.parse(line) as AwsCall);
      perShape.set(shape, (perShape.get(shape) ?? 0) + 1);
      return perShape.get(shape)! <= SAMPLES_PER_SHAPE;
    });
    if (kept.length === 0) {
      rmSync(file, { force: true });
      return;
    }
    mkdirSync(CALLS_DIR, { recursive: true });
    writeFileSync(file, `[\n${kept.join(',\n')}\n]\n`);
    return;
  }
  const missing = uncheckedShapes(recorded, checkedInCalls(file));
  if (missing.length > 0) {
    throw new Error(
      `${basename(testPath)} made AWS calls its role has not been checked for (not in ${file}):\n  ${missing.join('\n  ')}\n` +
        `re-record them: RECORD_AWS_CALLS=1 npx vitest run ${testPath}, then run test/lib/iam-functions.test.ts`,
    );
  }
}
