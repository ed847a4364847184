import type { RedisDrConfig } from '../../../lib/config/index.js';
import { listCaches } from '../../adapters/aws/caches.js';
import { throttleRetry } from '../../adapters/aws/retry.js';
import { coverageOf, type CacheCoverage } from '../../domain/plans/coverage.js';
import type { DrillWhere } from '../../domain/drills/drill.js';
import { awsProblem, type OperatorClients } from '../kernel/clients.js';

/**
 * `redis-dr status --coverage`: every ElastiCache cache (replication groups
 * and serverless caches) of both regions with the plan that protects it, or
 * `unprotected`, or `unprotectable` and why — the freshness monitor's
 * inventory (`UnprotectedCaches`) read from here, with the same code.
 * Exit 0 when every cache is protected or unprotectable (with its reason),
 * 1 when any cache is unprotected or a region could not be listed.
 */

/** The permissions the listing needs (named when a region cannot be listed). */
export const COVERAGE_PERMISSIONS = 'elasticache:DescribeReplicationGroups, elasticache:DescribeServerlessCaches and tag:GetResources';

/** One cache of one region. */
export interface CoverageRow extends CacheCoverage {
  readonly where: DrillWhere;
  readonly region: string;
}

/** What `status --coverage` found. */
export interface CoverageReport {
  readonly deployment: string;
  readonly at: string;
  readonly caches: readonly CoverageRow[];
  readonly unprotected: number;
  /** Regions that could not be listed, each with why. */
  readonly problems: readonly string[];
  readonly healthy: boolean;
}

/** Lists both regions' caches and judges each against the config's plans (plans protect primary-region caches). */
export async function collectCoverage(config: RedisDrConfig, aws: OperatorClients): Promise<CoverageReport> {
  const plans = config.plans.map((p) => ({ name: p.name, exports: p.export.enabled, targets: p.targets }));
  const caches: CoverageRow[] = [];
  const problems: string[] = [];
  for (const [where, region] of [
    ['primary', config.primary.region],
    ['dr', config.dr.region],
  ] as const) {
    const deps = aws.deps(region);
    const retry = throttleRetry(deps.clock, deps.clock.now() + 120_000, deps.throttleDelayMs);
    try {
      const found = await listCaches(deps.elasticache, deps.tagging, retry);
      caches.push(...coverageOf(found, where === 'primary' ? plans : []).map((c) => ({ ...c, where, region })));
    } catch (err) {
      problems.push(`${where} region ${region}: caches not listed (needs ${COVERAGE_PERMISSIONS}): ${awsProblem(err)}`);
    }
  }
  const unprotected = caches.filter((c) => c.state === 'unprotected').length;
  return {
    deployment: config.name,
    at: new Date(aws.clock.now()).toISOString(),
    caches,
    unprotected,
    problems,
    healthy: unprotected === 0 && problems.length === 0,
  };
}
