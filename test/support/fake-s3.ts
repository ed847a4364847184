import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal S3 endpoint on a free loopback port for tests of code that runs
 * in another process (the CLI), where aws-sdk-client-mock cannot reach: it
 * answers path-style GetObject from local files and S3's XML errors. The real
 * SDK runs end to end against it (signing, streaming, error parsing).
 */
export interface FakeS3 {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  /** Requests seen, as `METHOD /path`. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** `objects`: `bucket/key` → local file path; `denied`: `bucket/key`s answered 403. */
export async function startFakeS3(objects: Record<string, string>, denied: readonly string[] = []): Promise<FakeS3> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    requests.push(`${req.method} /${path}`);
    const error = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    };
    if (req.method !== 'GET') return error(405, 'MethodNotAllowed', 'only GetObject here');
    if (denied.includes(path)) return error(403, 'AccessDenied', 'Access Denied');
    const file = objects[path];
    if (!file) return error(404, 'NoSuchKey', 'The specified key does not exist.');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(statSync(file).size) });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
