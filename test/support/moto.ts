import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './redis-server.js';

/** A real S3 API over HTTP on a loopback port (python moto), and a client of it. */
export interface MotoS3 {
  readonly endpoint: string;
  readonly client: S3Client;
  /** Another client of the same server (one a test may add middleware to). */
  newClient(): S3Client;
  /** The requests moto logged so far (`GET /bucket/key HTTP/1.1 206`, without a query), the last 20,000: what a test counts requests by. */
  requests(): readonly string[];
  /** Whether moto has logged the marker request `id` ({@link requestsAfter}'s: never among {@link requests}). */
  marked(id: number): boolean;
  /** Creates a bucket (versioning off). */
  bucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

let markerCount = 0;

/**
 * The requests `moto` logged after the first `from`, once it has logged every request answered so far: a marker
 * request is sent and its line awaited. moto logs a request as it sends the response's status line (werkzeug's
 * send_response), in one stderr pipe, so each request answered before the marker was sent is logged before it;
 * waiting for the log to be quiet a while instead missed late lines under load (a flaky count).
 */
export async function requestsAfter(moto: Pick<MotoS3, 'requests' | 'endpoint' | 'marked'>, from: number): Promise<string[]> {
  const id = ++markerCount;
  await fetch(`${moto.endpoint}${MARKER_PATH}${id}`).then((r) => r.arrayBuffer());
  for (const deadline = Date.now() + 30_000; !moto.marked(id); ) {
    if (Date.now() > deadline) throw new Error(`moto did not log the marker request ${id} within 30 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return moto.requests().slice(from);
}

/** The path of {@link requestsAfter}'s marker requests (the number after it). */
const MARKER_PATH = '/redis-dr-test-marker/';

/**
 * How many requests `moto` has logged once every request answered so far is logged: where a count of the requests
 * of what follows starts (taken from `requests().length` at once, it can precede the log lines of requests already
 * answered, which would then be counted with what follows).
 */
export async function requestsSoFar(moto: Pick<MotoS3, 'requests' | 'endpoint' | 'marked'>): Promise<number> {
  return (await requestsAfter(moto, 0)).length;
}

/** A moto.server process of this one, and what it logged. */
interface MotoProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  /** The requests it logged (see {@link MotoS3.requests}), emptied when the process is handed to a new caller. */
  readonly requests: string[];
  /** The marker requests it logged (requestsAfter). */
  readonly markers: Set<number>;
  /** The tail of its stderr, for an error message. */
  stderr(): string;
  readonly exited: Promise<void>;
}

/**
 * moto.server with a watchdog: it exits when its stdin reaches end of file, that is when the process that started it
 * is gone. A vitest worker keeps a server between test files (see {@link startMotoS3}) and is ended without running
 * exit handlers, so the server cannot rely on being stopped.
 *
 * And with S3's conditional writes atomic, as S3's are: moto 5.2.1 checks `If-None-Match`/`If-Match` and then
 * stores, in a thread per request, so two PUTs of one key at once could both pass the check (the verdict chain's
 * twelve appends at once then forked, now and then, on a server warm enough that nothing serialized them). A lock
 * around its PutObject makes the check and the store one step; the racing writer gets its 412 as from S3.
 *
 * And with moto's list of its own service folders read once: moto 5.2.1 lists and stats its ~170 folders twice per
 * request to match the Host header against them (werkzeug_app.py get_backend_for_host), a quarter of its CPU per
 * request: 900 GET/HEAD/PUT requests 2.13-2.51 -> 1.49-1.90 CPU-s. The folders do not change while it runs.
 */
const MOTO_SERVER = [
  'import os, sys, threading',
  'def watch():',
  '    sys.stdin.buffer.read()',
  '    os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
  'from moto.s3.responses import S3Response',
  'put_lock = threading.Lock()',
  'unlocked_put = S3Response.put_object',
  'def locked_put(self, *args, **kwargs):',
  '    with put_lock:',
  '        return unlocked_put(self, *args, **kwargs)',
  'S3Response.put_object = locked_put',
  'import moto.backends',
  'moto_modules = tuple(moto.backends.list_of_moto_modules())',
  'moto.backends.list_of_moto_modules = lambda: moto_modules',
  'from moto.server import main',
  'main(sys.argv[1:])',
].join('\n');

async function spawnMoto(): Promise<MotoProcess> {
  const port = await freePort();
  let stderr = '';
  const requests: string[] = [];
  const markers = new Set<number>();
  let partial = '';
  const child: ChildProcess = spawn('python3', ['-c', MOTO_SERVER, '-H', '127.0.0.1', '-p', String(port)], { stdio: ['pipe', 'ignore', 'pipe'] });
  // moto logs one line per request: keep the tail for an error message only.
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const marker = line.indexOf(MARKER_PATH);
      if (marker >= 0) {
        markers.add(Number.parseInt(line.slice(marker + MARKER_PATH.length), 10));
        continue;
      }
      const m = /"((?:GET|HEAD|PUT|POST|DELETE) [^"]*)" (\d+)/.exec(line);
      // Without the query the SDK adds (`?x-id=GetObject`); never the reset of a server handed on (its own calls, not the test's).
      if (m && !m[1]!.includes(' /moto-api/')) requests.push(`${m[1]!.replace(/\?\S*/, '')} ${m[2]}`);
    }
    if (requests.length > 20_000) requests.splice(0, requests.length - 20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, endpoint: `http://127.0.0.1:${port}`, requests, markers, stderr: () => stderr, exited };
}

/** What keeps this process alive for the child: the process and its pipes (sockets, so they can be unreferenced). */
function handles(child: ChildProcess): ({ ref(): void; unref(): void } | null)[] {
  return [child, child.stdin as unknown as { ref(): void; unref(): void } | null, child.stderr as unknown as { ref(): void; unref(): void } | null];
}

/** A server stopped by the test file before: the next caller of this process gets it, reset (see {@link startMotoS3}). */
let spare: MotoProcess | undefined;

/** `python3 -c 'import moto.server'`'s verdict, asked only when a server exits before it answers. */
function motoMissing(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return (
    `moto is not installed (python3 -c 'import moto.server': ${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)}): ` +
    "run npm run setup, or python3 -m pip install --user 'moto[server]'"
  );
}

/**
 * Starts `python3 -m moto.server` on a free loopback port and waits until it
 * answers. moto is part of the test toolchain (scripts/setup.sh installs it):
 * when it is missing this fails, naming the fix, rather than skipping.
 *
 * One server per process, not per call: `stop()` keeps it, and the next call
 * gets it back reset (moto's `POST /moto-api/reset`: every bucket, object and
 * resource gone, the request log emptied), as a new server would be. A server
 * costs about 0.45 CPU-s to start; each of some 30 test files started one
 * (and another 0.4 CPU-s importing moto once more to check it was installed).
 * Two calls at once (no `stop()` between) get two servers.
 */
export async function startMotoS3(): Promise<MotoS3> {
  let server = spare;
  spare = undefined;
  if (server && (server.child.exitCode !== null || server.child.signalCode !== null)) server = undefined;
  const reused = server !== undefined;
  server ??= await spawnMoto();
  const { child, endpoint, requests, exited } = server;
  for (const handle of handles(child)) handle?.ref();
  const newClient = () => new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const client = newClient();
  let stopped = false;
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const stop = async () => {
    client.destroy();
    if (stopped) return;
    stopped = true;
    if (spare || child.exitCode !== null || child.signalCode !== null) return kill();
    // Kept for the next caller; it must not keep this process alive (a script that stopped it may be ending).
    for (const handle of handles(child)) handle?.unref();
    spare = server;
  };
  const bucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  if (reused) {
    const reset = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' }).catch((err: Error) => err);
    if (reset instanceof Error || !reset.ok) {
      // Not the server it was: a new one instead.
      await kill();
      return startMotoS3();
    }
    requests.length = 0;
    // A new caller counts its markers from 1 again (a test file's modules are its own).
    server.markers.clear();
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(motoMissing() ?? `moto.server exited with ${child.exitCode}: ${server.stderr()}`);
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'redis-dr-moto-ready' }));
      return { endpoint, client, newClient, bucket, stop, requests: () => [...requests], marked: (id) => server.markers.has(id) };
    } catch (err) {
      if (Date.now() > deadline) {
        stopped = true;
        client.destroy();
        await kill();
        throw new Error(`moto.server did not answer on ${endpoint} within 30 s: ${(err as Error).message}; ${server.stderr()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * The AWS SDK pointed at `moto` for this process: its credentials ({@link useMotoCredentials}) and `AWS_ENDPOINT_URL_S3`,
 * which the S3 adapter's clients read. Returns what puts both back as they were (call it in afterAll: a shared worker
 * runs other files after this one, and test/support/setup.ts fails a file that leaves the environment changed).
 */
export function useMotoEndpoint(moto: Pick<MotoS3, 'endpoint'>): () => void {
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_S3;
  const restoreCredentials = useMotoCredentials();
  process.env.AWS_ENDPOINT_URL_S3 = moto.endpoint;
  return () => {
    restoreCredentials();
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
    else process.env.AWS_ENDPOINT_URL_S3 = savedEndpoint;
  };
}

/** Sets the dummy AWS credentials moto takes (the SDK's default chain reads them); returns what puts the old ones back. */
export function useMotoCredentials(): () => void {
  const saved = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
