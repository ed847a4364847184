import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../../../../../lambdas/adapters/aws/client-config.js';
import { awsClient } from '../../../../../lambdas/handlers/entry.js';
import { OperatorClients } from '../../../../../lambdas/jobs/kernel/clients.js';
import { exampleConfig } from '../../../../support/synth.js';
import { startMotoS3, type MotoS3 } from '../../../../support/moto.js';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * S3 behind a custom endpoint (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL): every
 * S3 client, the operator's and the Lambdas', uses path-style addressing
 * there (`http://localhost:<port>/<bucket>`), as the self-managed store's
 * already did. Virtual-hosted addressing asked `<bucket>.localhost`, which
 * does not resolve. Against moto's real S3 API.
 */
const KEYS = ['AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

describe('S3 clients under a custom endpoint', () => {
  let moto: MotoS3;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    moto = await startMotoS3();
    await moto.bucket('endpoint-test');
    for (const k of KEYS) saved[k] = process.env[k];
    // localhost, not 127.0.0.1: the SDK addresses an IP endpoint by path on its own, a host name it does not.
    process.env.AWS_ENDPOINT_URL_S3 = moto.endpoint.replace('127.0.0.1', 'localhost');
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_REGION = 'us-east-1';
  });
  afterAll(async () => {
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await moto?.stop();
  });

  it("the operator's S3 client (status, export, verify-copy) reaches a bucket there", async () => {
    const s3 = new OperatorClients(exampleConfig()).s3('us-east-1');
    await s3.send(new PutObjectCommand({ Bucket: 'endpoint-test', Key: 'a', Body: 'x' }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'endpoint-test' }))).KeyCount).toBe(1);
  });

  it("a Lambda's S3 client does too", async () => {
    const s3 = awsClient(S3Client);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'endpoint-test' }))).KeyCount).toBe(1);
  });

  it('the configuration is path-style only under an endpoint (AWS keeps virtual-hosted addressing)', async () => {
    expect(s3ClientConfig({ AWS_ENDPOINT_URL: 'http://localhost:9000' }).forcePathStyle).toBe(true);
    expect(s3ClientConfig({}).forcePathStyle).toBe(false);
    // Without it, the request goes to endpoint-test.localhost, which does not resolve.
    const plain = new S3Client({ region: 'us-east-1' });
    await expect(plain.send(new ListObjectsV2Command({ Bucket: 'endpoint-test' }))).rejects.toThrow(/ENOTFOUND|getaddrinfo|EAI_AGAIN/);
    plain.destroy();
  });
});
