import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClientConfig } from '../../../../lambdas/adapters/aws/client-config.js';
import { reachability } from '../../../../lambdas/adapters/aws/reachability.js';
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
});
