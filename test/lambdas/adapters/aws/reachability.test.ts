import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sdkClientConfig } from '../../../../lambdas/adapters/aws/client-config.js';
import { reachability, UNREACHABLE_HOLD_MS } from '../../../../lambdas/adapters/aws/reachability.js';
import { OperatorClients } from '../../../../lambdas/jobs/kernel/clients.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { closedLoopbackPort } from '../../../support/closed-port.js';

/**
 * The answer count behind `assertReached` (issue 53 item 10): an error AWS
 * sent (here a 403 from a local HTTP server) is an answer, a refused
 * connection is not; a run is "unreached" only when nothing answered.
 */
let server: Server;
let answering: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'text/xml' });
    res.end(
      '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error><RequestId>1</RequestId></ErrorResponse>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  answering = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const call = (endpoint: string) =>
  new ElastiCacheClient({ region: 'eu-west-1', endpoint, credentials, ...sdkClientConfig() })
    .send(new DescribeReplicationGroupsCommand({}))
    .catch((e: unknown) => e);

describe('reachability', () => {
  it('an HTTP error response counts as an answer; a refused connection does not, and is kept', async () => {
    const before = { ...reachability };
    expect(await call(answering)).toMatchObject({ name: 'AccessDenied' });
    expect(reachability.answered).toBe(before.answered + 1);
    expect(reachability.unanswered).toBe(before.unanswered);

    const port = await closedLoopbackPort();
    const refused = await call(`http://127.0.0.1:${port}`);
    expect(reachability.unanswered).toBeGreaterThan(before.unanswered);
    expect(reachability.lastUnanswered).toBe(refused);
  });

  it('assertReached: throws the connection error when nothing answered, not when AWS answered once', async () => {
    const config = loadConfig('config/example.json');
    const port = await closedLoopbackPort();
    const nothing = new OperatorClients(config);
    const refused = await call(`http://127.0.0.1:${port}`);
    expect(() => nothing.assertReached()).toThrow(refused as Error);

    const some = new OperatorClients(config);
    await call(`http://127.0.0.1:${port}`);
    await call(answering);
    expect(() => some.assertReached()).not.toThrow();

    // No call at all: nothing to say.
    expect(() => new OperatorClients(config).assertReached()).not.toThrow();
  });

  it('an endpoint that answered no attempt of a whole call gets one attempt per later call, for UNREACHABLE_HOLD_MS; another endpoint keeps its retries', async () => {
    const attempts = (e: unknown) => (e as { $metadata?: { attempts?: number } }).$metadata?.attempts;
    // Loopback addresses of this test alone (all of 127/8 loops back): the hold is the process's, and other files' calls refused at 127.0.0.1 may hold that one.
    const port = await closedLoopbackPort();
    const [dead, other] = [`http://127.0.0.57:${port}`, `http://127.0.0.58:${port}`];
    expect(attempts(await call(dead))).toBe(3);
    // A new client (the operator makes one per service and region): the same endpoint, not retried.
    const held = await call(dead);
    expect(held).toMatchObject({ code: 'ECONNREFUSED' });
    expect(attempts(held)).toBe(1);
    expect(attempts(await call(other))).toBe(3);
    // An error AWS sent is retried as before (a 403 is not retried by the SDK: one attempt, counted as an answer).
    expect(await call(answering)).toMatchObject({ name: 'AccessDenied' });
    const now = Date.now();
    const later = vi.spyOn(Date, 'now').mockReturnValue(now + UNREACHABLE_HOLD_MS + 1);
    try {
      expect(attempts(await call(dead))).toBe(3);
    } finally {
      later.mockRestore();
    }
  });
});
