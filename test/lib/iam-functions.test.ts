import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandIns, TemplateJson } from '../../lib/asl.js';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
import { DRILL_PREFIX, DRILL_SECRET_PREFIX } from '../../lambdas/domain/drills/drill.js';
import { type AwsCall, CALLS_DIR, checkedInCalls } from '../support/aws-calls.js';
import {
  type CallNames,
  evaluate,
  type IamRequest,
  type KmsEncrypted,
  kmsEncryptedResources,
  kmsEncryptedSecrets,
  keyPolicyOf,
  kmsRequestsOf,
  type PolicyDocument,
  requestsOfCall,
  roleArn,
  rolePolicies,
} from '../support/iam.js';
import { DRILLS_CONFIG } from '../support/state-machine.js';
import { type ConfiguredSecret, probeSecrets } from '../../lib/constructs/secret-keys.js';
import { type Synthesized, synthesize } from '../support/synth.js';

const ACCOUNT = '000000000000';
/** The vault drill's fixture (plans with drill.fromVault): the seed-copy function exists only there. */
const VAULT_DRILL_CONFIG = join(__dirname, '..', 'fixtures', 'config', 'vault-drill.json');
const EXECUTION = 'drill-exec-1';

/** A function's role as deployed in one stack. */
interface FunctionRole {
  readonly handler: string;
  readonly stack: string;
  readonly policies: PolicyDocument[];
  readonly standIns: StandIns;
  readonly config: RedisDrConfig;
  /** The stack's KMS-encrypted resources: a publish or write to one needs its key too. */
  readonly encrypted: readonly KmsEncrypted[];
  /** The role's ARN as the simulations name it (a key policy's aws:PrincipalArn condition judges it). */
  readonly arn: string;
  /** The template, for the key policy of a key the role names. */
  readonly template: TemplateJson;
  /** The DR stack's template and stand-ins: the evidence key a primary role names by its alias is there. */
  readonly drTemplate: { readonly json: TemplateJson; readonly standIns: StandIns };
}

/** A customer managed key the simulation assumes for a secret whose key the config does not name. */
const UNNAMED_KEY_ID = '0f0e0d0c-0b0a-4909-8807-060504030201';

/**
 * The config's secrets as KMS-encrypted (issue 53 item 1): each under its
 * configured customer managed key, or one the config does not name (the
 * roles' grant covers the keys of the secret's account and region). A secret
 * under `aws/secretsmanager` needs no grant, so it is not simulated.
 */
function configuredSecretKeys(config: RedisDrConfig): ConfiguredSecret[] {
  const rbac = config.plans.flatMap((p) => (p.drill.rbac ? [{ arn: p.drill.rbac.secretArn, kmsKeyArn: p.drill.rbac.secretKmsKeyArn }] : []));
  return [...probeSecrets(config.plans), ...rbac].map(({ arn, kmsKeyArn }) => {
    const [, partition, , region, account] = arn.split(':');
    return { arn, kmsKeyArn: kmsKeyArn ?? `arn:${partition}:kms:${region}:${account}:key/${UNNAMED_KEY_ID}` };
  });
}

/** Every resource the role's statements name for one of `actions` (prefix match), without wildcards' owners. */
function resourcesFor(role: FunctionRole, actions: RegExp): string[] {
  return role.policies.flatMap((d) =>
    d.Statement.filter((s) => [s.Action].flat().some((a) => actions.test(String(a)))).flatMap((s) => [s.Resource].flat().map(String)),
  );
}

/** A role that names no resource of the call's kind (no bucket, topic, …): the call is made in the other region. */
class NotThisRole extends Error {}

/** The one value of `values` (a role's bucket, topic, function): a test names its own, the deployment has this one. */
function theOne(values: string[], what: string, role: FunctionRole): string {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) throw new NotThisRole(what);
  if (distinct.length !== 1) throw new Error(`${role.handler} (${role.stack}): expected one ${what} in its role, found ${distinct.join(', ')}`);
  return distinct[0]!;
}

/** An ARN of the test's account and region moved to the stack's stand-ins. */
function here(arn: string, standIns: StandIns): string {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return arn;
  if (parts[3]) parts[3] = standIns.region;
  if (parts[4]) parts[4] = standIns.account;
  return parts.join(':');
}

