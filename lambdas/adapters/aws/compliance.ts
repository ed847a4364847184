/**
 * Where the org's own compliance tooling hears redis-dr's verdicts: AWS
 * Config's PutEvaluations (a custom rule's answer, 100 evaluations a call,
 * the API's bound) and Security Hub's BatchImportFindings (batches the
 * domain already sized, lambdas/domain/org/findings.ts). A finding Security
 * Hub refuses is returned with its reason, never dropped silently.
 */
import { type ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { type AwsSecurityFinding, BatchImportFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { RuleEvaluation } from '../../domain/org/cache-verdicts.js';
import type { AsffFinding } from '../../domain/org/findings.js';

/** PutEvaluations' bound on evaluations per call. */
export const EVALUATIONS_PER_CALL = 100;

/** Sends every evaluation of a rule's run; what Config failed to take (its `FailedEvaluations`), by resource id. */
export async function putEvaluations(client: ConfigServiceClient, resultToken: string, evaluations: readonly RuleEvaluation[], at: Date): Promise<string[]> {
  const failed: string[] = [];
  // A run with no cache still answers, so Config records that the rule ran (an empty list is refused by the API).
  if (evaluations.length === 0) return failed;
  for (let i = 0; i < evaluations.length; i += EVALUATIONS_PER_CALL) {
    const out = await client.send(
      new PutEvaluationsCommand({
        ResultToken: resultToken,
        Evaluations: evaluations.slice(i, i + EVALUATIONS_PER_CALL).map((e) => ({
          ComplianceResourceType: e.resourceType,
          ComplianceResourceId: e.resourceId,
          ComplianceType: e.compliance,
          Annotation: e.annotation,
          OrderingTimestamp: at,
        })),
      }),
    );
    for (const f of out.FailedEvaluations ?? []) failed.push(`${f.ComplianceResourceId ?? '?'} (${f.ComplianceType ?? '?'})`);
  }
  return failed;
}

/** Imports each batch; the findings Security Hub refused, each `<id>: <code> <message>`. */
export async function importFindings(client: SecurityHubClient, batches: readonly (readonly AsffFinding[])[]): Promise<string[]> {
  const refused: string[] = [];
  for (const batch of batches) {
    const out = await client.send(new BatchImportFindingsCommand({ Findings: batch as unknown as AwsSecurityFinding[] }));
    for (const f of out.FailedFindings ?? []) refused.push(`${f.Id}: ${f.ErrorCode} ${f.ErrorMessage}`);
  }
  return refused;
}
