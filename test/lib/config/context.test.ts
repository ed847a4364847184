import { describe, expect, it } from 'vitest';
import { configContextProblem } from '../../../lib/config/context.js';

const FLAGS = { '@aws-cdk/core:enablePartitionLiterals': true, 'aws:cdk:bundling-stacks': [], 'cli-telemetry': false };

describe('configContextProblem', () => {
  it.each<[string, Record<string, unknown>]>([
    ['-c config=config/prod.json', { ...FLAGS, config: 'config/prod.json' }],
    ['an absolute path', { config: '/etc/redis-dr/prod.json' }],
  ])('accepts %s', (_name, context) => expect(configContextProblem(context)).toBeUndefined());

  it.each<[string, Record<string, unknown>, string]>([
    [
      'no config at all (a bare -c file was dropped by the CDK CLI)',
      { ...FLAGS },
      'no deployment config given (context "config" is not set). Type: npx cdk synth -c config=config/<env>.json',
    ],
    ['an empty config', { config: '' }, 'no deployment config given'],
    ['-c config/prod.json=yes (the path as the key)', { 'config/prod.json': 'yes', config: 'x.json' }, 'Type: npx cdk synth -c config=config/prod.json'],
    [
      '-c conf=config/prod.json (a misspelt key)',
      { conf: 'config/prod.json' },
      'context "conf" is not read: the config is given as -c config=<path>. Type: npx cdk synth -c config=config/prod.json',
    ],
    [
      '-c config=prod (an environment name, not a path)',
      { config: 'prod' },
      'context config must be the path of a .json config file, got "prod". Type: npx cdk synth -c config=config/prod.json',
    ],
    ['a non-string config', { config: 3 }, 'got 3. Type: npx cdk synth -c config=config/<env>.json'],
  ])('refuses %s with the command to type', (_name, context, message) => {
    expect(configContextProblem(context)).toContain(message);
  });
});
