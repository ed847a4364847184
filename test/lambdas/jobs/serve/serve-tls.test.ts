/**
 * `serve` over TLS with AUTH: a certificate signed by a private CA, ioredis
 * and redis-cli (`--tls --cacert`) connecting with it; a plain client gets
 * nothing served; a missing or unusable certificate is refused before the
 * point is opened.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { makeCertificates } from '../../../support/certificates.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { RawClient } from '../../../support/resp-raw.js';

let dir: string;
let file: string;
let certs: { ca: string; cert: string; key: string };
let serving: Serving;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-tls-'));
  certs = makeCertificates(dir);
  const server = await startRedisServer();
  const c = server.client();
  await c.set('greeting', 'hello');
  await c.save();
  file = join(dir, 'point.rdb');
  copyFileSync(server.rdbPath, file);
  c.disconnect();
  await server.stop();
  serving = await startServing({ location: file, port: 0, password: 'pw', tls: { certFile: certs.cert, keyFile: certs.key } });
}, 60_000);

afterAll(async () => {
  await serving?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve over TLS', () => {
  it('answers ioredis over TLS (the CA checked) once authenticated', async () => {
    const c = new Redis({ port: serving.port, host: '127.0.0.1', password: 'pw', tls: { ca: [readFileSync(certs.ca)], servername: '127.0.0.1' } });
    try {
      expect(await c.get('greeting')).toBe('hello');
      await expect(c.set('greeting', 'x')).rejects.toThrow(/READONLY/);
    } finally {
      c.disconnect();
    }
  }, 30_000);

  it('answers a TLS client that half-closes after its requests, then ends the connection (review 23)', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      let text = '';
      const s = tlsConnect({ port: serving.port, host: '127.0.0.1', ca: [readFileSync(certs.ca)], servername: '127.0.0.1' }, () =>
        s.end('*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\n*1\r\n$4\r\nPING\r\n'),
      );
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('error', reject);
      s.on('close', () => resolve(text));
    });
    expect(got).toBe('+OK\r\n$5\r\nhello\r\n+PONG\r\n');
  }, 30_000);

  it('answers redis-cli --tls --cacert, and NOAUTH without the password', async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)('redis-cli', ['--tls', '--cacert', certs.ca, '-h', '127.0.0.1', '-p', String(serving.port), ...args], { encoding: 'utf8' });
    expect((await cli('--no-auth-warning', '-a', 'pw', 'GET', 'greeting')).stdout.trim()).toBe('hello');
    expect((await cli('GET', 'greeting')).stdout.trim()).toMatch(/NOAUTH Authentication required/);
  }, 30_000);

  it('serves nothing to a plain client', async () => {
    const raw = await RawClient.open(serving.port);
    await expect(Promise.race([raw.call('PING'), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), 2_000))])).rejects.toThrow();
    raw.close();
  }, 30_000);

  it('refuses a missing certificate file and a key that is not one, before opening the point', async () => {
    await expect(startServing({ location: join(dir, 'not-there.rdb'), port: 0, tls: { certFile: join(dir, 'nope.crt'), keyFile: certs.key } })).rejects.toThrow(
      new UsageError(`--tls-cert-file ${join(dir, 'nope.crt')}: no such file: give a PEM file`),
    );
    writeFileSync(join(dir, 'bad.key'), 'not a key');
    await expect(startServing({ location: file, port: 0, tls: { certFile: certs.cert, keyFile: join(dir, 'bad.key') } })).rejects.toThrow(
      /not a usable certificate and key .*: give the PEM certificate and its private key/,
    );
  }, 30_000);
});
