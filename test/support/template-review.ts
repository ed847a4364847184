/**
 * The template review of issue 35, automated: small pure checks over
 * synthesized CloudFormation templates, each returning its findings as
 * sentences (empty = passes), so a test can run them over every fixture
 * config and prove each can fail on a planted fragment.
 */

/** One resource of a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** A template, as JSON. */
export interface TemplateJson {
  readonly Resources?: Record<string, TemplateResource>;
}

/** Properties that give a resource a fixed physical name (account- or region-wide). */
export const NAME_PROPERTIES = [
  'RoleName',
  'BucketName',
  'Name',
  'LogGroupName',
  'StateMachineName',
  'TopicName',
  'AlarmName',
  'QueueName',
  'FunctionName',
  'DashboardName',
  'ScheduleGroupName',
  'GroupName',
] as const;

/** The fixed physical name of a resource, as text (tokens as their JSON); undefined when CloudFormation names it. */
export function fixedName(resource: TemplateResource): string | undefined {
  for (const p of NAME_PROPERTIES) {
    const v = resource.Properties?.[p];
    // A plain Ref/GetAtt points at another resource of the stack (unique by construction); names built with Join/Sub count.
    const reference = typeof v === 'object' && v !== null && Object.keys(v).length === 1 && ('Ref' in v || 'Fn::GetAtt' in v);
    if (v !== undefined && !reference) return `${p}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  return undefined;
}

const resourcesOf = (template: TemplateJson) => Object.entries(template.Resources ?? {});
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * A resource with a fixed name kept on delete (`Retain`): a failed first
 * deploy rolls back, leaves it, and the retry fails on its name.
 * (`RetainExceptOnCreate` is deleted when the first create fails: allowed.)
 */
export function retainedFixedNames(template: TemplateJson): string[] {
  return resourcesOf(template)
    .filter(([, r]) => r.DeletionPolicy === 'Retain' && fixedName(r) !== undefined)
    .map(([id, r]) => `${id} (${r.Type} ${fixedName(r)}) is Retain with a fixed name: a failed first deploy cannot be retried`);
}

/** Every AWS::Logs::LogGroup has a retention. */
export function logGroupsWithoutRetention(template: TemplateJson): string[] {
  return resourcesOf(template)
    .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup' && r.Properties?.RetentionInDays === undefined)
    .map(([id]) => `${id} keeps its logs forever (no RetentionInDays)`);
}

/** The service name of the verify-rdb function (its cap is the one reservation allowed). */
const VERIFIER_SERVICE = 'redis-dr-verify-rdb';

const serviceOf = (r: { Properties?: Record<string, unknown> }) =>
  (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME;

/**
 * No function reserves concurrency but verify-rdb, whose reservation is its
 * cap (issue 53 item 5: a large export's copies would otherwise take the
 * account's pool), at least 1: any other reservation is taken from the
 * account's pool for every other function of the region, and one of 0 stops it.
 */
export function reservedConcurrency(template: TemplateJson): string[] {
  return resourcesOf(template)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.ReservedConcurrentExecutions !== undefined)
    .filter(([, r]) => serviceOf(r) !== VERIFIER_SERVICE || !((r.Properties!.ReservedConcurrentExecutions as number) >= 1))
    .map(([id, r]) => `${id} reserves ${JSON.stringify(r.Properties!.ReservedConcurrentExecutions)} concurrent executions`);
}

/** Every verify-rdb function is capped (a reservation of at least 1), unless the config says `unreserved`. */
export function uncappedVerifiers(template: TemplateJson): string[] {
  return resourcesOf(template)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && serviceOf(r) === VERIFIER_SERVICE)
    .filter(
      ([, r]) =>
        !((r.Properties?.ReservedConcurrentExecutions as number | undefined) !== undefined && (r.Properties!.ReservedConcurrentExecutions as number) >= 1),
    )
    .map(([id]) => `${id} (verify-rdb) has no concurrency cap: a large export's copies take the account's Lambda pool`);
}

/**
 * Every KMS key policy keeps the statement that lets the account (its IAM
 * policies) manage the key: without it nobody but the named principals ever
 * can, and a key nobody can administer is unrecoverable.
 */
export function keysWithoutAccountRoot(template: TemplateJson): string[] {
  const rootOfThisAccount = (principal: unknown) => {
    const text = JSON.stringify(principal ?? '');
    return /"Ref":"AWS::AccountId"\},":root"/.test(text) || /arn:aws[a-z-]*:iam::\d{12}:root/.test(text);
  };
  return resourcesOf(template)
    .filter(([, r]) => r.Type === 'AWS::KMS::Key')
    .filter(([, r]) => {
      const statements = list(r.Properties?.KeyPolicy?.Statement) as { Effect?: string; Action?: unknown; Principal?: { AWS?: unknown } }[];
      return !statements.some((s) => s.Effect === 'Allow' && list(s.Action).includes('kms:*') && rootOfThisAccount(s.Principal?.AWS));
    })
    .map(([id]) => `${id}'s key policy has no kms:* statement for the account root`);
}

/** The text of a bucket reference (`arn:…:s3:::name`, a name, a Join of either), from `:::` on, pseudo parameters as `${…}`. */
function bucketText(value: unknown): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, any>;
    if (o?.['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    if (o?.Ref) return `\${${o.Ref}}`;
    return JSON.stringify(v);
  };
  const text = render(value);
  const at = text.indexOf(':::');
  return at >= 0 ? text.slice(at + 3) : text;
}

/** Identity-policy statements attached to role `roleId` (AWS::IAM::Policy by `Roles`, and the role's inline policies). */
function roleStatements(template: TemplateJson, roleId: string): { Effect?: string; Action?: unknown; Resource?: unknown }[] {
  const found: { Effect?: string; Action?: unknown; Resource?: unknown }[] = [];
  for (const [, r] of resourcesOf(template)) {
    if (r.Type === 'AWS::IAM::Policy' && list(r.Properties?.Roles).some((x) => JSON.stringify(x) === JSON.stringify({ Ref: roleId })))
      found.push(...list(r.Properties?.PolicyDocument?.Statement));
  }
  for (const p of list(template.Resources?.[roleId]?.Properties?.Policies) as { PolicyDocument?: { Statement?: unknown } }[])
    found.push(...(list(p.PolicyDocument?.Statement) as { Effect?: string }[]));
  return found;
}

/** What S3's Object Lock guide requires of a replication role, on the source objects, when the destination is locked. */
export const LOCKED_DESTINATION_SOURCE_READS = ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] as const;

