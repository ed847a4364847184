import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AslDefinition, type StandIns, stateMachineDefinition, type TemplateJson } from '../../lib/asl.js';
import { loadConfig, type RedisDrConfig, validateConfig } from '../../lib/config/index.js';
import { drillPlans } from '../../lib/deployment.js';
import { DRILL_PREFIX, DRILL_SECRET_PREFIX } from '../../lambdas/domain/drills/drill.js';
import { evaluate, type IamRequest, type PolicyDocument, requestsOf, rolePolicies } from '../support/iam.js';
import { allStates, sdkTaskOf } from '../support/sdk-schema.js';
import { DRILLS_CONFIG } from '../support/state-machine.js';
import { type Synthesized, synthesize } from '../support/synth.js';

const ACCOUNT = '000000000000';
const EXECUTION = 'drill-exec-1';
const DRILL_ID = `${DRILL_PREFIX}sessions-prod-x1`;

/**
 * What the drill's JSONPaths hold at run time, as the select step and the
 * earlier tasks produce them: a drill cluster of this deployment, a recovery
 * point named by the project's rules, the configured RBAC group.
 */
function pathValues(config: RedisDrConfig, standIns: StandIns, where: 'primary' | 'dr'): Record<string, unknown> {
  const rbac = config.plans.find((p) => p.drill.rbac)?.drill.rbac;
  return {
    '$$.Execution.Name': EXECUTION,
    '$.drill.choice.clusterId': DRILL_ID,
    '$.drill.drillUserGroup.id': DRILL_ID,
    '$.drill.drillUser.id': DRILL_ID,
    '$.drill.choice.target': 'sessions-prod',
    '$.drill.choice.engine': 'valkey',
    '$.drill.choice.engineVersion': '8.0',
    '$.drill.choice.nodeType': 'cache.t4g.small',
    '$.drill.choice.shards': 2,
    '$.drill.choice.nodeGroupConfiguration': [],
    '$.drill.choice.snapshotName': 'rdr-sessions-sessions-prod-20261123t1000z',
    '$.drill.choice.cacheParameterGroupName': 'default.valkey8.cluster.on',
    '$.drill.choice.snapshotArns':
      where === 'primary'
        ? [`arn:aws:elasticache:${standIns.region}:${ACCOUNT}:serverlesscachesnapshot:rdr-sessions-sessions-edge-20261123t1000z`]
        : [`arn:aws:s3:::redis-dr-${config.name}-${ACCOUNT}-${standIns.region}/rdr-sessions-sessions-prod-20261123t1000z-0001.rdb`],
    '$.drill.auth.token': 'token',
    '$.drill.secret.arn': `arn:aws:secretsmanager:${standIns.region}:${ACCOUNT}:secret:${DRILL_SECRET_PREFIX}${EXECUTION}-AbCdEf`,
    '$.input.rbac.userGroupId': rbac?.userGroupId,
  };
}

/** A parameter value as the state machine computes it: JSONPaths and the two intrinsics the drill uses. */
function resolve(expr: string, values: Record<string, unknown>): unknown {
  const format = /^States\.Format\('([^']*)',\s*([^)]+)\)$/.exec(expr);
  if (format) return format[1]!.replace('{}', String(resolve(format[2]!.trim(), values)));
  const array = /^States\.Array\(([^)]+)\)$/.exec(expr);
  if (array) return [resolve(array[1]!.trim(), values)];
  if (!(expr in values)) throw new Error(`no run-time value for ${expr}: add one to pathValues in ${__filename}`);
  return values[expr];
}

function resolveParams(value: unknown, values: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveParams(v, values));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => (k.endsWith('.$') ? [k.slice(0, -2), resolve(v as string, values)] : [k, resolveParams(v, values)])),
  );
}

/** The tags of what already exists: drill resources carry the drill's, recovery points the deployment's. */
function ownedTags(config: RedisDrConfig): (type: string, arn: string) => Record<string, string> {
  const deployment = { 'redis-dr:managed': 'true', 'redis-dr:deployment': config.name };
  return (_type, arn) =>
    arn.includes(`:${DRILL_PREFIX}`) || arn.includes(`:secret:${DRILL_SECRET_PREFIX}`)
      ? { ...deployment, 'redis-dr:drill': EXECUTION, 'redis-dr:source': 'sessions-prod' }
      : /:(serverlesscache)?snapshot:rdr-/.test(arn)
        ? deployment
        : {};
}

