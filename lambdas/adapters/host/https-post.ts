/**
 * JSON over HTTPS to an on-call tool's API (PagerDuty, Opsgenie), with Node's
 * fetch: a timeout so one slow tool cannot hold the others' pages, and an
 * error that names the address and the answer, never the request's headers
 * (they carry the API key).
 */

/** The longest wait for one tool's answer. */
export const POST_TIMEOUT_MS = 10_000;

/** A POST the tool answered with something other than 2xx, or did not answer. */
export class PostError extends Error {
  override readonly name = 'PostError';
}

/** POSTs `body` as JSON to `url`; resolves on 2xx, else throws a {@link PostError}. */
export async function postJson(url: string, body: unknown, headers: Readonly<Record<string, string>> = {}, timeoutMs = POST_TIMEOUT_MS): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'redis-dr', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new PostError(`POST ${url} got no answer: ${cause}`);
  }
  if (response.ok) {
    await response.arrayBuffer();
    return;
  }
  const text = (await response.text().catch(() => '')).replace(/\s+/g, ' ').trim();
  throw new PostError(`POST ${url} answered ${response.status}${text ? `: ${text.length > 300 ? `${text.slice(0, 297)}...` : text}` : ''}`);
}
