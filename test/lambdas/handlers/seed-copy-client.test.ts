// Not named drill-seed-copy.test.ts: that basename is the seed copy job's recorded IAM calls (test/support/aws-calls.ts PRINCIPALS).
import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUTS } from '../../../lib/constructs/restore-drill/budget.js';
import { SOCKET_BOUNDS } from '../../../lambdas/adapters/aws/client-config.js';
import { restoreEnvAfterFile } from '../../support/env.js';

// The handlers set Powertools' and the SDK's defaults in the environment: put it back for the next file.
restoreEnvAfterFile();

/**
 * The seed copy's S3 client: a CopyObject (up to 5 GiB) or an UploadPartCopy answers only when the copy is done, with
 * nothing on the socket meanwhile (S3 promises whitespace for CompleteMultipartUpload only). S3's five-minute idle
 * bound cut a healthy copy that took longer, and each retry started it again, until the function's timeout.
 */
describe('drill-seed-copy handler', () => {
  it("waits on a silent copy for as long as the function may run (not S3's five-minute idle bound)", async () => {
    const { s3 } = await import('../../../lambdas/handlers/drill-seed-copy.js');
    const handler = s3.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    const resolved = await handler.configProvider;
    expect(resolved.socketTimeout).toBe(SOCKET_BOUNDS.copyIdleMs);
    expect(resolved.socketTimeout as number).toBeGreaterThan(FUNCTION_TIMEOUTS.seedCopy.toMilliseconds());
    expect(resolved.connectionTimeout).toBe(SOCKET_BOUNDS.connectMs);
  });
});
