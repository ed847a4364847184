/**
 * `redis-dr serve -c <config> --point <snapshot>` and `history -c <config>
 * --plan <name>` through the built CLI, against a real S3 API (moto) holding
 * the deployment's DR bucket: the point served and listening, an unknown
 * point, plan or a clash of options refused in one line, exit 2.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoveryBucketName } from '../../../../lib/deployment.js';
import { exportObjectKey, exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import { formatSnapshotName } from '../../../../lambdas/domain/plans/naming.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { RawClient } from '../../../support/resp-raw.js';
import { inWorkerWithEnv } from '../../support/in-process.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'bin', 'redis-dr.cjs');
const CONFIG = join(ROOT, 'config', 'example.json');
// moto's account: the example config names none, so STS (moto's) says it.
const ACCOUNT = '123456789012';
const POINT = formatSnapshotName('sessions-prod', new Date(Date.UTC(2030, 10, 24, 3, 0)));
let moto: MotoS3;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  moto = await startMotoS3();
  const endpoint = moto.endpoint.replace('127.0.0.1', 'localhost');
  env = { AWS_ENDPOINT_URL: endpoint, AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', REDIS_DR_CONFIG: '' };
  const bucket = recoveryBucketName('example', ACCOUNT, 'eu-central-1');
  await moto.bucket(bucket);
  const server = await startRedisServer();
  const c = server.client();
  await c.set('greeting', 'hello');
  await c.save();
  const key = exportObjectKey(POINT, 1);
  await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(server.rdbPath) }));
  const tags = exportObjectTags({ tier: 'hourly', plan: 'sessions', snapshot: POINT, createdAt: new Date(), shard: 1, shards: 1 });
  await moto.client.send(
    new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }),
  );
  await server.stop();
}, 60_000);

afterAll(async () => moto?.stop());

/**
 * The refusals and history's rows run the program in this process (test/cli/support/in-process.ts), with `env` set for
 * the run only: their words and exit codes. What listens is the built CLI in a child ({@link serveListening}).
 */
const cliWithEnv = inWorkerWithEnv;

/** Starts the built CLI's `serve` with `args`; resolves with its first lines once it listens (and how to stop it). */
async function serveListening(args: readonly string[], childEnv: NodeJS.ProcessEnv): Promise<{ lines: string[]; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > 2) resolve(out.split('\n'));
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code} before listening: ${err}`)));
  });
  return {
    lines,
    stop: async () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

describe('redis-dr serve -c <config> --point <snapshot>', () => {
  it("serves the point's .rdb copy: listening first, then what it is", async () => {
    const { lines, stop } = await serveListening(['-c', CONFIG, '--point', POINT, '--port', '0'], { ...process.env, ...env });
    expect(lines[0]).toMatch(/^listening on 127\.0\.0\.1:\d+$/);
    expect(lines[1]).toContain(`serving ${POINT} (s3://`);
    const raw = await RawClient.open(Number(lines[0]!.split(':')[1]));
    expect(await raw.call('GET', 'greeting')).toBe('$5\r\nhello\r\n');
    raw.close();
    expect(await stop()).toBe(0);
  }, 60_000);

  it('serves an s3:// file from the store --s3-endpoint names (no endpoint in the environment), and refuses the flag where it has no use', async () => {
    const bucket = recoveryBucketName('example', ACCOUNT, 'eu-central-1');
    const { AWS_ENDPOINT_URL: _a, AWS_ENDPOINT_URL_S3: _b, ...rest } = process.env;
    const plain = { ...rest, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
    const { lines, stop } = await serveListening([`s3://${bucket}/${exportObjectKey(POINT, 1)}`, '--s3-endpoint', moto.endpoint, '--port', '0'], plain);
    const raw = await RawClient.open(Number(lines[0]!.split(':')[1]));
    expect(await raw.call('GET', 'greeting')).toBe('$5\r\nhello\r\n');
    raw.close();
    expect(await stop()).toBe(0);
    const local = await cliWithEnv(env, 'serve', 'x.rdb', '--s3-endpoint', moto.endpoint);
    expect(local.status).toBe(2);
    expect(local.stderr.trim()).toBe(`redis-dr: --s3-endpoint ${moto.endpoint} is for an s3:// location; x.rdb is a local file: leave out --s3-endpoint`);
    const config = await cliWithEnv(env, 'serve', '-c', CONFIG, '--point', POINT, '--s3-endpoint', moto.endpoint);
    expect(config.status).toBe(2);
    expect(config.stderr).toContain(`--s3-endpoint ${moto.endpoint} is for an s3:// file or --from location`);
  }, 60_000);

  it('refuses an unknown point in one line naming it and the fix, exit 2', async () => {
    const unknown = formatSnapshotName('sessions-prod', new Date(Date.UTC(2030, 0, 1, 0, 0)));
    const r = await cliWithEnv(env, 'serve', '-c', CONFIG, '--point', unknown, '--port', '0');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`--point ${unknown}: no .rdb copy found; redis-dr restore --target sessions-prod --list lists`);
  }, 60_000);

  it('refuses a file with --point, and no point at all, exit 2', async () => {
    const both = await cliWithEnv(env, 'serve', 'x.rdb', '--point', POINT);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('serve x.rdb names the file itself: leave out --point');
    const none = await cliWithEnv(env, 'serve');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(
      'serve needs a point: a file (serve <file | s3://…>), --from <destination> [--point <file>], or -c <config> --point <snapshot>',
    );
  }, 60_000);
});

describe('redis-dr history -c <config> --plan <name>', () => {
  it("follows a key through the plan's copies", async () => {
    const r = await cliWithEnv(env, 'history', 'greeting', '-c', CONFIG, '--plan', 'sessions', '--target', 'sessions-prod');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`history of "greeting" in db 0, target sessions-prod: 1 point(s) read from plan sessions's .rdb copies`);
    expect(r.stdout).toMatch(new RegExp(`${POINT}\\s.*yes\\s+string\\s+5\\s.*first`));
  }, 60_000);

  it('refuses an unknown plan naming the plans, and neither --from nor --plan, exit 2', async () => {
    const r = await cliWithEnv(env, 'history', 'greeting', '-c', CONFIG, '--plan', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('redis-dr: --plan nope: no such plan in this config; plans: sessions, queues');
    const none = await cliWithEnv(env, 'history', 'greeting');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('history needs where the points are: --from <destination>, or -c <config> --plan <name>');
  }, 60_000);
});