function validated(raw: unknown): RedisDrConfig {
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

interface Machine {
  readonly label: string;
  readonly definition: AslDefinition;
  readonly policies: PolicyDocument[];
  readonly config: RedisDrConfig;
  readonly standIns: StandIns;
  readonly where: 'primary' | 'dr';
}

/** Every request the drill's tasks make, with the state that makes it. */
async function requestsOfMachine(m: Machine): Promise<{ state: string; request: IamRequest }[]> {
  const out: { state: string; request: IamRequest }[] = [];
  const values = pathValues(m.config, m.standIns, m.where);
  const rbac = m.config.plans.some((p) => p.drill.rbac);
  for (const [state, s] of allStates(m.definition)) {
    // The RBAC branches run only for a plan with drill.rbac (the select step chooses them).
    if (!rbac && state.endsWith('(RBAC)')) continue;
    const task = sdkTaskOf(s);
    if (task) {
      const params = resolveParams(s.Parameters ?? {}, values) as Record<string, unknown>;
      for (const request of await requestsOf(task[0], task[1], params, ownedTags(m.config), m.standIns)) out.push({ state, request });
    } else if (s.Type === 'Task' && /:states:::lambda:invoke$/.test(s.Resource ?? '')) {
      out.push({ state, request: { action: 'lambda:InvokeFunction', resource: String(s.Parameters?.FunctionName), context: {} } });
    }
  }
  return out;
}

describe('the drill state machines’ roles allow every call their tasks make (IAM simulation)', () => {
  const synths: Synthesized[] = [];
  const machines: Machine[] = [];
  beforeAll(() => {
    const rbac = JSON.parse(readFileSync(DRILLS_CONFIG, 'utf8'));
    rbac.plans[0].drill.where = 'primary';
    rbac.plans[0].drill.rbac = {
      userGroupId: 'sessions-drills',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-dr/sessions-drill-user',
    };
    const configs = [loadConfig(DRILLS_CONFIG), loadConfig(join(__dirname, '..', '..', 'config', 'example.json')), validated(rbac)];
    for (const config of configs) {
      const synth = synthesize(config);
      synths.push(synth);
      for (const [where, template, region] of [
        ['primary', synth.primary, config.primary.region],
        ['dr', synth.dr, config.dr.region],
      ] as const) {
        if (drillPlans(config.plans, where).length === 0) continue;
        const json = template.toJSON() as TemplateJson;
        const standIns = { region, account: ACCOUNT };
        const [, sm] = Object.entries(json.Resources ?? {}).find(([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && !/Verify/.test(id))!;
        const roleId = (sm.Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        machines.push({
          label: `${config.name} ${where}${config.plans.some((p) => p.drill.rbac) ? ' (RBAC)' : ''}`,
          definition: stateMachineDefinition(json, 'drill', standIns),
          policies: rolePolicies(json, roleId, standIns),
          config,
          standIns,
          where,
        });
      }
    }
  }, 120_000);
  afterAll(() => {
    for (const s of synths) s.cleanup();
  });

  it('allows every task of every drill state machine, each resource it names, with the tags it sends', async () => {
    let checked = 0;
    for (const m of machines) {
      const denied: string[] = [];
      for (const { state, request } of await requestsOfMachine(m)) {
        checked++;
        const result = await evaluate(m.policies, request, m.standIns);
        if (result !== 'Allowed') denied.push(`${state}: ${request.action} on ${request.resource}: ${result}`);
      }
      expect(denied, m.label).toEqual([]);
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('finds the denial when one statement is missing (the drill cluster create)', async () => {
    const m = machines[0]!;
    const without = m.policies.map((d) => ({
      ...d,
      Statement: d.Statement.filter(
        (s) => ![s.Action].flat().includes('elasticache:CreateReplicationGroup') || !JSON.stringify(s.Resource).includes(':replicationgroup:'),
      ),
    }));
    const denied: string[] = [];
    for (const { state, request } of await requestsOfMachine(m)) {
      if ((await evaluate(without, request, m.standIns)) !== 'Allowed')
        denied.push(`${state}: ${request.action} ${request.resource.split(':').slice(5).join(':')}`);
    }
    expect(denied).toContain(`Create cluster: elasticache:CreateReplicationGroup replicationgroup:${DRILL_ID}`);
  });

  it('denies a drill that would delete a cluster it does not own (no drill tag)', async () => {
    const m = machines[0]!;
    const request = {
      action: 'elasticache:DeleteReplicationGroup',
      resource: `arn:aws:elasticache:${m.standIns.region}:${ACCOUNT}:replicationgroup:${DRILL_ID}`,
      context: { 'aws:ResourceTag/redis-dr:managed': 'true', 'aws:ResourceTag/redis-dr:deployment': 'another-deployment' },
    };
    expect(await evaluate(m.policies, request, m.standIns)).toBe('ImplicitlyDenied');
  });
});
