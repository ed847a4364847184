/**
 * The backup policy document (ISO 27001 A.8.13) generated from the validated
 * config, so policy and practice cannot drift: scope by plan and tier,
 * frequency and RPO, retention per tier, the copies and where they live,
 * restore tests and their cadence, RTO objectives, who is paged. One model
 * of sections, rendered as Markdown and as a self-contained HTML page. Pure.
 */

/** One plan as the policy states it. */
export interface PolicyPlan {
  readonly name: string;
  /** The caches in scope: ids, names, tag selectors. */
  readonly scope: readonly string[];
  readonly schedule: { readonly cron: string; readonly timeZone: string };
  readonly rpoMinutes: number;
  /** Recovery points kept per tier, and the newest always kept. */
  readonly retention: { readonly hourly: number; readonly daily: number; readonly weekly: number; readonly monthly: number; readonly minKeep: number };
  /** Absent: no copy leaves the primary region. */
  readonly export?: { readonly minTier: string; readonly expireDays: Readonly<Record<string, number>> };
  readonly vault: boolean;
  /** No copy is kept longer than this, days, unless a hold with a reason and an expiry keeps it (PCI DSS 3, GDPR); absent: no maximum. */
  readonly maxRetentionDays?: number;
  /** Where this plan's copies live, said instead of the ElastiCache regions (a self-managed destination). */
  readonly copies?: string;
  /** Absent: the plan runs no scheduled drill. */
  readonly drill?: {
    readonly cron: string;
    readonly timeZone: string;
    readonly where: string;
    readonly rtoMinutes: number;
    readonly fromVault: boolean;
    /** Which retained point each drill restores (`drill.pointSelection`); absent: the newest. */
    readonly pointSelection?: 'newest' | 'random';
    /** The separate drill account the drills run in (`drill.account`), absent: the workload account. */
    readonly account?: string;
  };
}

/** What the policy is generated from. */
export interface PolicyInput {
  readonly deployment: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly vault?: { readonly account: string; readonly region: string; readonly retentionDays?: number };
  /** Who is paged: emails, HTTPS endpoints, existing topics. */
  readonly paged: readonly string[];
  readonly plans: readonly PolicyPlan[];
  readonly generatedAt: Date;
  /** Where the policy came from (the config file), said in the document. */
  readonly source: string;
  /** Said instead of the regions' line under "Copies and where they live" (a self-managed destination). */
  readonly copiesText?: string;
  /** Said instead of the drills' line (self-managed drills are run by hand or by the host's cron). */
  readonly drillText?: string;
  /** Said instead of the alarms' line under "Who is paged" (self-managed backups page through the heartbeat's monitor). */
  readonly pagedText?: string;
}