/**
 * Replication into a locked destination may read the source's retention and
 * legal hold: for every replication rule of `template` whose destination is
 * one of `lockedBuckets` (bucket names as {@link lockedBucketNames} renders
 * them), the rule's role must be allowed both actions on the source bucket's
 * objects. `lockedBuckets` come from every template of the deployment (the
 * DR bucket and the vault are in other stacks).
 */
export function lockedReplicationProblems(template: TemplateJson, lockedBuckets: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [id, r] of resourcesOf(template)) {
    const replication = r.Properties?.ReplicationConfiguration;
    if (r.Type !== 'AWS::S3::Bucket' || !replication) continue;
    const roleId = (replication.Role as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];
    for (const rule of list(replication.Rules) as { Id?: string; Destination?: { Bucket?: unknown }; Filter?: { Prefix?: string }; Prefix?: string }[]) {
      if (!lockedBuckets.has(bucketText(rule.Destination?.Bucket))) continue;
      // A rule of one prefix needs the reads on that prefix's objects only (least privilege); a rule of the whole bucket, on every object.
      const prefix = rule.Filter?.Prefix ?? rule.Prefix ?? '';
      const covers = (res: unknown) => {
        const text = JSON.stringify(res);
        return text.includes(`"${id}"`) && (text.endsWith('"/*"]]}') || (prefix !== '' && text.endsWith(`"/${prefix}*"]]}`)));
      };
      const statements = roleId ? roleStatements(template, roleId) : [];
      for (const action of LOCKED_DESTINATION_SOURCE_READS) {
        const allowed = statements.some((s) => s.Effect === 'Allow' && list(s.Action).includes(action) && list(s.Resource).some(covers));
        if (!allowed)
          problems.push(
            `${id}: rule ${rule.Id ?? '?'} replicates into locked ${bucketText(rule.Destination?.Bucket)}, but its role may not ${action} on the source objects`,
          );
      }
    }
  }
  return problems;
}

/** The names of the buckets with Object Lock in `template`, rendered as {@link lockedReplicationProblems} compares them. */
export function lockedBucketNames(template: TemplateJson): string[] {
  return resourcesOf(template)
    .filter(([, r]) => r.Type === 'AWS::S3::Bucket' && r.Properties?.ObjectLockEnabled === true && r.Properties.BucketName !== undefined)
    .map(([, r]) => bucketText(r.Properties!.BucketName));
}

/**
 * Buckets a config change would replace (data left behind in a retained
 * bucket, a new empty one in its place): a bucket logical id gone or new, or
 * its physical name changed, between two synths of the same stack.
 */
export function bucketReplacements(before: TemplateJson, after: TemplateJson): string[] {
  const buckets = (t: TemplateJson) =>
    new Map(
      resourcesOf(t)
        .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
        .map(([id, r]) => [id, JSON.stringify(r.Properties?.BucketName ?? null)]),
    );
  const a = buckets(before);
  const b = buckets(after);
  const problems: string[] = [];
  for (const [id, name] of a) {
    if (!b.has(id)) problems.push(`bucket ${id} is gone (replaced or removed)`);
    else if (b.get(id) !== name) problems.push(`bucket ${id} changes its name ${name} -> ${b.get(id)} (a replacement)`);
  }
  for (const id of b.keys()) if (!a.has(id)) problems.push(`bucket ${id} is new`);
  return problems;
}

/** Stack names a default (workload) synth must not hold: the vault's. */
export function vaultInDefaultSynth(stackNames: readonly string[], vaultStackName: string): string[] {
  return stackNames.includes(vaultStackName) ? [`the default synth holds ${vaultStackName}: the workload deploy would carry the vault stack`] : [];
}
