import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * Maps a validated `lambda.logRetentionDays` to the CDK enum. The config
 * schema only admits CloudWatch's allowed values, so a miss is a bug.
 */
export function logRetentionOf(days: number): logs.RetentionDays {
  const match = Object.values(logs.RetentionDays).find((v) => v === days);
  if (match === undefined || typeof match !== 'number') {
    throw new Error(`lambda.logRetentionDays ${days} is not a CloudWatch Logs retention value`);
  }
  return match as logs.RetentionDays;
}
