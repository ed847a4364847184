/**
 * How much memory this process may still take: the Lambda function's size
 * (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB, which the Lambda runtime sets),
 * else the machine's, less what the process holds now (its RSS). For work
 * whose size is known before it starts and that can be left out honestly
 * when it would not fit (the DR verifier's duplicate-key check over a key
 * index: copy-key-index.ts), not a promise that an allocation succeeds.
 */
import { totalmem } from 'node:os';

export function memoryHeadroomBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const limit = Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : totalmem();
  return Math.max(0, limit - process.memoryUsage().rss);
}
