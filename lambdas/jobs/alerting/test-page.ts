/**
 * The selftest's TEST page through every `alerts.integrations` entry, one
 * answer per integration. `redis-dr selftest` invokes the page router with
 * {@link RouterTestRequest} (synchronously, RequestResponse) instead of
 * counting on the alert topic: a topic's subscriber cannot say whether
 * PagerDuty answered, the router can. The router leaves the
 * selftest's TEST page out, so each tool gets it once, from this call.
 *
 * A failed integration is reported, not paged: the operator reading the
 * selftest's table is the one to hear about it.
 */
import { z } from 'zod';
import { INTEGRATION_TYPES, integrationName } from '../../domain/alerting/integrations.js';
import { formatAlert, SELFTEST_SOURCE } from '../../domain/alerting/format.js';
import type { Page } from '../../domain/alerting/page.js';
import { type DeliveryDeps, deliverAll } from './deliver-page.js';
import type { Delivery } from './delivery-failed.js';

/** The TEST event the selftest sends through the formatter (EventBridge-shaped, clearly marked). */
export function selftestEvent(region: string, startedAt: Date): Record<string, unknown> {
  return { source: SELFTEST_SOURCE, 'detail-type': 'redis-dr selftest TEST', region, time: startedAt.toISOString(), detail: { run: startedAt.toISOString() } };
}

/** What the selftest sends the router: the run it belongs to. */
export const routerTestRequestSchema = z.strictObject({
  selftest: z.strictObject({ run: z.iso.datetime({ error: (iss) => `selftest.run must be an ISO 8601 time, got ${JSON.stringify(iss.input)}` }) }),
});
/** The router's test request. */
export type RouterTestRequest = z.infer<typeof routerTestRequestSchema>;

/** What the router answers: one delivery per integration, in config order. */
export const routerTestResultSchema = z.strictObject({
  deliveries: z.array(z.strictObject({ name: z.string(), type: z.enum(INTEGRATION_TYPES), ok: z.boolean(), error: z.string().optional() })),
});
/** The router's answer to a test request. */
export type RouterTestResult = z.infer<typeof routerTestResultSchema>;

/** True when a router invocation is the selftest's test request rather than an SNS event. */
export function isRouterTest(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'selftest' in event;
}

/** The TEST page of a run, as the formatter writes it for the topic (severity info: no incident, nobody woken). */
export function selftestPage(run: Date, deployment: string, region: string): Page {
  const { subject, message, attributes } = formatAlert(selftestEvent(region, run), { deployment, region });
  return { subject, message, attributes };
}

/** Delivers the TEST page to every integration; never throws for one integration's failure. */
export async function testIntegrations(
  request: unknown,
  deps: DeliveryDeps & { readonly deployment: string; readonly region: string },
): Promise<RouterTestResult> {
  const parsed = routerTestRequestSchema.safeParse(request);
  if (!parsed.success) throw new Error(`not a selftest TEST request: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const { selftest } = parsed.data;
  const page = selftestPage(new Date(selftest.run), deps.deployment, deps.region);
  const named = deps.integrations.map((integration, index) => ({ integration, name: integrationName(integration, index) }));
  const deliveries: Delivery[] = await deliverAll(named, page, deps);
  deps.log.info('selftest TEST page delivered', { run: selftest.run, deliveries });
  return { deliveries };
}
