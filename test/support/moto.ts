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
  /** Creates a bucket (versioning off). */
  bucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The requests `moto` logged after the first `from`, once it has logged them all (it logs each after answering). */
export async function requestsAfter(moto: Pick<MotoS3, 'requests'>, from: number): Promise<string[]> {
  let n = -1;
  for (let i = 0; i < 50 && moto.requests().length !== n; i++) {
    n = moto.requests().length;
    await new Promise((r) => setTimeout(r, 50));
  }
  return moto.requests().slice(from);
}

/**
 * Starts `python3 -m moto.server` on a free loopback port and waits until it
 * answers. moto is part of the test toolchain (scripts/setup.sh installs it):
 * when it is missing this fails, naming the fix, rather than skipping.
 */
export async function startMotoS3(): Promise<MotoS3> {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.status !== 0)
    throw new Error(
      `moto is not installed (python3 -c 'import moto.server': ${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)}): ` +
        "run npm run setup, or python3 -m pip install --user 'moto[server]'",
    );
  const port = await freePort();
  let stderr = '';
  const requests: string[] = [];
  let partial = '';
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  // moto logs one line per request: keep the tail for an error message only.
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const m = /"((?:GET|HEAD|PUT|POST|DELETE) [^"]*)" (\d+)/.exec(line);
      // Without the query the SDK adds (`?x-id=GetObject`).
      if (m) requests.push(`${m[1]!.replace(/\?\S*/, '')} ${m[2]}`);
    }
    if (requests.length > 20_000) requests.splice(0, requests.length - 20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const newClient = () => new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const client = newClient();
  const stop = async () => {
    client.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const bucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto.server exited with ${child.exitCode}: ${stderr}`);
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'redis-dr-moto-ready' }));
      return { endpoint, client, newClient, bucket, stop, requests: () => [...requests] };
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`moto.server did not answer on ${endpoint} within 30 s: ${(err as Error).message}; ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
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
