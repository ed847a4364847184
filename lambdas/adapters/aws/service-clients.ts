/**
 * SDK clients of the services doctor and the operator's selftest read
 * besides the ones every command has: CloudFormation (the stacks and their
 * outputs), CloudWatch (the alarms), EventBridge Scheduler (the schedules)
 * SNS (the alert topics) and Lambda (the page router the selftest invokes),
 * one per region, created on first use.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SNSClient } from '@aws-sdk/client-sns';
import { SOCKET_BOUNDS, sdkClientConfig } from './client-config.js';

/** CloudFormation, CloudWatch, Lambda, Scheduler and SNS clients by region. */
export class ServiceClients {
  private readonly made = new Map<string, unknown>();

  private get<T>(key: string, make: () => T): T {
    let c = this.made.get(key) as T | undefined;
    if (!c) {
      c = make();
      this.made.set(key, c);
    }
    return c;
  }

  cloudformation(region: string): CloudFormationClient {
    return this.get(`cloudformation@${region}`, () => new CloudFormationClient({ region, ...sdkClientConfig() }));
  }

  cloudwatch(region: string): CloudWatchClient {
    return this.get(`cloudwatch@${region}`, () => new CloudWatchClient({ region, ...sdkClientConfig() }));
  }

  scheduler(region: string): SchedulerClient {
    return this.get(`scheduler@${region}`, () => new SchedulerClient({ region, ...sdkClientConfig() }));
  }

  lambda(region: string): LambdaClient {
    return this.get(`lambda@${region}`, () => new LambdaClient({ region, ...sdkClientConfig(SOCKET_BOUNDS.invokeIdleMs) }));
  }

  sns(region: string): SNSClient {
    return this.get(`sns@${region}`, () => new SNSClient({ region, ...sdkClientConfig() }));
  }
}
