/**
 * The page the scheduled scrub (bucket-scrub.ts) sends for a DR copy or vault replica that a
 * re-read found bad: the catalog's `rdb-corrupt` (its severity, title and
 * runbook), naming the copy and every problem found.
 */
import { ALARM_KINDS } from '../../domain/alerting/catalog.js';
import { pageAttributes, pageSubject, type Page } from '../../domain/alerting/page.js';
import { NO_VERDICT_OBJECT } from '../../domain/points/verdict-objects.js';
import type { ScrubResult } from '../../domain/scrub/record.js';
import { VAULT_VERDICT_PREFIX } from '../../domain/vault/vault-verdict.js';
import { type PageOrigin, targetOfKey } from '../dr-copies/verify-rdb-pages.js';

/** What a scheduled scrub re-reads: a DR copy, or a replica in the vault. */
export type ScrubbedPlace = 'DR copy' | 'vault replica';

const COMPARE_WITH: Record<ScrubbedPlace, string> = {
  'DR copy': "compare it with the export bucket's copy of the same key",
  'vault replica': `compare it with its verdict object under ${VAULT_VERDICT_PREFIX} and the DR copy of the same export`,
};

/** The `rdb-corrupt` page for one bad re-read of `s3://bucket/<result.file>`. */
export function scrubCorruptAlert(bucket: string, result: ScrubResult, origin: PageOrigin, what: ScrubbedPlace = 'DR copy'): Page {
  const kind = ALARM_KINDS['rdb-corrupt'];
  const target = targetOfKey(result.file);
  const copy = `s3://${bucket}/${result.file}`;
  const message = [
    `The scheduled scrub re-read the ${what} ${copy} and it is not what was stored:`,
    ...result.problems.map((p) => `- ${p}`),
    `Cache: ${target}. Nothing was deleted: the copy is kept as evidence.`,
    // A copy verified before verdicts were objects (an upgrade past issue 53) reads unproven: say how it gets its verdict.
    ...(what === 'DR copy' && result.problems.some((p) => p.includes(NO_VERDICT_OBJECT))
      ? [
          'Its verdict is unproven, not its bytes found bad: it was verified before verdicts were objects (or replaced since its verdict). ' +
            '`redis-dr verify-copy -c <config> --unproven` has the DR verifier judge every such copy and write its verdict object (docs/upgrading.md).',
        ]
      : []),
    `This copy cannot be trusted to seed a cluster. Next steps: run \`redis-dr verify-rdb ${copy}\` to confirm, ${COMPARE_WITH[what]}, and see ${kind.runbook}.`,
    `Region: ${origin.region}. Deployment: ${origin.deployment}.`,
  ].join('\n');
  return {
    subject: pageSubject(kind.severity, origin.deployment, `${kind.title} (scrub)`, target, origin.region),
    message,
    attributes: pageAttributes({ kind: 'rdb-corrupt', severity: kind.severity, deployment: origin.deployment, region: origin.region, target, bucket }),
  };
}
