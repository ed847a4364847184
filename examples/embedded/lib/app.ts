/**
 * A team's own CDK app with redis-dr inside it: their stack (here a queue of
 * the shop's) beside the two stacks of `RedisDr`, one `cdk deploy --all`.
 */
import { type App, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { RedisDr, type RedisDrProps } from 'redis-dr/cdk';

/** The deployment config, typed: the same fields as redis-dr's JSON config (config/schema.json). */
export const REDIS_DR_PROPS: RedisDrProps = {
  name: 'shop',
  primary: { region: 'eu-west-1' },
  dr: { region: 'eu-central-1' },
  alerts: { emails: ['oncall@example.com'] },
  plans: [
    {
      name: 'sessions',
      targets: { replicationGroupIds: ['shop-sessions'] },
      schedule: { cron: 'cron(0 0/2 * * ? *)', timeZone: 'Europe/Berlin' },
      rpoMinutes: 210,
      export: { enabled: true, minTier: 'hourly' },
      retention: { hourly: 12, daily: 7, weekly: 4, monthly: 12 },
    },
  ],
};

/** A stack of the team's own, nothing to do with redis-dr. */
export class ShopStack extends Stack {
  /** Orders waiting for the shop's workers. */
  public readonly orders: sqs.Queue;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.orders = new sqs.Queue(this, 'Orders', { retentionPeriod: Duration.days(4) });
  }
}

/** Adds the team's stacks and redis-dr's to `app`. */
export function buildApp(app: App): { shop: ShopStack; redisDr: RedisDr } {
  const shop = new ShopStack(app, 'Shop', { env: { region: 'eu-west-1' } });
  // An App or a Stage as the scope: RedisDr adds RedisDr-shop-Primary and RedisDr-shop-Dr beside Shop.
  const redisDr = new RedisDr(app, 'RedisDr', REDIS_DR_PROPS);
  return { shop, redisDr };
}
