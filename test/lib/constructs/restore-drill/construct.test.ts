import { readFileSync } from 'node:fs';
import * as elasticache from '@aws-sdk/client-elasticache';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { aslBudget, budgetProblems } from '../../../../lib/asl-budget.js';
import {
  DRILL_PHASES,
  DRILL_RETRY,
  drillBudget,
  DRILL_TIMING,
  POLL_INTERVAL_SECONDS,
  REAPER_CRON,
  SERVERLESS_VPCE_SERVICE,
  SFN_ERRORS,
} from '../../../../lib/constructs/restore-drill/index.js';
import type { RedisDrConfig } from '../../../../lib/config/index.js';
import { dependentActions } from '../../../../lib/iam-actions.js';
import { type Synthesized, synthesize } from '../../../support/synth.js';
import { loadConfig, validateConfig } from '../../../../lib/config/index.js';
import { DRILLS_CONFIG, stateMachineDefinition, useDrillsSynth } from '../../../support/state-machine.js';
import { networkIds } from '../../../../lib/config/index.js';

describe('RestoreDrill', () => {
  const current = useDrillsSynth();
  let synth: Synthesized;
  let config: RedisDrConfig;
  beforeEach(() => ({ synth, config } = current()));

  it.each(['primary', 'dr'] as const)(
    '%s: every task has a Catch (or is the catch-all report/cleanup), and cleanup retries while the cluster is busy',
    (which) => {
      const definition = stateMachineDefinition(synth[which]);
      const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
      expect(tasks.map(([name]) => name).sort()).toEqual([
        'Check owner',
        'Check serverless owner',
        'Create cluster',
        'Create cluster (RBAC)',
        'Create drill user',
        'Create drill user group',
        'Create serverless cache',
        'Create serverless cache (RBAC)',
        'Create sharded cluster',
        'Create sharded cluster (RBAC)',
        'Delete AUTH token',
        'Delete cluster',
        'Delete drill user',
        'Delete drill user group',
        'Delete serverless cache',
        'Describe cluster',
        'Describe serverless cache',
        'Generate AUTH token',
        'Report',
        'Select recovery point',
        'Store AUTH token',
        'Verify data',
      ]);
      for (const [name, state] of tasks) expect(state.Catch, name).toBeDefined();
      const del = definition.States['Delete cluster']!;
      expect(del.Retry).toContainEqual(expect.objectContaining({ ErrorEquals: [...SFN_ERRORS.busy], MaxAttempts: DRILL_RETRY.busy.maxAttempts }));
      expect(del.Catch!.map((c) => c.Next)).toEqual(['Nothing to delete', 'Cluster left behind']);
      // Every failure after the create (but a transient one of a describe: the poll's next round retries it) leads to the
      // ownership check of its kind of cache, and only one carrying this execution's tag to the delete.
      for (const name of ['Describe cluster', 'Describe serverless cache', 'Verify data']) {
        const next = definition.States[name]!.Catch!.at(-1)!.Next;
        expect(definition.States[next]!.Next, name).toBe('Which cache to clean up?');
      }
      expect(definition.States['Which cache to clean up?']).toMatchObject({
        Choices: [{ Variable: '$.drill.choice.kind', StringEquals: 'serverless-cache', Next: 'Check serverless owner' }],
        Default: 'Check owner',
      });
      expect(definition.States['Check owner']).toMatchObject({
        Resource: 'arn:aws:states:::aws-sdk:elasticache:listTagsForResource',
        ResultSelector: { 'owners.$': "$.TagList[?(@.Key == 'redis-dr:drill')].Value" },
        Next: 'Owned?',
      });
      expect(definition.States['Owned?']!.Parameters).toEqual({ 'ours.$': 'States.ArrayContains($.drill.owner.owners, $$.Execution.Name)' });
      expect(definition.States['Check serverless owner']).toMatchObject({
        Resource: 'arn:aws:states:::aws-sdk:elasticache:listTagsForResource',
        Next: 'Owned?',
      });
      expect(definition.States['Check serverless owner']!.Parameters!['ResourceName.$']).toMatch(
        /^States\.Format\('arn:aws:elasticache:[a-z0-9-]+:\d{12}:serverlesscache:\{\}', \$\.drill\.choice\.clusterId\)$/,
      );
      expect(definition.States["This drill's cluster?"]).toMatchObject({
        Choices: [{ Variable: '$.drill.owner.ours', BooleanEquals: true, Next: 'Delete which?' }],
        Default: "Not this drill's cluster",
      });
      expect(definition.States['Delete which?']).toMatchObject({
        Choices: [{ Variable: '$.drill.choice.kind', StringEquals: 'serverless-cache', Next: 'Delete serverless cache' }],
        Default: 'Delete cluster',
      });
      const delServerless = definition.States['Delete serverless cache']!;
      expect(delServerless.Retry).toContainEqual(
        expect.objectContaining({ ErrorEquals: [...SFN_ERRORS.serverlessBusy], MaxAttempts: DRILL_RETRY.busy.maxAttempts }),
      );
      expect(delServerless.Catch!.map((c) => [c.ErrorEquals, c.Next])).toEqual([
        [[...SFN_ERRORS.serverlessNotFound], 'Nothing to delete'],
        [['States.ALL'], 'Cluster left behind'],
      ]);
      // A failed create made nothing: on to the report, never to a delete. But one that timed out, or met a group
      // with the drill's id (its own, when a retried create had made it), goes to the owner check: only ours is deleted.
      for (const name of [
        'Create cluster',
        'Create sharded cluster',
        'Create cluster (RBAC)',
        'Create sharded cluster (RBAC)',
        'Create serverless cache',
        'Create serverless cache (RBAC)',
      ]) {
        expect(
          definition.States[name]!.Catch!.map((c) => [c.ErrorEquals, c.Next]),
          name,
        ).toEqual([
          [[...SFN_ERRORS.alreadyExists, 'States.Timeout'], 'Create may have made it'],
          [['States.ALL'], 'Nothing created'],
        ]);
      }
      expect(definition.States['Create may have made it']!.Next).toBe('Which cache to clean up?');
      for (const name of ['Create drill user', 'Create drill user group']) {
        expect(
          definition.States[name]!.Catch!.map((c) => c.Next),
          name,
        ).toEqual(['Nothing created']);
      }
      expect(definition.States['Nothing created']!.Next).toBe('Drill user group made?');
      expect(definition.States['Wait for cluster']).toMatchObject({ Type: 'Wait', Seconds: POLL_INTERVAL_SECONDS });
    },
  );

  it('restores the primary drill from SnapshotName and the DR drill from SnapshotArns, encrypted in transit, tagged with the execution', () => {
    const primary = stateMachineDefinition(synth.primary).States['Create cluster']!;
    const dr = stateMachineDefinition(synth.dr).States['Create cluster']!;
    expect(primary.Resource).toBe('arn:aws:states:::aws-sdk:elasticache:createReplicationGroup');
    expect(primary.Parameters).toMatchObject({
      'SnapshotName.$': '$.drill.choice.snapshotName',
      TransitEncryptionEnabled: true,
      CacheSubnetGroupName: 'redis-dr-drills',
    });
    expect(primary.Parameters).not.toHaveProperty(['SnapshotArns.$']);
    expect(dr.Parameters).toMatchObject({ 'SnapshotArns.$': '$.drill.choice.snapshotArns', TransitEncryptionEnabled: true });
    expect(primary.Parameters!.Tags).toContainEqual({ Key: 'redis-dr:drill', 'Value.$': '$$.Execution.Name' });
  });

  it.each(['primary', 'dr'] as const)(
    '%s: every drill cluster requires an AUTH token made for the execution, kept in a secret the verify step reads and deleted on every path',
    (which) => {
      const states = stateMachineDefinition(synth[which]).States;
      expect(states['Generate AUTH token']).toMatchObject({
        Resource: 'arn:aws:states:::aws-sdk:secretsmanager:getRandomPassword',
        Parameters: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
        Next: 'Store AUTH token',
      });
      expect(states['RBAC user group?']).toMatchObject({
        Choices: [{ Variable: '$.input.rbac', IsPresent: true, Next: 'Verify as the RBAC user' }],
        Default: 'Generate AUTH token',
      });
      expect(states['Store AUTH token']!.Parameters).toMatchObject({
        'Name.$': "States.Format('redis-dr/drill/{}', $$.Execution.Name)",
        'SecretString.$': '$.drill.auth.token',
      });
      expect(states['Store AUTH token']!.Next).toBe('Verify with the AUTH token');
      expect(states['Verify with the AUTH token']).toMatchObject({
        Parameters: { 'arn.$': '$.drill.secret.arn' },
        ResultPath: '$.drill.credentials',
        Next: 'Serverless cache?',
      });
      expect(states['Serverless cache?']).toMatchObject({
        Choices: [{ Variable: '$.drill.choice.kind', StringEquals: 'serverless-cache', Next: 'Create drill user' }],
        Default: 'Cluster mode?',
      });
      for (const name of ['Create cluster', 'Create sharded cluster']) {
        expect(states[name]!.Parameters).toMatchObject({ 'AuthToken.$': '$.drill.auth.token', TransitEncryptionEnabled: true });
        expect(states[name]!.Next).toBe('Forget AUTH token');
      }
      expect(states['Verify data']!.Parameters).toMatchObject({ 'authSecretArn.$': '$.drill.credentials.arn', tls: true });
      // Every way to the report after the token was stored passes the token delete.
      for (const name of ['Deleted', 'Nothing to delete', 'Cluster left behind', "Not this drill's cluster", 'Nothing created']) {
        expect(states[name]!.Next, name).toBe('Drill user group made?');
      }
      expect(states['Drill user made?']).toMatchObject({
        Choices: [{ Variable: '$.drill.drillUser', IsNull: true, Next: 'AUTH token stored?' }],
        Default: 'Delete drill user',
      });
      expect(states['AUTH token stored?']).toMatchObject({
        Choices: [{ Variable: '$.drill.secret', IsNull: true, Next: 'Report' }],
        Default: 'Delete AUTH token',
      });
      expect(states['Delete AUTH token']).toMatchObject({
        Parameters: { 'SecretId.$': '$.drill.secret.arn', ForceDeleteWithoutRecovery: true },
        Next: 'Report',
      });
    },
  );

  it('restores cluster-mode-enabled groups with every shard, the cluster parameter group and (DR) the slot layout', () => {
    const primary = stateMachineDefinition(synth.primary).States['Create sharded cluster']!;
    const dr = stateMachineDefinition(synth.dr).States['Create sharded cluster']!;
    for (const state of [primary, dr]) {
      expect(state.Parameters).toMatchObject({
        'NumNodeGroups.$': '$.drill.choice.shards',
        ReplicasPerNodeGroup: 0,
        ClusterMode: 'enabled',
        'CacheParameterGroupName.$': '$.drill.choice.cacheParameterGroupName',
        TransitEncryptionEnabled: true,
      });
    }
    expect(primary.Parameters).not.toHaveProperty(['NodeGroupConfiguration.$']);
    expect(dr.Parameters).toMatchObject({
      'NodeGroupConfiguration.$': '$.drill.choice.nodeGroupConfiguration',
      'SnapshotArns.$': '$.drill.choice.snapshotArns',
    });
  });

  it.each(['primary', 'dr'] as const)(
    '%s: every ElastiCache task has a timeout and retries, from one place, only errors the SDK integration really raises',
    (which) => {
      const states = stateMachineDefinition(synth[which]).States;
      // Step Functions names an error ElastiCache.<the SDK's exception>: a modeled error (the Java SDK spells "…Fault" as
      // "…Exception"), or the client's base ElastiCacheException for an unmodeled one (throttling, 5xx).
      const modeled = new Set(
        (Object.values(elasticache) as unknown[])
          .filter((v): v is { name: string; prototype: unknown } => typeof v === 'function' && v.prototype instanceof elasticache.ElastiCacheServiceException)
          .map((c) => c.name),
      );
      expect(modeled).toContain('ReplicationGroupNotFoundFault');
      const raised = (error: string) => {
        const m = /^ElastiCache\.(\w+)$/.exec(error);
        if (!m) return true; // States.* and other services are not ElastiCache's to name
        const x = m[1]!;
        return x === 'ElastiCacheException' || modeled.has(x) || modeled.has(x.replace(/Exception$/, 'Fault')) || modeled.has(x.replace(/Exception$/, ''));
      };
      const calls = Object.entries(states).filter(([, s]) => s.Type === 'Task' && String(s.Resource).startsWith('arn:aws:states:::aws-sdk:elasticache:'));
      expect(calls.length).toBeGreaterThan(10);
      const transient = {
        IntervalSeconds: DRILL_RETRY.transient.interval,
        BackoffRate: DRILL_RETRY.transient.backoffRate,
        MaxAttempts: DRILL_RETRY.transient.maxAttempts,
      };
      for (const [name, s] of calls) {
        expect(s.TimeoutSeconds, name).toBe(DRILL_TIMING.sdkTimeoutSeconds);
        for (const error of [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals)) {
          expect(raised(error), `${name}: ${error} is no error the ElastiCache integration raises`).toBe(true);
        }
        const retrier = (s.Retry ?? []).find((r) => r.ErrorEquals.includes(SFN_ERRORS.transient[0]));
        if (/^Describe /.test(name)) {
          // Polls: the next round is the retry.
          expect(retrier, name).toBeUndefined();
          expect(s.Catch![0], name).toMatchObject({ ErrorEquals: [...SFN_ERRORS.transient, 'States.Timeout'], Next: 'Status unknown' });
        } else if (/:create/.test(String(s.Resource))) {
          // A create that timed out may have made the group: never retried blindly.
          expect(retrier, name).toEqual({ ErrorEquals: [...SFN_ERRORS.transient], ...transient });
        } else {
          expect(retrier, name).toEqual({ ErrorEquals: [...SFN_ERRORS.transient, 'States.Timeout'], ...transient });
        }
      }
      expect(states['Status unknown']).toMatchObject({ Next: 'Cluster available?', ResultPath: '$.drill.group', Parameters: { status: 'unknown' } });
    },
  );

  it.each(['primary', 'dr'] as const)(
    "%s: serverless drills may create the cache's VPC endpoint as AmazonElastiCacheFullAccess scopes it, and nothing more in EC2",
    (which) => {
      const network = which === 'primary' ? networkIds(config.network)! : networkIds(config.dr.network)!;
      const role = Object.entries(synth[which].findResources('AWS::IAM::Role')).find(
        ([id, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('states.amazonaws.com') && !id.startsWith('CopiesVerify'),
      )![0];
      const statements = Object.values(synth[which].findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
      const on = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
      const text = (s: Record<string, any>) => JSON.stringify(s.Resource);
      const endpoints = on('ec2:CreateVpcEndpoint');
      expect(endpoints).toHaveLength(2);
      const endpoint = endpoints.find((s) => text(s).includes(':vpc-endpoint/*'))!;
      expect(endpoint.Condition).toEqual({ StringLike: { 'ec2:VpceServiceName': SERVERLESS_VPCE_SERVICE } });
      expect(SERVERLESS_VPCE_SERVICE).toBe('com.amazonaws.elasticache.serverless.*');
      const placement = endpoints.find((s) => s !== endpoint)!;
      for (const part of [
        `:vpc/${network.vpcId}`,
        ...network.subnetIds.map((id) => `:subnet/${id}`),
        ...network.securityGroupIds.map((id) => `:security-group/${id}`),
      ]) {
        expect(text(placement)).toContain(part);
      }
      expect(text(placement)).not.toMatch(/\*/);
      const tags = on('ec2:CreateTags');
      expect(tags).toHaveLength(1);
      expect(tags[0]!.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint', 'aws:RequestTag/AmazonElastiCacheManaged': 'true' } });
      expect(text(tags[0]!)).toContain(':vpc-endpoint/*');
      for (const read of ['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeTags']) {
        expect(on(read).length, read).toBe(1);
      }
      // No other EC2 action, and none as a wildcard (deleting the endpoint is the service-linked role's): exactly the
      // table's network actions of CreateServerlessCache (lib/iam-actions.ts, the one source).
      const ec2 = new Set(statements.flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('ec2:')));
      expect([...ec2].sort()).toEqual([...dependentActions('elasticache:CreateServerlessCache', 'network')].sort());
      expect(ec2.size).toBe(7);
    },
  );

  it('places the verify function in the configured subnets and security groups of each region', () => {
    for (const [template, network] of [
      [synth.primary, networkIds(config.network)!],
      [synth.dr, networkIds(config.dr.network)!],
    ] as const) {
      const verify = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
        /verify a restored drill cluster/.test(f.Properties.Description),
      );
      expect(verify).toHaveLength(1);
      expect(verify[0]!.Properties.VpcConfig).toEqual({ SubnetIds: network.subnetIds, SecurityGroupIds: network.securityGroupIds });
    }
  });

  it.each(['primary', 'dr'] as const)(
    "%s: the state machine creates, tags and deletes only rdr-drill-* groups carrying this deployment's drill tags",
    (which) => {
      const role = Object.entries(synth[which].findResources('AWS::IAM::Role')).find(
        ([id, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('states.amazonaws.com') && !id.startsWith('CopiesVerify'),
      )![0];
      const statements = Object.values(synth[which].findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
      const on = (action: string) => statements.filter((s) => [s.Action].flat().some((a: string) => a.toLowerCase() === action.toLowerCase()));
      const ofType = (action: string, type: string) => on(action).filter((s) => JSON.stringify(s.Resource).includes(`:${type}:`));
      const resourceTags = {
        StringEquals: { 'aws:ResourceTag/redis-dr:deployment': 'example', 'aws:ResourceTag/redis-dr:managed': 'true' },
        StringLike: { 'aws:ResourceTag/redis-dr:drill': '?*' },
      };
      const requestTags = {
        StringEquals: { 'aws:RequestTag/redis-dr:deployment': 'example', 'aws:RequestTag/redis-dr:managed': 'true' },
        StringLike: { 'aws:RequestTag/redis-dr:drill': '?*' },
      };
      // Every statement that may delete, create or tag a drill cluster, serverless cache, user or user group carries the tag condition.
      for (const [action, type, condition] of [
        ['elasticache:DeleteReplicationGroup', 'replicationgroup', resourceTags],
        ['elasticache:CreateReplicationGroup', 'replicationgroup', requestTags],
        ['elasticache:AddTagsToResource', 'replicationgroup', requestTags],
        ['elasticache:DeleteServerlessCache', 'serverlesscache', resourceTags],
        ['elasticache:CreateServerlessCache', 'serverlesscache', requestTags],
        ['elasticache:AddTagsToResource', 'serverlesscache', requestTags],
        ['elasticache:CreateUser', 'user', requestTags],
        ['elasticache:DeleteUser', 'user', resourceTags],
        ['elasticache:CreateUserGroup', 'usergroup', requestTags],
        ['elasticache:DeleteUserGroup', 'usergroup', resourceTags],
        ['elasticache:AddTagsToResource', 'user', requestTags],
      ] as const) {
        expect(ofType(action, type).length, `${action} ${type}`).toBeGreaterThan(0);
        for (const s of ofType(action, type)) {
          expect(s.Condition, `${action} ${type}`).toEqual(condition);
          expect(JSON.stringify(s.Resource)).toContain(`:${type}:rdr-drill-*`);
        }
        for (const s of on(action)) expect(JSON.stringify(s.Resource), action).not.toMatch(/"\*"/);
      }
      // Destructive actions: never without the tag condition, whatever the resource.
      for (const [action, type] of [
        ['elasticache:DeleteReplicationGroup', 'replicationgroup'],
        ['elasticache:DeleteServerlessCache', 'serverlesscache'],
        ['elasticache:DeleteUser', 'user'],
        ['elasticache:DeleteUserGroup', 'usergroup'],
      ] as const) {
        for (const s of on(action)) if (JSON.stringify(s.Resource).includes(`:${type}:`)) expect(s.Condition, action).toEqual(resourceTags);
      }
    },
  );

  it.each(['primary', 'dr'] as const)(
    "%s: the drill token secrets are created, deleted and read only under redis-dr/drill/ with this deployment's drill tags",
    (which) => {
      const statements = Object.values(synth[which].findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as Record<string, any>[],
      );
      // (Other secrets, e.g. the probe's configured one, have their own statements.)
      const on = (action: string) =>
        statements.filter(
          (s) =>
            [s.Action].flat().some((a: string) => a.toLowerCase() === action.toLowerCase()) && JSON.stringify(s.Resource).includes(':secret:redis-dr/drill/'),
        );
      const tags = (key: 'RequestTag' | 'ResourceTag') => ({
        StringEquals: { [`aws:${key}/redis-dr:deployment`]: 'example', [`aws:${key}/redis-dr:managed`]: 'true' },
        StringLike: { [`aws:${key}/redis-dr:drill`]: '?*' },
      });
      for (const [action, condition] of [
        ['secretsmanager:CreateSecret', tags('RequestTag')],
        ['secretsmanager:TagResource', tags('RequestTag')],
        ['secretsmanager:GetSecretValue', tags('ResourceTag')],
      ] as const) {
        expect(on(action).length, action).toBeGreaterThan(0);
        for (const s of on(action)) {
          expect(s.Condition, action).toEqual(condition);
          expect(JSON.stringify(s.Resource), action).toContain(':secret:redis-dr/drill/*');
        }
      }
      // The state machine's delete needs this deployment's drill tags; the reaper's (DeleteDrillSecrets) any drill tag.
      const deletes = on('secretsmanager:DeleteSecret');
      expect(deletes.map((s) => s.Condition)).toEqual(
        expect.arrayContaining([tags('ResourceTag'), { StringLike: { 'aws:ResourceTag/redis-dr:drill': '?*' } }]),
      );
      for (const s of deletes) {
        expect(s.Condition).toBeDefined();
        expect(JSON.stringify(s.Resource)).toContain(':secret:redis-dr/drill/*');
      }
    },
  );

  it('lets the select function read serverless snapshots too (read-only)', () => {
    const select = Object.values(synth.primary.findResources('AWS::Lambda::Function')).find((f) => /choose the recovery point/.test(f.Properties.Description))!;
    const role = JSON.stringify(select.Properties.Role['Fn::GetAtt'][0]);
    const reads = Object.values(synth.primary.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
      .filter((s) => s.Sid === 'ReadRecoveryPoints');
    expect(reads).toHaveLength(1);
    expect(reads[0]!.Action).toContain('elasticache:DescribeServerlessCacheSnapshots');
  });

  it("starts each drill from its schedule with the plan's checks, in the plan's drill cron", () => {
    const plan = config.plans[0]!;
    const schedules = Object.values(synth.dr.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      /^redis-dr dr drill for plan /.test(s.Properties.Description),
    );
    expect(schedules).toHaveLength(1);
    expect(schedules[0]!.Properties.ScheduleExpression).toBe(plan.drill.schedule.cron);
    expect(schedules[0]!.Properties.Target.Arn).toEqual({ Ref: expect.stringMatching(/^DrillsStateMachine/) });
    const input = JSON.stringify(schedules[0]!.Properties.Target.Input);
    expect(input).toContain('\\"where\\":\\"dr\\"');
    expect(input).toContain('config:feature-flags');
  });

  it('reaps drill clusters hourly in both regions, deleting only rdr-drill-* groups that carry the drill tag', () => {
    for (const template of [synth.primary, synth.dr]) {
      const reaper = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((s) => /drill reaper/.test(s.Properties.Description));
      expect(reaper).toHaveLength(1);
      expect(reaper[0]!.Properties.ScheduleExpression).toBe(REAPER_CRON);
      expect(JSON.parse(reaper[0]!.Properties.Target.Input)).toEqual({ deployment: 'example', maxHours: config.plans[0]!.drill.maxHours });
      const deletes = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
        .filter((s) => s.Sid === 'DeleteDrillClusters');
      expect(deletes).toHaveLength(1);
      expect(deletes[0]!.Condition).toEqual({ StringLike: { 'aws:ResourceTag/redis-dr:drill': '*' } });
      expect(JSON.stringify(deletes[0]!.Resource)).toContain(':replicationgroup:rdr-drill-*');
      // and the token secrets of drills that never reached their cleanup: only redis-dr/drill/* secrets with the drill tag.
      const secretDeletes = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
        .filter((s) => [s.Action].flat().includes('secretsmanager:DeleteSecret') && s.Sid === 'DeleteDrillSecrets');
      expect(secretDeletes).toHaveLength(1);
      expect(secretDeletes[0]!.Condition).toEqual({ StringLike: { 'aws:ResourceTag/redis-dr:drill': '?*' } });
      expect(JSON.stringify(secretDeletes[0]!.Resource)).toContain(':secret:redis-dr/drill/*');
      // and serverless drills' caches, user groups and users: only rdr-drill-* ones with the drill tag.
      const serverlessDeletes = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
        .filter((s) => s.Sid === 'DeleteServerlessDrills');
      expect(serverlessDeletes).toHaveLength(1);
      expect(serverlessDeletes[0]).toMatchObject({
        Action: ['elasticache:DeleteServerlessCache', 'elasticache:DeleteUser', 'elasticache:DeleteUserGroup'],
        Condition: { StringLike: { 'aws:ResourceTag/redis-dr:drill': '?*' } },
      });
      for (const type of ['serverlesscache', 'usergroup', 'user']) expect(JSON.stringify(serverlessDeletes[0]!.Resource)).toContain(`:${type}:rdr-drill-*`);
      // DeleteServerlessCache's dependent actions (read-only), as the table names them.
      const finds = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
        .filter((s) => s.Sid === 'FindDrillClusters');
      expect(dependentActions('elasticache:DeleteServerlessCache', 'network')).toContain('ec2:DescribeTags');
      for (const action of dependentActions('elasticache:DeleteServerlessCache', 'network')) expect(finds[0]!.Action).toContain(action);
    }
  });
});

describe('RestoreDrill with an RBAC user group', () => {
  const secretArn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:redis-dr/drill-reader';
  let synth: Synthesized;
  beforeAll(() => {
    const config = loadConfig(DRILLS_CONFIG);
    const [plan, ...rest] = config.plans;
    // Without serverless caches, too: the state machine then has no serverless states and no serverless permissions.
    synth = synthesize({
      ...config,
      plans: [
        {
          ...plan!,
          targets: { ...plan!.targets, serverlessCacheNames: [] },
          drill: { ...plan!.drill, where: 'dr', rbac: { userGroupId: 'drill-readers', secretArn } },
        },
        ...rest,
      ],
    });
  });
  afterAll(() => synth?.cleanup());

  it('creates drill clusters in the user group with TLS and no token, and verify connects as the configured user', () => {
    const states = stateMachineDefinition(synth.dr).States;
    expect(states['Verify as the RBAC user']).toMatchObject({
      Parameters: { 'arn.$': '$.input.rbac.secretArn' },
      ResultPath: '$.drill.credentials',
      Next: 'Cluster mode? (RBAC)',
    });
    for (const name of ['Create cluster (RBAC)', 'Create sharded cluster (RBAC)']) {
      expect(states[name]!.Parameters, name).toMatchObject({ 'UserGroupIds.$': 'States.Array($.input.rbac.userGroupId)', TransitEncryptionEnabled: true });
      expect(states[name]!.Parameters, name).not.toHaveProperty(['AuthToken.$']);
      expect(states[name]!.Next, name).toBe('Forget AUTH token');
    }
    const schedule = Object.values(synth.dr.findResources('AWS::Scheduler::Schedule')).find((s) =>
      /^redis-dr dr drill for plan /.test(s.Properties.Description),
    )!;
    expect(JSON.stringify(schedule.Properties.Target.Input)).toContain(`\\"rbac\\":{\\"userGroupId\\":\\"drill-readers\\",\\"secretArn\\":\\"${secretArn}\\"}`);
  });

  it('a region whose drills meet no serverless cache gets no serverless states or permissions', () => {
    const states = stateMachineDefinition(synth.dr).States;
    expect(Object.keys(states).filter((n) => /serverless|drill user|Which cache|Delete which/i.test(n))).toEqual([]);
    expect(states['Verify with the AUTH token']!.Next).toBe('Cluster mode?');
    expect(states['Nothing created']!.Next).toBe('AUTH token stored?');
    const machineRole = Object.entries(synth.dr.findResources('AWS::IAM::Role')).find(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('states.amazonaws.com'),
    )![0];
    const policies = Object.values(synth.dr.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(machineRole));
    expect(policies.length).toBeGreaterThan(0);
    expect(JSON.stringify(policies)).not.toMatch(/ServerlessCache|:serverlesscache:|CreateUser|:user:|ec2:/);
  });

  it("lets the state machine use that user group and only the verify function read its user's secret", () => {
    const statements = (template: Template) =>
      Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
    const creates = statements(synth.dr).filter((s) => [s.Action].flat().some((a: string) => a.toLowerCase() === 'elasticache:createreplicationgroup'));
    expect(JSON.stringify(creates)).toContain(':usergroup:drill-readers');
    const reads = statements(synth.dr).filter((s) => JSON.stringify(s.Resource).includes('redis-dr/drill-reader'));
    expect(reads).toEqual([
      expect.objectContaining({ Sid: 'ReadDrillUser', Action: 'secretsmanager:GetSecretValue', Resource: [secretArn, `${secretArn}-??????`] }),
    ]);
    // The primary region does not drill this plan: nothing there names the group or the secret.
    expect(JSON.stringify(synth.primary.toJSON())).not.toMatch(/drill-readers|drill-reader\b/);
  });
});

describe('RestoreDrill time budget', () => {
  /** The drills config with every plan's drill.maxHours removed: the schema's default applies. */
  function defaultHoursConfig(): RedisDrConfig {
    const raw = JSON.parse(readFileSync(DRILLS_CONFIG, 'utf8'));
    for (const plan of raw.plans) if (plan.drill) delete plan.drill.maxHours;
    const result = validateConfig(raw);
    if (!result.ok) throw new Error(result.problems.join('; '));
    return result.config;
  }
  const withHours = (config: RedisDrConfig, hours: number): RedisDrConfig => ({
    ...config,
    plans: config.plans.map((p) => ({ ...p, drill: { ...p.drill, maxHours: hours } })),
  });
  /** No serverless cache anywhere: the state machines have no serverless states. */
  const clustersOnly = (config: RedisDrConfig): RedisDrConfig => ({
    ...config,
    plans: config.plans.map((p) => ({
      ...p,
      targets: {
        replicationGroupIds: p.targets.replicationGroupIds?.length ? p.targets.replicationGroupIds : ['queues-prod'],
        serverlessCacheNames: [],
        selectByTags: {},
      },
    })),
  });
  const defaultHours = defaultHoursConfig().plans[0]!.drill.maxHours;
  const cases: { shape: string; hours: number; synth?: Synthesized }[] = [];
  for (const shape of ['replication groups (cluster mode on and off) and serverless caches', 'replication groups only']) {
    for (const hours of [1, defaultHours]) cases.push({ shape, hours });
  }
  beforeAll(() => {
    for (const c of cases) {
      const config = withHours(defaultHoursConfig(), c.hours);
      c.synth = synthesize(c.shape.startsWith('replication groups only') ? clustersOnly(config) : config);
    }
  });
  afterAll(() =>
    cases.forEach((c) => {
      c.synth?.cleanup();
    }),
  );

  it('refuses a maxHours that leaves the restore fewer than the minimum poll rounds, naming the setting and the fix', () => {
    // A probe (no poll rounds) whose fixed work takes 58 minutes: a poll round (40 s and its 4 states) fits once in 1 hour.
    const probe = {
      StartAt: 'Create cluster',
      States: {
        'Create cluster': { Type: 'Task', TimeoutSeconds: 58 * 60, Next: 'Slots' },
        Slots: { Type: 'Pass', Result: { rounds: 0 }, ResultPath: '$.drill.poll', Next: 'Wait for cluster' },
        'Wait for cluster': { Type: 'Wait', Seconds: 30, Next: 'Describe cluster' },
        'Describe cluster': { Type: 'Task', TimeoutSeconds: 10, Next: 'Cluster available?' },
        'Cluster available?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.drill.poll.rounds', NumericGreaterThanEquals: 0, Next: 'Report' }],
          Default: 'Count round',
        },
        'Count round': {
          Type: 'Pass',
          Parameters: { 'rounds.$': 'States.MathAdd($.drill.poll.rounds, 1)' },
          ResultPath: '$.drill.poll',
          Next: 'Wait for cluster',
        },
        Report: { Type: 'Task', TimeoutSeconds: 90, End: true },
      },
    };
    const work = 58 * 60 + 30 + 10 + 5 * DRILL_TIMING.stateSeconds; // create, slots, then the round that leaves (wait, describe, choice)
    const round = 30 + 10 + 4 * DRILL_TIMING.stateSeconds;
    expect(Math.floor((3600 - work) / round)).toBe(1);
    expect(() => drillBudget(probe, 1)).toThrow(/^drill\.maxHours 1 leaves the restore 1 poll rounds .*at least 10 are needed: raise drill\.maxHours$/);
    expect(drillBudget(probe, 2)).toMatchObject({ pollRounds: Math.floor((2 * 3600 - work) / round), timeoutSeconds: Math.ceil((2 * 3600 + 91) / 60) * 60 });
  });

  it('the default drill.maxHours is one the tests cover', () => {
    expect(defaultHours).toBeGreaterThan(1);
  });

  it.each(cases.flatMap((c) => (['primary', 'dr'] as const).map((where) => [c.shape, c.hours, where, c] as const)))(
    '%s, maxHours %s, %s: worst-case work fits maxHours, and work + cleanup + report fit the timeout',
    (_shape, hours, where, c) => {
      const definition = stateMachineDefinition(c.synth![where]);
      const serverless = Object.keys(definition.States).includes('Create serverless cache');
      expect(serverless).toBe(!c.shape.startsWith('replication groups only'));
      expect(Object.keys(definition.States)).toEqual(expect.arrayContaining(['Create cluster', 'Create sharded cluster']));
      expect(budgetProblems(definition, DRILL_PHASES, hours * 3600)).toEqual([]);
      const b = aslBudget(definition, DRILL_PHASES);
      expect(b.work).toBeLessThanOrEqual(hours * 3600);
      expect(b.work + b.cleanup + b.report).toBeLessThanOrEqual(definition.TimeoutSeconds!);
      // The poll loop has its computed rounds (at least the minimum), each at its worst case: the wait, a describe
      // timing out, and a second for each state (Wait, Describe, Status unknown, Cluster available?, Count round,
      // and the serverless choice of describe).
      const states = serverless ? 6 : 5;
      expect(b.loops).toEqual([
        {
          head: 'Wait for cluster',
          bound: expect.any(Number),
          round: DRILL_TIMING.pollIntervalSeconds + DRILL_TIMING.sdkTimeoutSeconds + states * DRILL_TIMING.stateSeconds,
        },
      ]);
      expect(b.loops[0]!.bound).toBeGreaterThanOrEqual(DRILL_TIMING.minPollRounds);
      expect(definition.States['Polling exhausted']!.Parameters!['Cause.$']).toContain(`after ${b.loops[0]!.bound} polls`);
      // Not more than needed: the timeout is maxHours plus cleanup and report, to the minute.
      expect(definition.TimeoutSeconds).toBe(Math.ceil((hours * 3600 + b.cleanup + b.report) / 60) * 60);
    },
  );

  it.each(cases.map((c) => [c.shape, c.hours, c] as const))('%s, maxHours %s: the old arrangement (timeout = maxHours) fails the check', (_shape, hours, c) => {
    const definition = stateMachineDefinition(c.synth!.primary);
    const old = { ...definition, TimeoutSeconds: hours * 3600 };
    expect(budgetProblems(old, DRILL_PHASES, hours * 3600)).toEqual([
      expect.stringMatching(/^work .* more than the timeout of/),
      expect.stringMatching(/^the slowest path takes/),
    ]);
  });
});
