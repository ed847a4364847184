import type { RedisDrConfig } from '../../../lib/config/index.js';
import { listCaches } from '../../../lambdas/adapters/aws/caches.js';
import { throttleRetry } from '../../../lambdas/adapters/aws/retry.js';
import { coverageOf, type CacheCoverage } from '../../../lambdas/domain/plans/coverage.js';
import type { DrillWhere } from '../../../lambdas/domain/drills/drill.js';
import { awsProblem, type CliAws } from '../../aws.js';
import { plain, table, type Style } from '../../table.js';

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
export async function collectCoverage(config: RedisDrConfig, aws: CliAws): Promise<CoverageReport> {
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

/** The inventory people read: one line per cache, then the verdict. */
export function formatCoverage(r: CoverageReport, style: Style = plain): string {
  const mark: Record<string, string> = {
    protected: style('green', 'protected'),
    unprotected: style(['red', 'bold'], 'UNPROTECTED'),
    unprotectable: style('yellow', 'unprotectable'),
    'redis-dr': 'redis-dr',
  };
  const lines = [`redis-dr ${r.deployment}: cache coverage, at ${r.at}`, ''];
  if (r.caches.length > 0) {
    const cells = r.caches.map((c) => [c.region, c.kind, c.id, c.state, c.plans.join(', ') || '-', c.why ?? '']);
    const STATE = 3;
    const paint = (column: number, cell: string) => (column === STATE ? cell.replace(cell.trim(), mark[cell.trim()] ?? cell.trim()) : cell);
    lines.push(...table([['REGION', 'KIND', 'CACHE', 'STATE', 'PLAN', 'WHY'], ...cells], paint));
  } else {
    lines.push('No caches found.');
  }
  for (const p of r.problems) lines.push('', style('yellow', `not listed: ${p}`));
  lines.push('');
  if (r.unprotected > 0) {
    lines.push(
      style(['red', 'bold'], `${r.unprotected} cache(s) no plan protects: add each to a plan's targets (or tag it for a selectByTags plan) and deploy.`),
    );
  } else if (r.problems.length === 0) {
    lines.push(style('green', 'Every cache is protected by a plan, or cannot be (the reason is shown).'));
  }
  return `${lines.join('\n')}\n`;
}