/** What the deployment's resources carry: recovery points the deployment's tags, drill resources the drill's too. */
function ownedTags(config: RedisDrConfig) {
  const deployment = { 'redis-dr:managed': 'true', 'redis-dr:deployment': config.name };
  return (_type: string, arn: string): Record<string, string> =>
    arn.includes(`:${DRILL_PREFIX}`) || arn.includes(`:secret:${DRILL_SECRET_PREFIX}`)
      ? { ...deployment, 'redis-dr:drill': EXECUTION }
      : arn.includes(':rdr-')
        ? deployment
        : {};
}

/**
 * The test's names replaced by the deployment's, as `role` names them: its
 * bucket, topic, function, state machine, and secrets (the configured one it
 * reads, else the execution's drill token).
 */
function roleNames(role: FunctionRole): CallNames {
  const { standIns } = role;
  // The drill's state machine, or the DR verify one (named …-verify-rdb), as the role names them.
  const machine = (input: Record<string, any> = {}) => {
    const verify = String(input.stateMachineArn ?? '').endsWith('-verify-rdb');
    let named = resourcesFor(role, /^states:(ListExecutions|DescribeStateMachine)$/).filter(
      (r) => r.includes(':stateMachine:') && r.endsWith('-verify-rdb') === verify,
    );
    // A role that reads the drills of both regions (the report): the state machine of the call's region.
    const region = String(input.stateMachineArn ?? input.executionArn ?? '').split(':')[3];
    if (new Set(named).size > 1 && region) named = named.filter((r) => r.split(':')[3] === region);
    return theOne(named, 'state machine', role);
  };
  return {
    bucket: (input) => {
      const buckets = [
        ...new Set(
          resourcesFor(role, /^s3:/)
            .filter((r) => r.startsWith('arn:aws:s3:::'))
            .map((r) => r.replace(/^arn:aws:s3:::([^/]+).*$/, '$1')),
        ),
      ];
      // A drill role that also reads the vault (plans with drill.fromVault): a test's vault bucket is named "…vault…".
      const vault = role.config.vault?.account;
      // The drill report writes its drills' records under drills/<its region>/ only: another region's are the other role's.
      const named = String(input.Key ?? input.Prefix ?? '');
      if (role.handler === 'drill-report' && named.startsWith('drills/') && !named.startsWith(`drills/${standIns.region}/`))
        throw new NotThisRole('drill records');
      if (buckets.includes(String(input.Bucket))) return String(input.Bucket);
      // The DR scrub also reads its copies' twins in the primary region's bucket (a test's twin bucket is "primary-…").
      if (role.handler === 'scrub' && buckets.length > 1) {
        const region = String(input.Bucket).startsWith('primary') ? role.config.primary.region : role.config.dr.region;
        return theOne(
          buckets.filter((b) => b.endsWith(`-${region}`)),
          'bucket',
          role,
        );
      }
      if (buckets.length > 1 && vault) {
        const wantVault = String(input.Bucket).includes('vault');
        return theOne(
          buckets.filter((b) => b.includes(vault) === wantVault),
          'bucket',
          role,
        );
      }
      return theOne(buckets, 'bucket', role);
    },
    topic: () => theOne(resourcesFor(role, /^sns:Publish$/), 'topic', role),
    functionArn: () =>
      theOne(
        resourcesFor(role, /^lambda:InvokeFunction$/).filter((r) => !r.endsWith(':*')),
        'function',
        role,
      ),
    stateMachine: machine,
    execution: (input) => {
      const sm = machine(input ?? {});
      return `arn:aws:states:${sm.split(':')[3]}:${standIns.account}:execution:${sm.split(':').at(-1)}:${EXECUTION}`;
    },
    secret: (input) => {
      const configured = resourcesFor(role, /^secretsmanager:GetSecretValue$/).filter((r) => !r.includes(DRILL_SECRET_PREFIX) && !r.endsWith('-??????'));
      const token = `arn:aws:secretsmanager:${standIns.region}:${standIns.account}:secret:${DRILL_SECRET_PREFIX}${EXECUTION}-AbCdEf`;
      return String(input.SecretId).includes(DRILL_SECRET_PREFIX) || configured.length === 0 ? token : configured[0]!;
    },
    scheduleGroup: () => theOne(resourcesFor(role, /^scheduler:GetScheduleGroup$/), 'schedule group', role),
    // The DR freshness monitor reads the creation of the scrub's schedule (CloudFormation names it: the role's one).
    schedule: () => theOne(resourcesFor(role, /^scheduler:GetSchedule$/), 'schedule', role),
    arn: (arn) => here(arn, standIns),
    deployment: role.config.name,
    // The evidence key the role may sign with, and its key policy (which denies kms:Sign to every other principal).
    signingKey: () => {
      const arn = theOne(resourcesFor(role, /^kms:Sign$/), 'evidence key', role);
      if (!arn.endsWith(':key/*')) return { arn, keyPolicy: keyPolicyOf(role.template, arn.split('/').at(-1)!, standIns) };
      // The primary drill report names the DR region's key by its alias (kms:RequestAlias): that key, as the DR stack has it.
      const dr = role.drTemplate;
      const id = theOne(
        Object.entries(dr.json.Resources ?? {})
          .filter(([, r]) => r.Type === 'AWS::KMS::Key' && r.Properties?.KeySpec === 'ECC_NIST_P256')
          .map(([k]) => k),
        'evidence key in the DR stack',
        role,
      );
      return {
        arn: `arn:aws:kms:${dr.standIns.region}:${dr.standIns.account}:key/${id}`,
        keyPolicy: keyPolicyOf(dr.json, id, dr.standIns),
        context: { 'kms:RequestAlias': `alias/redis-dr-${role.config.name}-evidence` },
      };
    },
  };
}

