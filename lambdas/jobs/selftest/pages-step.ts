/**
 * The selftest's integrations step of one region: the TEST page through the
 * page router to every `alerts.integrations` entry (PagerDuty, Opsgenie,
 * Slack or Teams), and which of them answered. The router is invoked
 * synchronously with the test request (lambdas/jobs/alerting/test-page.ts):
 * it reads each key from Secrets Manager and posts as it does for a real
 * page, so the step proves the deployed path, the router's role included.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { invokeJson } from '../../adapters/aws/lambda-invoke.js';
import { type RouterTestRequest, routerTestResultSchema } from '../alerting/test-page.js';
import type { Delivery } from '../alerting/delivery-failed.js';
import { type SelftestRunner, StepFailedError } from './runner.js';

/** The fix of an integration that did not answer. */
const INTEGRATION_FIX =
  "check each failed integration: its key in Secrets Manager (the secret's value, the router's access to it), the service or integration in the tool, the chat channel configuration; then the page router's logs (docs/alerts.md, Integrations)";

/** One line per integration: `pagerduty-1 (pagerduty) answered` or `opsgenie-2 (opsgenie) FAILED: <why>`. */
export function deliveryLines(deliveries: readonly Delivery[]): string[] {
  return deliveries.map((d) => `${d.name} (${d.type}) ${d.ok ? 'answered' : `FAILED: ${d.error ?? 'no reason given'}`}`);
}

/**
 * Runs the step `pages <where>`: passes when every integration answered,
 * fails naming each that did not and why (the others are still listed).
 */
export async function integrationsStep(
  runner: SelftestRunner,
  router: { readonly where: string; readonly region: string; readonly functionArn: string },
  o: { readonly lambda: LambdaClient; readonly startedAt: Date; readonly who: string },
): Promise<readonly Delivery[] | undefined> {
  return runner.step(
    `pages ${router.where}`,
    router.region,
    { who: o.who, fix: `check that the page router ${router.functionArn} exists (redis-dr doctor) and that you may invoke it (lambda:InvokeFunction)` },
    async () => {
      const request: RouterTestRequest = { selftest: { run: o.startedAt.toISOString() } };
      const answer = routerTestResultSchema.safeParse(await invokeJson(o.lambda, router.functionArn, request, 'page router'));
      if (!answer.success)
        throw new StepFailedError(
          `the page router ${router.functionArn} did not answer the TEST request with deliveries (${answer.error.issues[0]?.message}): it predates selftest's TEST pages`,
          'deploy the stacks again (npx cdk deploy --all), then run the selftest again',
        );
      const { deliveries } = answer.data;
      const lines = deliveryLines(deliveries);
      const failed = deliveries.filter((d) => !d.ok);
      if (failed.length > 0)
        throw new StepFailedError(`TEST page not delivered to ${failed.length} of ${deliveries.length} integration(s): ${lines.join('; ')}`, INTEGRATION_FIX);
      return { value: deliveries, detail: `TEST page through the page router: ${lines.join('; ')}` };
    },
  );
}
