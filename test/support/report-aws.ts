import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { ReportAws } from '../../lambdas/jobs/report/elasticache-report.js';
import { FakeClock } from './fakes.js';

/**
 * What the report jobs are given, with SDK clients the tests mock at the
 * boundary (aws-sdk-client-mock) and a clock standing at `nowMs`.
 */
export function reportAws(nowMs: number): ReportAws {
  const clock = new FakeClock(nowMs);
  return {
    clock,
    deps: (region) => ({
      elasticache: new ElastiCacheClient({ region }),
      tagging: new ResourceGroupsTaggingAPIClient({ region }),
      s3: new S3Client({ region }),
      metrics: { put: () => undefined },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      clock,
      concurrency: 4,
      throttleDelayMs: 1,
      busyDelayMs: 1,
    }),
    sfn: (region) => new SFNClient({ region }),
    cloudwatch: (region) => new CloudWatchClient({ region }),
    vaultS3: (region) => new S3Client({ region }),
  };
}