interface Section {
  readonly title: string;
  readonly text: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const hm = (minutes: number) =>
  minutes % 60 === 0 ? `${minutes / 60} h` : minutes > 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;

/** What a plan's drills restore: the newest point, or a random older retained one (CP-9(2)), of the DR copies or the vault. */
function drillSource(d: NonNullable<PolicyPlan['drill']>): string {
  if (d.pointSelection === 'random')
    return d.fromVault ? 'a random retained vault replica, drawn per drill' : 'a random retained verified point, drawn per drill';
  return d.fromVault ? 'vault replica' : 'newest verified point';
}

/** The document's sections, in order. */
export function policySections(p: PolicyInput): Section[] {
  const where = (plan: PolicyPlan) =>
    plan.copies ??
    [
      `ElastiCache manual snapshots in ${p.primaryRegion}`,
      ...(plan.export ? [`verified .rdb copies in ${p.drRegion} (tiers ${plan.export.minTier} and up)`] : []),
      ...(plan.vault && p.vault ? [`Object Lock COMPLIANCE replicas in the vault (account ${p.vault.account}, ${p.vault.region})`] : []),
    ].join('; ');
  return [
    {
      title: 'Scope',
      text: `Caches protected by deployment ${p.deployment}, by plan. A cache named by no plan is reported as unprotected (redis-dr status --coverage, the DR report).`,
      head: ['plan', 'caches'],
      rows: p.plans.map((plan) => [plan.name, plan.scope.join(', ') || '(none named)']),
    },
    {
      title: 'Frequency and recovery point objective',
      text: 'Recovery points are taken on the schedule below; the RPO is the largest age the newest one may reach before on-call is paged.',
      head: ['plan', 'schedule', 'time zone', 'RPO'],
      rows: p.plans.map((plan) => [plan.name, plan.schedule.cron, plan.schedule.timeZone, hm(plan.rpoMinutes)]),
    },
    {
      title: 'Retention per tier',
      text: 'Grandfather-father-son: the newest N recovery points of each tier (or higher) are kept; the newest minKeep are never deleted.',
      head: ['plan', 'hourly', 'daily', 'weekly', 'monthly', 'always kept', 'DR copies kept (days per tier)', 'maximum retention'],
      rows: p.plans.map((plan) => [
        plan.name,
        String(plan.retention.hourly),
        String(plan.retention.daily),
        String(plan.retention.weekly),
        String(plan.retention.monthly),
        String(plan.retention.minKeep),
        plan.export
          ? Object.entries(plan.export.expireDays)
              .map(([t, d]) => `${t} ${d}`)
              .join(', ')
          : 'no DR copies',
        plan.maxRetentionDays !== undefined ? `${plan.maxRetentionDays} days, unless a hold with a reason and an expiry keeps a copy` : 'no maximum set',
      ]),
    },
    {
      title: 'Copies and where they live',
      text:
        p.copiesText ??
        `Primary region ${p.primaryRegion}; DR region ${p.drRegion}${p.vault ? `; vault account ${p.vault.account} in ${p.vault.region}${p.vault.retentionDays !== undefined ? ` (COMPLIANCE ${p.vault.retentionDays} days)` : ''}` : '; no vault account'}. Every copy is verified on arrival (structure, CRC-64, key count).`,
      head: ['plan', 'copies'],
      rows: p.plans.map((plan) => [plan.name, where(plan)]),
    },
    {
      title: 'Restore tests and recovery time objectives',
      text: p.drillText ?? 'Scheduled drills restore a recovery point into a new cluster, verify it and delete it; the RTO is judged on each drill.',
      head: ['plan', 'drill schedule', 'where', 'source', 'RTO objective'],
      rows: p.plans.map((plan) =>
        plan.drill
          ? [
              plan.name,
              `${plan.drill.cron} (${plan.drill.timeZone})`,
              plan.drill.account ? `drill account ${plan.drill.account} (separate from the source)` : plan.drill.where,
              drillSource(plan.drill),
              hm(plan.drill.rtoMinutes),
            ]
          : [plan.name, 'no scheduled drill', '', '', ''],
      ),
    },
    {
      title: 'Who is paged',
      text:
        p.pagedText ?? 'Every alarm of both regions (late recovery point, corrupt copy, failed drill, stuck export) goes to the alert topics, subscribed by:',
      head: ['subscriber'],
      rows: p.paged.length > 0 ? p.paged.map((s) => [s]) : [['nobody: the config subscribes no one (alerts.emails, alerts.httpsEndpoints)']],
    },
  ];
}

const mdCell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The policy as Markdown. */
export function policyMarkdown(p: PolicyInput): string {
  const sections = policySections(p).map(
    (s) =>
      `## ${s.title}\n\n${s.text}\n\n| ${s.head.map(mdCell).join(' | ')} |\n|${s.head.map(() => '---').join('|')}|\n${s.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`).join('\n')}\n`,
  );
  return `# Backup policy: ${p.deployment}\n\nGenerated by redis-dr from ${p.source} on ${p.generatedAt.toISOString().slice(0, 10)}: what the policy says is what is deployed.\n\n${sections.join('\n')}`;
}

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The policy as one self-contained HTML page. */
export function policyHtml(p: PolicyInput): string {
  const sections = policySections(p).map(
    (s) =>
      `<section><h2>${esc(s.title)}</h2><p>${esc(s.text)}</p><table><thead><tr>${s.head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${s.rows
        .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table></section>`,
  );
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Backup policy: ${esc(p.deployment)}</title><style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body><h1>Backup policy: ${esc(p.deployment)}</h1><p>Generated by redis-dr from ${esc(p.source)} on ${esc(p.generatedAt.toISOString().slice(0, 10))}: what the policy says is what is deployed.</p>\n${sections.join('\n')}\n</body></html>\n`;
}
