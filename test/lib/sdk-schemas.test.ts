import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AslDefinition, stateMachineDefinition, type TemplateJson } from '../../lib/asl.js';
import { loadConfig } from '../../lib/config/index.js';
import { allStates, checkDefinition, checkTaskParameters, inputSchemaOf, sdkTaskOf, sfnErrorNamesOf, unknownErrorNames } from '../support/sdk-schema.js';
import { DRILLS_CONFIG } from '../support/state-machine.js';
import { type Synthesized, synthesize } from '../support/synth.js';

const ROOT = join(__dirname, '..', '..');
/** Every valid config the tests synthesize: node-based, cluster mode and serverless drills, both regions, the verify state machine. */
const CONFIGS = [
  join(ROOT, 'config', 'example.json'),
  join(ROOT, 'config', 'demo.json'),
  DRILLS_CONFIG,
  join(ROOT, 'test', 'fixtures', 'config', 'basic.json'),
  join(ROOT, 'test', 'fixtures', 'config', 'status-one-target.json'),
];

/** Each state machine of a template, by kind. */
function definitions(template: TemplateJson): [string, AslDefinition][] {
  const machines = Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  return machines.map(([id]) => {
    const which = /VerifyStateMachine/.test(id) ? 'verify' : 'drill';
    return [`${id} (${which})`, stateMachineDefinition(template, which)];
  });
}

describe('Step Functions aws-sdk tasks against the SDK clients’ input schemas', () => {
  const synths: [string, Synthesized][] = [];
  beforeAll(() => {
    for (const file of CONFIGS) synths.push([file, synthesize(loadConfig(file))]);
  }, 120_000);
  afterAll(() => {
    for (const [, s] of synths) s.cleanup();
  });

  it('finds every task’s parameters to be members of its action’s input, with every required member and the right shapes', () => {
    const seen = new Set<string>();
    let tasks = 0;
    for (const [file, synth] of synths) {
      for (const template of [synth.primary, synth.dr]) {
        for (const [machine, definition] of definitions(template.toJSON() as TemplateJson)) {
          const result = checkDefinition(definition);
          tasks += result.tasks;
          expect(result.problems, `${file}: ${machine}`).toEqual([]);
          expect(unknownErrorNames(definition), `${file}: ${machine}: error names in Retry/Catch`).toEqual([]);
          for (const [, state] of allStates(definition)) {
            const task = sdkTaskOf(state);
            if (task) seen.add(task.join(':'));
          }
        }
      }
    }
    // The drill's whole life cycle: clusters, serverless caches, user groups, users, the token secret.
    expect(tasks).toBeGreaterThan(20);
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'elasticache:createReplicationGroup',
        'elasticache:createServerlessCache',
        'elasticache:deleteReplicationGroup',
        'elasticache:deleteServerlessCache',
        'elasticache:describeReplicationGroups',
        'secretsmanager:createSecret',
        'secretsmanager:deleteSecret',
        'secretsmanager:getRandomPassword',
      ]),
    );
  });
});

describe('the schema check itself', () => {
  it('reads the required members from the client (DeleteReplicationGroup needs ReplicationGroupId only)', () => {
    const schema = inputSchemaOf('elasticache', 'deleteReplicationGroup');
    expect(schema[2]).toBe('DeleteReplicationGroupMessage');
    expect(checkTaskParameters('elasticache', 'deleteReplicationGroup', { 'ReplicationGroupId.$': '$.id', RetainPrimaryCluster: false })).toEqual([]);
  });

  it('names a misspelt member', () => {
    expect(checkTaskParameters('elasticache', 'deleteReplicationGroup', { 'ReplicationGroupID.$': '$.id' })).toEqual([
      { path: 'ReplicationGroupID', problem: expect.stringMatching(/^is not a member of DeleteReplicationGroupMessage \(members: ReplicationGroupId, /) },
      { path: 'ReplicationGroupId', problem: 'is required by DeleteReplicationGroupMessage but not given' },
    ]);
  });

  it('names a missing required member', () => {
    expect(checkTaskParameters('elasticache', 'createServerlessCache', { 'ServerlessCacheName.$': '$.name' })).toEqual([
      { path: 'Engine', problem: 'is required by CreateServerlessCacheRequest but not given' },
    ]);
  });

  it('names a wrong static type, a list given as an object, and a misspelt member of a nested structure', () => {
    expect(
      checkTaskParameters('elasticache', 'createServerlessCache', {
        ServerlessCacheName: 'x',
        Engine: 'valkey',
        SnapshotRetentionLimit: '1',
        SecurityGroupIds: { id: 'sg-1' },
        Tags: [{ Key: 'a', Vlaue: 'b' }],
      }),
    ).toEqual([
      { path: 'SnapshotRetentionLimit', problem: 'has the wrong type: got "1", the schema wants a number' },
      { path: 'SecurityGroupIds', problem: 'must be a list, got {"id":"sg-1"}' },
      { path: 'Tags[0].Vlaue', problem: 'is not a member of Tag (members: Key, Value)' },
    ]);
  });

  it('knows the error names a service raises, in the spellings Step Functions may give them, and nothing else', () => {
    const names = sfnErrorNamesOf('elasticache');
    for (const name of [
      'ReplicationGroupNotFoundException',
      'ReplicationGroupNotFoundFault',
      'ReplicationGroupNotFoundFaultException',
      'ElastiCacheException',
      'ThrottlingException',
    ]) {
      expect(names.has(`ElastiCache.${name}`), name).toBe(true);
    }
    // A typo, a fault ElastiCache does not have, the JS SDK's own base class, and another service's prefix.
    for (const name of [
      'ElastiCache.ReplicationGroupNotFund',
      'ElastiCache.ClusterGoneFault',
      'ElastiCache.ElastiCacheServiceException',
      'SecretsManager.ResourceNotFoundException',
    ]) {
      expect(names.has(name), name).toBe(false);
    }
  });

  it('names each Retry or Catch error of an aws-sdk task that its service cannot raise', () => {
    const definition = {
      StartAt: 'Delete',
      States: {
        Delete: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:elasticache:deleteReplicationGroup',
          Parameters: { ReplicationGroupId: 'rdr-x' },
          Retry: [{ ErrorEquals: ['ElastiCache.InvalidReplicationGroupStateException', 'ElastiCache.ReplicatonGroupNotFoundException', 'States.Timeout'] }],
          Catch: [{ ErrorEquals: ['SecretsManager.ResourceNotFoundException'], Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Succeed' },
      },
    };
    expect(unknownErrorNames(definition)).toEqual([
      { state: 'Delete', name: 'ElastiCache.ReplicatonGroupNotFoundException' },
      { state: 'Delete', name: 'SecretsManager.ResourceNotFoundException' },
    ]);
  });

  it('refuses an action the client does not have', () => {
    expect(() => inputSchemaOf('elasticache', 'deleteReplicationGroups')).toThrow(/has no operation deleteReplicationGroups/);
  });
});
