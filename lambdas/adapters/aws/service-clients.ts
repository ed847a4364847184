/**
 * SDK clients of the services the operator's selftest reads besides the
 * ones every command has: CloudFormation (the stacks and their outputs) and
 * SNS (the alert topics), one per region, created on first use.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SNSClient } from '@aws-sdk/client-sns';
import { sdkClientConfig } from './client-config.js';

/** CloudFormation and SNS clients by region. */
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

  sns(region: string): SNSClient {
    return this.get(`sns@${region}`, () => new SNSClient({ region, ...sdkClientConfig() }));
  }
}
