import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heartbeatUrl, pingHeartbeat, redactUrl } from '../../../../lambdas/adapters/host/heartbeat.js';
import { startPingServer, type PingServer } from '../../../support/ping-server.js';

describe('heartbeat pings (healthchecks.io conventions)', () => {
  let server: PingServer;
  beforeEach(async () => {
    server = await startPingServer();
  });
  afterEach(async () => server.close());

  it('pings the URL on success, /start and /fail on request, the error as the /fail body', async () => {
    expect(await pingHeartbeat(server.url, 'start')).toBeUndefined();
    expect(await pingHeartbeat(server.url, 'success', 'ok')).toBeUndefined();
    expect(await pingHeartbeat(server.url, 'fail', 'save: BGSAVE failed')).toBeUndefined();
    expect(server.pings).toEqual([
      { method: 'POST', path: '/ping/0a1b2c3d-1111-2222-3333-444455556666/start', body: '' },
      { method: 'POST', path: '/ping/0a1b2c3d-1111-2222-3333-444455556666', body: 'ok' },
      { method: 'POST', path: '/ping/0a1b2c3d-1111-2222-3333-444455556666/fail', body: 'save: BGSAVE failed' },
    ]);
    expect(heartbeatUrl('https://hc.example/ping/abc/', 'fail')).toBe('https://hc.example/ping/abc/fail');
  });

  it('reports (never throws) an answer that is not 2xx, after one retry, with the check id masked', async () => {
    server.status = 503;
    const problem = await pingHeartbeat(server.url, 'success');
    expect(problem).toBe(`heartbeat success ping to ${new URL(server.url).origin}/… failed: HTTP 503`);
    expect(server.pings).toHaveLength(2);
  });

  it('reports a server that does not answer in time, and one that is not there', async () => {
    server.status = 'hang';
    expect(await pingHeartbeat(server.url, 'success', '', 200)).toMatch(/failed: no answer within 0.2 s$/);
    await server.close();
    expect(await pingHeartbeat(server.url, 'success', '', 500)).toMatch(/failed: ECONNREFUSED$/);
  });

  it('shows only scheme and host in messages (the secret is in the path), and reports a URL it cannot parse', async () => {
    expect(redactUrl('https://user:pw@hc.example/ping/0a1b2c3d-1111-2222-3333-444455556666?rid=1')).toBe('https://hc.example/…');
    expect(redactUrl('https://nosnch.in/c2354d53d2')).toBe('https://nosnch.in/…');
    expect(await pingHeartbeat('https://', 'success')).toBe('heartbeat success ping not sent: <heartbeat url> is not a URL');
  });
});
