/**
 * A file-backed stand-in for S3's HeadObject and ranged GetObject, for the
 * serve bench only (bench/serve/s3-sizes.ts --store files): objects are
 * files under a folder (`<folder>/<bucket>/<key>`), a ranged GET streams the
 * range from the file. moto 5.2 reads a whole object into memory for every
 * ranged GET (a 2 GB copy: seconds a request, growing with the object), so
 * its times say more of moto than of `serve`; this server answers a range in
 * the time the range takes, as S3 does. Path-style requests; ETag from size
 * and mtime; If-Match answered 412 on a mismatch; an object's metadata
 * (`x-amz-meta-…`, as PutObject was given it) from a `<file>.meta.json`
 * beside it ({@link putMetadata}); nothing else of S3.
 */
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';

/** The ETag this stand-in answers for `file` (from its size and modification time). */
export function fileEtag(file: string): string {
  const st = statSync(file);
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

/**
 * Gives the object at `file` the metadata a PutObject would have put (the
 * serve key index's source binding, domain/serve/index-source.ts
 * indexSourceMetadata): written beside it, answered as `x-amz-meta-…`.
 */
export function putMetadata(file: string, metadata: Readonly<Record<string, string>>): void {
  writeFileSync(`${file}.meta.json`, JSON.stringify(metadata));
}

/** The server, its endpoint, and the requests it answered (`GET /bucket/key 206`). */
export interface FileS3 {
  readonly endpoint: string;
  requests(): readonly string[];
  close(): Promise<void>;
}

/** Serves the files under `folder` as S3 objects on a free loopback port. */
export async function startFileS3(folder: string): Promise<FileS3> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = path.join(folder, decodeURIComponent(url.pathname));
    const log = (status: number) => requests.push(`${req.method} ${url.pathname} ${status}`);
    let size: number;
    let etag: string;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
      etag = fileEtag(file);
    } catch {
      log(404);
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : '<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>');
      return;
    }
    if (req.headers['if-match'] && req.headers['if-match'] !== etag) {
      log(412);
      res.writeHead(412, { 'content-type': 'application/xml' });
      res.end('<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
      return;
    }
    const meta = existsSync(`${file}.meta.json`) ? (JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as Record<string, string>) : {};
    const headers = {
      etag,
      'last-modified': new Date().toUTCString(),
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      ...Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-amz-meta-${k}`, v])),
    };
    if (req.method === 'HEAD') {
      log(200);
      res.writeHead(200, { ...headers, 'content-length': String(size) });
      res.end();
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const first = m ? Number(m[1]) : 0;
    const last = m && m[2] !== '' ? Math.min(Number(m[2]), size - 1) : size - 1;
    const status = m ? 206 : 200;
    log(status);
    res.writeHead(status, { ...headers, 'content-length': String(last - first + 1), ...(m ? { 'content-range': `bytes ${first}-${last}/${size}` } : {}) });
    createReadStream(file, { start: first, end: last }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => [...requests],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
