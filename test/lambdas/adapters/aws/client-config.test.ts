import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig, SOCKET_BOUNDS, sdkClientConfig } from '../../../../lambdas/adapters/aws/client-config.js';
import { storageS3Client } from '../../../../lambdas/adapters/aws/s3/client.js';
import { reachability } from '../../../../lambdas/adapters/aws/reachability.js';
import { connectionProblem } from '../../../../lambdas/jobs/kernel/connection-problem.js';

/**
 * Every client's socket bounds (SOCKET_BOUNDS): a connection that opens and then never answers (a half-open
 * connection, an endpoint behind a silent drop) fails as a TimeoutError, counted unanswered, instead of waiting
 * forever (the SDK's default), as a client without the bound still does beside it.
 */
let server: Server;
let endpoint: string;
const held: Socket[] = [];
beforeAll(async () => {
  // Accepts every connection, reads the request, never answers.
  server = createServer((socket) => {
    held.push(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('socket bounds', () => {
  it('an endpoint that never answers fails as a TimeoutError, counted unanswered; without the bound the call is still waiting', async () => {
    const before = reachability.unanswered;
    let unboundedSettled = false;
    const unbounded = new ElastiCacheClient({ region: 'eu-west-1', endpoint, credentials, ...sdkClientConfig(0) });
    const stop = new AbortController();
    const waiting = unbounded
      .send(new DescribeReplicationGroupsCommand({}), { abortSignal: stop.signal })
      .catch(() => undefined)
      .finally(() => {
        unboundedSettled = true;
      });
    const bounded = new ElastiCacheClient({ region: 'eu-west-1', endpoint, credentials, ...sdkClientConfig(200) });
    const err = await bounded.send(new DescribeReplicationGroupsCommand({})).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TimeoutError' });
    // The operator's one line for it (exit 2 while nothing was done; assertReached throws it when nothing answered).
    expect(connectionProblem(err)).toMatchObject({
      code: 'timeout',
      message: 'no answer from the endpoint within 0.2 s: the connection opened and nothing came back',
    });
    // Each of the retry strategy's attempts timed out and went unanswered.
    expect(reachability.unanswered).toBeGreaterThanOrEqual(before + 3);
    expect(unboundedSettled).toBe(false);
    stop.abort();
    await waiting;
    unbounded.destroy();
    bounded.destroy();
  }, 30_000);

  it('every client has them: a control plane a minute idle, S3 five, Lambda invoke past a function’s 15 minutes; connections 10 s', async () => {
    expect(sdkClientConfig().requestHandler).toEqual({ connectionTimeout: 10_000, socketTimeout: 60_000 });
    expect(s3ClientConfig({}).requestHandler).toEqual({ connectionTimeout: 10_000, socketTimeout: 300_000 });
    expect(SOCKET_BOUNDS.invokeIdleMs).toBeGreaterThan(15 * 60_000);
    // A server-side copy is silent until done: no bound shorter than a function that copies (handlers/drill-seed-copy).
    expect(SOCKET_BOUNDS.copyIdleMs).toBeGreaterThan(15 * 60_000);
    // The storage client (destinations, s3:// sources) keeps them beside its socket count.
    const handler = storageS3Client({ concurrency: 64 }).config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    const resolved = await handler.configProvider;
    expect(resolved).toMatchObject({ connectionTimeout: 10_000, socketTimeout: 300_000 });
    expect((resolved.httpsAgent as { maxSockets: number }).maxSockets).toBe(64);
  });
});
