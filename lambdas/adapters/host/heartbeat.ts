/**
 * Heartbeat pings for cron jobs, healthchecks.io style: the URL itself when
 * a run succeeded in every step, `<url>/start` when it begins and
 * `<url>/fail` (with the error as the body) when it failed — the last two
 * opt-in — and `<url>/log` for what the check's history should show
 * without a verdict. A monitor that misses the success ping alerts on its own: that is
 * what catches a backup that silently stopped running.
 *
 * Never throws: a ping that fails is returned as a problem for the run to report.
 *
 * @see https://healthchecks.io/docs/http_api/
 */

/** Which ping: `log` (`<url>/log`) records its body in the check's events without changing its state. */
export type HeartbeatEvent = 'start' | 'success' | 'fail' | 'log';

/** The URL a ping goes to. */
export function heartbeatUrl(base: string, event: HeartbeatEvent): string {
  const url = new URL(base); // throws for what is not a URL
  if (event === 'success') return base;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${event}`;
  return url.toString();
}

/**
 * Sends one ping (POST, `body` as text, at most 10 KB as healthchecks.io
 * keeps), retried once; resolves to `undefined` when it was answered 2xx,
 * else to what went wrong.
 */
export async function pingHeartbeat(base: string, event: HeartbeatEvent, body = '', timeoutMs = 10_000): Promise<string | undefined> {
  let url: string;
  try {
    url = heartbeatUrl(base, event);
  } catch {
    return `heartbeat ${event} ping not sent: ${redactUrl(base)} is not a URL`;
  }
  let problem = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        body: body.slice(0, 10_000),
        signal: AbortSignal.timeout(timeoutMs),
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return undefined;
      problem = `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      problem = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : `${cause ?? (err as Error).message}`;
    }
  }
  return `heartbeat ${event} ping to ${redactUrl(url)} failed: ${problem}`;
}

/**
 * The URL for messages: scheme and host only. Every monitoring service puts
 * its secret in the path (a check UUID, a ping key and slug, a short token),
 * so none of the path is shown.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '<heartbeat url>';
  }
}
