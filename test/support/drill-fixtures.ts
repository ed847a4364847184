import type { DrillInput } from '../../lambdas/domain/drills/drill.js';

/** A DR drill of plan `sessions` over `rg-a`, as the schedule sends it. */
export const DR_DRILL_INPUT: DrillInput = {
  deployment: 'prod',
  plan: 'sessions',
  where: 'dr',
  targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
  bucket: 'redis-dr-prod-dr',
  rtoMinutes: 30,
  checks: { keyCountTolerancePct: 1, expectKeys: [], expectValues: {}, sampleSize: 10 },
};
