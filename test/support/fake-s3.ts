import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal S3 endpoint on a free loopback port for tests of code that runs
 * in another process (the CLI), where aws-sdk-client-mock cannot reach: it
 * answers path-style HeadObject, GetObject and HeadBucket (the buckets the
 * objects name) from local files, with S3's
 * single-range `Range` (206 and Content-Range; 416 past the end), If-Match
 * (412 when the ETag differs) and XML errors. The ETag is the MD5 of the
 * file, as S3's for a single-part upload. The real SDK runs end to end
 * against it (signing, streaming, error parsing).
 */
export interface FakeS3 {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  /** Requests seen, as `METHOD /path`. */
  readonly requests: string[];
  /** Requests seen with their Range and If-Match headers. */
  readonly log: readonly FakeS3Request[];
  /** The ETag an object has now (quoted, as S3 sends it). */
  etag(path: string): string;
  close(): Promise<void>;
}

/** One request as the endpoint saw it. */
export interface FakeS3Request {
  readonly method: string;
  readonly path: string;
  readonly range?: string;
  readonly ifMatch?: string;
}

/** Options of {@link startFakeS3}. */
export interface FakeS3Options {
  /**
   * Called with each request before it is answered: a test may change
   * `objects` here (to replace an object between two requests).
   */
  readonly onRequest?: (request: FakeS3Request) => void;
}

/**
 * `objects`: `bucket/key` → local file path (read at each request, so a test
 * may change the map); `denied`: `bucket/key`s answered 403.
 */
export async function startFakeS3(objects: Record<string, string>, denied: readonly string[] = [], options: FakeS3Options = {}): Promise<FakeS3> {
  const requests: string[] = [];
  const log: FakeS3Request[] = [];
  const etagOf = (file: string): string => `"${createHash('md5').update(readFileSync(file)).digest('hex')}"`;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    const request: FakeS3Request = {
      method: req.method ?? 'GET',
      path,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers['if-match'] ? { ifMatch: req.headers['if-match'] } : {}),
    };
    requests.push(`${request.method} /${path}`);
    log.push(request);
    options.onRequest?.(request);
    const head = req.method === 'HEAD';
    // HEAD answers carry no body: the SDK names the error from the status (NotFound, Forbidden).
    const error = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(head ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    };
    if (req.method !== 'GET' && !head) return error(405, 'MethodNotAllowed', 'only HeadObject and GetObject here');
    if (denied.includes(path)) return error(403, 'AccessDenied', 'Access Denied');
    // HeadBucket (a path without a key): the buckets are those the objects name.
    const bucket = path.replace(/\/+$/, '');
    if (!bucket.includes('/')) {
      const known = Object.keys(objects).some((k) => k.startsWith(`${bucket}/`));
      if (!head || !known) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
      res.writeHead(200);
      return res.end();
    }
    const file = objects[path];
    if (!file) return error(404, 'NoSuchKey', 'The specified key does not exist.');
    const size = statSync(file).size;
    const etag = etagOf(file);
    if (request.ifMatch !== undefined && request.ifMatch !== etag)
      return error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    const headers = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes' };
    const range = request.range === undefined ? undefined : /^bytes=(\d+)-(\d*)$/.exec(request.range);
    if (request.range !== undefined && !range) return error(400, 'InvalidArgument', `unsupported Range ${request.range}`);
    if (!range) {
      res.writeHead(200, { ...headers, 'content-length': String(size) });
      return head ? res.end() : void createReadStream(file).pipe(res);
    }
    const first = Number(range[1]);
    if (first >= size) return error(416, 'InvalidRange', 'The requested range is not satisfiable');
    // As S3: a range past the end is cut at the end.
    const last = Math.min(range[2] ? Number(range[2]) : size - 1, size - 1);
    res.writeHead(206, { ...headers, 'content-length': String(last - first + 1), 'content-range': `bytes ${first}-${last}/${size}` });
    return head ? res.end() : void createReadStream(file, { start: first, end: last }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    log,
    etag: (path) => etagOf(objects[path]!),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
