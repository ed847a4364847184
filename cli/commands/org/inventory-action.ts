import { inventoryCounts, SERVERLESS_ACTION_STATES } from '../../../lambdas/domain/org/inventory.js';
import { orgInventory } from '../../../lambdas/jobs/org/inventory.js';

/** `redis-dr org inventory`'s options (cli/commands/org/command.ts). */
export interface OrgInventoryOptions {
  readonly config: string;
  readonly aggregator?: string;
  readonly region?: string;
  readonly json?: boolean;
}

/**
 * `redis-dr org inventory -c <org config>`: every cache of the organization
 * and its state, and each account's serverless caches. Exit 0 when every
 * cache is protected or unprotectable; 1 when one is unprotected or has
 * native backups only, or an account has serverless caches without a
 * verified copy, or its serverless caches were not evaluated (the rule
 * absent, not yet run, or stopped), or the aggregator's sources say the
 * inventory is incomplete (none, none collected, a FAILED one, or not
 * readable); 2 when a row of the aggregator is no
 * configuration item or a tier tag names no tier (each named; the rest
 * still listed).
 */
export async function orgInventoryAction(options: OrgInventoryOptions): Promise<void> {
  const inv = await orgInventory({ file: options.config, aggregator: options.aggregator, region: options.region });
  const counts = inventoryCounts(inv.caches);
  const serverlessAction = inv.serverless.filter((s) => SERVERLESS_ACTION_STATES.has(s.state));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...inv, counts }, null, 2)}\n`);
  } else {
    const lines = [
      `org inventory (aggregator ${inv.aggregator} in ${inv.region}): ${inv.caches.length} cache(s), ${counts.protected} protected by redis-dr, ${counts['native-backups-only']} native backups only, ${counts.unprotectable} unprotectable, ${counts.unprotected} unprotected`,
      ...inv.caches.map((c) => `  ${c.state.padEnd(19)} ${c.account} ${c.region} ${c.kind} ${c.id} tier ${c.tier ?? '-'}${c.why ? `: ${c.why}` : ''}`),
      ...(inv.serverless.length > 0
        ? [
            `serverless caches (the verified-copy rule's evaluation of each account): ${inv.serverless.length} account(s), ${serverlessAction.length} needing action`,
            ...inv.serverless.map(
              (s) => `  ${s.state.padEnd(21)} ${s.account} ${s.region} ${s.rule}${s.evaluatedAt ? ` (evaluated ${s.evaluatedAt})` : ''}: ${s.why}`,
            ),
          ]
        : []),
      ...inv.malformed.map((m) => `  MALFORMED ${m}`),
      ...inv.tagProblems.map((p) => `  BAD TAG ${p}`),
      ...inv.notCollected.map((n) => `  not collected: ${n}`),
      ...inv.sourceProblems.map((p) => `  NOT COLLECTED ${p}`),
      ...inv.sourceNotes.map((n) => `  not current: ${n}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (inv.malformed.length > 0 || inv.tagProblems.length > 0) process.exitCode = 2;
  else if (counts.unprotected + counts['native-backups-only'] + serverlessAction.length + inv.sourceProblems.length > 0) process.exitCode = 1;
}