/** Every recorded call, by the function that makes it. */
function recordedCalls(): Map<string, AwsCall[]> {
  const byHandler = new Map<string, AwsCall[]>();
  for (const file of readdirSync(CALLS_DIR)) {
    for (const call of checkedInCalls(join(CALLS_DIR, file))) byHandler.set(call.principal, [...(byHandler.get(call.principal) ?? []), call]);
  }
  return byHandler;
}

describe('each Lambda role allows every call its job makes in the tests (IAM simulation)', () => {
  const synths: Synthesized[] = [];
  const roles: FunctionRole[] = [];
  beforeAll(() => {
    // The vault drill's fixture: the seed-copy function exists only with drill.fromVault.
    for (const file of [DRILLS_CONFIG, join(__dirname, '..', '..', 'config', 'example.json'), VAULT_DRILL_CONFIG]) {
      const config = loadConfig(file);
      const synth = synthesize(config);
      synths.push(synth);
      // The vault drill's fixture has a vault: its stack's scrub and verify roles are judged as `vault-scrub` and
      // `vault-verify-rdb` (their calls: vault-scrub.test.ts, verify-rdb-vault-chain.test.ts).
      const vault = file === VAULT_DRILL_CONFIG && synth.vault && config.vault ? [[synth.vault, config.vault.region, 'vault-'] as const] : [];
      for (const [template, region, named = ''] of [[synth.primary, config.primary.region], [synth.dr, config.dr.region], ...vault] as const) {
        const json = template.toJSON() as TemplateJson;
        const drTemplate = { json: synth.dr.toJSON() as TemplateJson, standIns: { region: config.dr.region, account: ACCOUNT } };
        // The vault stack is deployed in the vault account (its key policy names that account's root).
        const standIns = { region, account: named && config.vault ? config.vault.account : ACCOUNT };
        for (const [id, r] of Object.entries(json.Resources ?? {})) {
          const described = /^redis-dr (.+) function$/.exec(String(r.Properties?.Description ?? ''))?.[1];
          if (r.Type !== 'AWS::IAM::Role' || !described) continue;
          const handler = `${named}${described}`;
          // The vault drill's fixture adds the roles only it has; the others are judged in the two configs above.
          if (file === VAULT_DRILL_CONFIG && !['drill-seed-copy', 'vault-scrub', 'vault-verify-rdb'].includes(handler)) continue;
          roles.push({
            handler,
            stack: `${config.name} ${region}`,
            policies: rolePolicies(json, id, standIns),
            standIns,
            config,
            encrypted: [
              ...kmsEncryptedResources(json, standIns),
              ...kmsEncryptedSecrets(configuredSecretKeys(config) as { arn: string; kmsKeyArn: string }[], standIns),
            ],
            // A role of a fixed name (the primary drill report's, which the DR stack's key policy names) by that name.
            arn: typeof r.Properties?.RoleName === 'string' ? `arn:aws:iam::${standIns.account}:role/${r.Properties.RoleName}` : roleArn(id, standIns),
            template: json,
            drTemplate,
          });
        }
      }
    }
  }, 120_000);
  afterAll(() => {
    for (const s of synths) s.cleanup();
  });

  it('finds 0 implicit denies for every function that makes AWS calls', async () => {
    const calls = recordedCalls();
    const denied: string[] = [];
    let checked = 0;
    for (const [handler, made] of calls) {
      if (handler === 'operator') continue; // the CLI's calls: test/lib/iam-operator.test.ts
      const withRole = roles.filter((r) => r.handler === handler);
      expect(withRole.length, `a role for ${handler}`).toBeGreaterThan(0);
      for (const call of made) {
        let judged = 0;
        for (const role of withRole) {
          let requests: IamRequest[];
          try {
            requests = await requestsOfCall(call, roleNames(role), ownedTags(role.config), role.standIns);
          } catch (e) {
            if (e instanceof NotThisRole) continue;
            throw e;
          }
          judged++;
          // KMS-aware: a publish or write to an encrypted resource of the stack, or a read of a secret under a customer
          // managed key, needs its key as well (issue 53 item 1).
          for (const request of [...requests, ...requests.flatMap((r) => kmsRequestsOf(r, role.encrypted))]) {
            checked++;
            // The evidence key's policy names the roles that may sign (aws:PrincipalArn): the request is the role's own.
            const result = await evaluate(role.policies, call.service === 'kms' ? { ...request, principal: role.arn } : request, role.standIns);
            if (result !== 'Allowed')
              denied.push(
                `${handler} (${role.stack}): ${call.operation} -> ${request.action} on ${request.resource} ${JSON.stringify(request.context)}: ${result}`,
              );
          }
        }
        if (judged === 0) denied.push(`${handler}: no role names what ${call.service}:${call.operation} needs (${JSON.stringify(call.input)})`);
      }
    }
    expect(denied).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });

  it('lets the seed copy write and delete only under the drill prefix of the DR bucket, never an export copy there', async () => {
    const seed = roles.find((r) => r.handler === 'drill-seed-copy');
    expect(seed, 'a role for drill-seed-copy (vault-drill fixture)').toBeDefined();
    const names = roleNames(seed!);
    const dr = names.bucket({ Bucket: 'redis-dr-prod-dr' });
    const judge = async (operation: string, key: string) => {
      const call: AwsCall = { principal: 'drill-seed-copy', service: 's3', operation, input: { Bucket: dr, Key: key, VersionId: 'v1' } };
      const [request] = await requestsOfCall(call, names, ownedTags(seed!.config), seed!.standIns);
      return evaluate(seed!.policies, request!, seed!.standIns);
    };
    expect(await judge('DeleteObject', 'redis-dr-drill-seeds/exec-1/rdr-a-20261122-0200-0001.rdb')).toBe('Allowed');
    expect(await judge('DeleteObject', 'rdr-a-20261122-0200-0001.rdb')).toBe('ImplicitlyDenied');
    expect(await judge('CreateMultipartUpload', 'rdr-a-20261122-0200-0001.rdb')).toBe('ImplicitlyDenied');
  });

  it('KMS-aware: every publish to the alert topic needs its key, and a role without the key statement is denied (issue 53 item 1)', async () => {
    const publishing = roles.filter((r) => resourcesFor(r, /^sns:Publish$/).length > 0);
    expect(publishing.length).toBeGreaterThan(5);
    let keyed = 0;
    for (const role of publishing) {
      const topic = roleNames(role).topic({});
      const kms = kmsRequestsOf({ action: 'sns:Publish', resource: topic, context: {} }, role.encrypted);
      // Every alert topic the stacks create is SSE-KMS with the stack's own key.
      expect(
        kms.map((k) => k.action),
        `${role.handler} (${role.stack})`,
      ).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
      const without = role.policies.map((d) => ({
        ...d,
        Statement: d.Statement.filter((st) => ![st.Action].flat().some((a) => String(a).startsWith('kms:'))),
      }));
      for (const request of kms) {
        keyed++;
        expect(await evaluate(role.policies, request, role.standIns), `${role.handler} ${request.action}`).toBe('Allowed');
        expect(await evaluate(without, request, role.standIns)).toBe('ImplicitlyDenied');
      }
    }
    expect(keyed).toBeGreaterThan(10);
  });

  it('KMS-aware: reading a secret under a customer managed key needs kms:Decrypt on exactly the configured key, only through Secrets Manager, only for that secret (issue 53 items 1, 3)', async () => {
    const reads = recordedCalls()
      .get('probe')!
      .filter((c) => c.operation === 'GetSecretValue');
    expect(reads.length).toBeGreaterThan(0);
    const probes = roles.filter((r) => r.handler === 'probe');
    // The drills fixture names the secret's key; config/example.json does not (the roles' grant covers its account's keys).
    const named = probes.filter((r) => r.config.plans.some((p) => p.probe.authSecretKmsKeyArn));
    expect(named.length).toBe(1);
    expect(probes.length).toBeGreaterThan(named.length);
    for (const role of probes) {
      const configured = role.config.plans.find((p) => p.probe.authSecretArn)!.probe;
      const without = role.policies.map((d) => ({ ...d, Statement: d.Statement.filter((st) => ![st.Action].flat().includes('kms:Decrypt')) }));
      for (const call of reads) {
        const [read] = await requestsOfCall(call, roleNames(role), ownedTags(role.config), role.standIns);
        const kms = kmsRequestsOf(read!, role.encrypted);
        expect(kms.map((k) => [k.action, k.resource])).toEqual([
          ['kms:Decrypt', configured.authSecretKmsKeyArn ?? expect.stringMatching(new RegExp(`:key/${UNNAMED_KEY_ID}$`))],
        ]);
        const [decrypt] = kms as [IamRequest];
        const judge = (request: IamRequest, policies = role.policies) => evaluate(policies, request, role.standIns);
        expect(await judge(decrypt), `${role.stack}: the grant`).toBe('Allowed');
        // Without the grant, through another service, or for another secret's data key: denied.
        expect(await judge(decrypt, without), `${role.stack}: without the grant`).toBe('ImplicitlyDenied');
        const via = { ...decrypt, context: { ...decrypt.context, 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } };
        expect(await judge(via), `${role.stack}: through S3`).toBe('ImplicitlyDenied');
        const other = { ...decrypt, context: { ...decrypt.context, 'kms:EncryptionContext:SecretARN': `${configured.authSecretArn}-admin-AbCdEf` } };
        expect(await judge(other), `${role.stack}: another secret`).toBe('ImplicitlyDenied');
        // A configured key is the only one: not another key of the account.
        if (configured.authSecretKmsKeyArn) {
          const another = { ...decrypt, resource: configured.authSecretKmsKeyArn.replace(/key\/.*$/, `key/${UNNAMED_KEY_ID}`) };
          expect(await judge(another), `${role.stack}: another key`).toBe('ImplicitlyDenied');
        }
      }
    }
  });

  it('lets only the evidence writers sign with the evidence key (scrubs, the DR and vault verifiers, the scheduled report, the drill reports of both regions): its key policy denies kms:Sign to any other role, even one whose policy allows it', async () => {
    const signers = roles.filter((r) => resourcesFor(r, /^kms:Sign$/).length > 0);
    // The DR scrub, verifier and report (DR stack of each config with exports), the vault scrub and verifier (the vault's
    // own key), the drill reports of both regions.
    expect(new Set(signers.map((r) => r.handler))).toEqual(new Set(['scrub', 'vault-scrub', 'verify-rdb', 'vault-verify-rdb', 'report', 'drill-report']));
    expect(new Set(signers.filter((r) => r.handler === 'drill-report').map((r) => r.standIns.region)).size).toBe(2);
    expect(signers.filter((r) => r.handler === 'verify-rdb').every((r) => r.stack.endsWith(r.config.dr.region))).toBe(true);
    // The vault's key signs for the vault's verifier and scrub only: in the vault account, named in that key's policy alone.
    const vaultSigners = signers.filter((r) => r.handler.startsWith('vault-'));
    expect(vaultSigners.map((r) => r.handler).sort()).toEqual(['vault-scrub', 'vault-verify-rdb']);
    const vaultKey = roleNames(vaultSigners[0]!).signingKey!({});
    for (const r of vaultSigners) expect(roleNames(r).signingKey!({}).arn).toBe(vaultKey.arn);
    for (const r of signers.filter((s) => !s.handler.startsWith('vault-')))
      expect(
        await evaluate(
          r.policies,
          { action: 'kms:Sign', resource: vaultKey.arn, context: {}, resourcePolicy: vaultKey.keyPolicy, principal: r.arn },
          r.standIns,
        ),
      ).not.toBe('Allowed');
    for (const signer of signers) {
      const key = roleNames(signer).signingKey!({});
      const request = { action: 'kms:Sign', resource: key.arn, context: key.context ?? {}, resourcePolicy: key.keyPolicy, principal: signer.arn };
      if (key.context) {
        // The primary drill report names the key by its alias: a request by the key's id, or another alias, is denied.
        expect(await evaluate(signer.policies, { ...request, context: {} }, signer.standIns)).toBe('ImplicitlyDenied');
        expect(await evaluate(signer.policies, { ...request, context: { 'kms:RequestAlias': 'alias/another' } }, signer.standIns)).toBe('ImplicitlyDenied');
        // A role of the same name in another region (the key policy names the primary region's role only).
        const elsewhere = signer.arn.replace(/-eu-west-1$/, '-us-east-1');
        expect(elsewhere).not.toBe(signer.arn);
        expect(await evaluate(signer.policies, { ...request, principal: elsewhere }, signer.standIns)).toBe('ExplicitlyDenied');
      }
      expect(await evaluate(signer.policies, request, signer.standIns), `${signer.handler} (${signer.stack})`).toBe('Allowed');
      // Without its SignEvidence statement: not allowed (the key policy defers to IAM).
      const without = signer.policies.map((d) => ({ ...d, Statement: d.Statement.filter((st) => ![st.Action].flat().includes('kms:Sign')) }));
      expect(await evaluate(without, request, signer.standIns)).toBe('ImplicitlyDenied');
      // An administrator of the key's account (kms:* on it), or another function's role given kms:Sign: the key policy denies the Sign.
      const admin = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: key.arn }] } as PolicyDocument];
      const adminArn = roleArn('KeyAdministrator', signer.standIns);
      expect(await evaluate(admin, { ...request, principal: adminArn }, signer.standIns)).toBe('ExplicitlyDenied');
      expect(await evaluate(admin, { ...request, action: 'kms:GetPublicKey', principal: adminArn }, signer.standIns)).toBe('Allowed');
      const other = roles.find((r) => r.stack === signer.stack && r.standIns.account === signer.standIns.account && !signers.includes(r));
      if (other)
        expect(await evaluate([...other.policies, ...admin], { ...request, principal: other.arn }, other.standIns), other.handler).toBe('ExplicitlyDenied');
    }
  });

  it('finds the denial when one statement is missing (prune without its delete)', async () => {
    const prune = roles.find((r) => r.handler === 'prune')!;
    const without: FunctionRole = {
      ...prune,
      policies: prune.policies.map((d) => ({ ...d, Statement: d.Statement.filter((st) => ![st.Action].flat().includes('elasticache:DeleteSnapshot')) })),
    };
    const deletes = recordedCalls()
      .get('prune')!
      .filter((c) => c.operation === 'DeleteSnapshot');
    expect(deletes.length).toBeGreaterThan(0);
    for (const call of deletes) {
      for (const request of await requestsOfCall(call, roleNames(without), ownedTags(without.config), without.standIns)) {
        expect(await evaluate(without.policies, request, without.standIns)).toBe('ImplicitlyDenied');
        expect(await evaluate(prune.policies, request, prune.standIns)).toBe('Allowed');
      }
    }
  });
});
