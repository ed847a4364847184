import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';

/** What {@link viaS3Proxy} does to a request (`method`, and `url`: the path and query). */
export interface S3ProxyRules {
  /** Seen once the S3 API has answered a request (done there), before the answer is relayed (a signal landing while the caller waits for it). */
  readonly onReply?: (method: string, url: string) => void;
  /** Answered 500 InternalError without reaching the S3 API (the SDK tries again). */
  readonly refuse?: (method: string, url: string) => boolean;
  /** Answered 403 AccessDenied without reaching the S3 API (an answer the SDK does not try again). */
  readonly forbid?: (method: string, url: string) => boolean;
  /** Forwarded to the S3 API, which does it; then the connection is cut before its answer reaches the caller (an answer lost on the way). */
  readonly cut?: (method: string, url: string) => boolean;
  /**
   * Held before it is forwarded to the S3 API until the promise returned settles (a request S3 has not yet done). Its
   * body is read whole first and then forwarded even when the caller has left meanwhile, as S3 does a request whose
   * body it has received; a request the caller left before its body ended is dropped (S3 stores no partial body).
   */
  readonly hold?: (method: string, url: string) => Promise<unknown> | undefined;
}

/**
 * `f` with every S3 request of the process's storage clients (AWS_ENDPOINT_URL_S3) through a proxy in front of
 * `endpoint` (moto) that applies `rules`; AWS_ENDPOINT_URL_S3 is as it was again afterwards.
 */
export async function viaS3Proxy<T>(endpoint: string, rules: S3ProxyRules, f: () => Promise<T>): Promise<T> {
  const proxy = createServer((req, res) => {
    res.on('error', () => undefined); // a caller that aborted the request is no longer there
    const method = req.method ?? '';
    const url = req.url ?? '';
    if (rules.refuse?.(method, url)) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>InternalError</Code><Message>refused by the test</Message></Error>');
    }
    if (rules.forbid?.(method, url)) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>AccessDenied</Code><Message>Access Denied (by the test)</Message></Error>');
    }
    const held = rules.hold?.(method, url);
    const cut = rules.cut?.(method, url) ?? false;
    const forward = (body?: Buffer) => {
      const up = httpRequest(`${endpoint}${url}`, { method, headers: req.headers }, (back) => {
        // The S3 API's answer cut mid-way (moto stopped while a request forwarded after its caller left was answered):
        // the caller, if still there, sees its socket end. Without a listener the IncomingMessage's 'aborted' error
        // (ECONNRESET) was an uncaught exception in whatever test file the worker ran next (a clean-clone run, 11:13 UTC).
        back.on('error', () => res.destroy());
        rules.onReply?.(method, url);
        if (cut) {
          // The S3 API has done it (its answer read to the end); the caller never hears of it.
          back.resume();
          return void back.on('end', () => req.socket.destroy());
        }
        setImmediate(() => {
          if (res.destroyed) return void back.resume();
          res.writeHead(back.statusCode ?? 500, back.headers);
          back.pipe(res);
        });
      });
      up.on('error', () => undefined); // the S3 API went away: the caller, if still there, sees its socket end
      if (body === undefined) req.pipe(up);
      else up.end(body);
    };
    if (held === undefined) return forward();
    const chunks: Buffer[] = [];
    let whole = false;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      whole = true;
    });
    req.on('error', () => undefined);
    const go = () => {
      if (whole) forward(Buffer.concat(chunks));
      else req.once('end', () => forward(Buffer.concat(chunks)));
    };
    void held.then(go, go);
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const before = process.env.AWS_ENDPOINT_URL_S3;
  process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
    else process.env.AWS_ENDPOINT_URL_S3 = before;
    proxy.closeAllConnections();
    await new Promise((done) => proxy.close(done));
  }
}

/** An S3 client of the proxy {@link viaS3Proxy} set up (inside its `f`): path-style, moto's test credentials. */
export function proxiedS3Client(): S3Client {
  return new S3Client({
    endpoint: process.env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}
