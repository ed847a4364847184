import type { CoverageReport } from '../../../lambdas/jobs/status/coverage.js';
import { plain, table, type Style } from '../../table.js';

export type { CoverageReport } from '../../../lambdas/jobs/status/coverage.js';

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
