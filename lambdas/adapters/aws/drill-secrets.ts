import { DeleteSecretCommand, ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ThrottleRetry } from './retry.js';
import { DRILL_SECRET_PREFIX } from '../../domain/drills/drill.js';
import { TAGS } from '../../domain/plans/types.js';

/** A drill's AUTH token secret, as ListSecrets shows it (never its value). */
export interface DrillSecret {
  readonly arn: string;
  readonly name: string;
  readonly createdAt?: Date;
  readonly tags: Readonly<Record<string, string>>;
}

/** Secrets named `redis-dr/drill/…` that carry the drill tag, every page. */
export async function findDrillSecrets(client: SecretsManagerClient, retry: ThrottleRetry): Promise<DrillSecret[]> {
  const out: DrillSecret[] = [];
  let NextToken: string | undefined;
  do {
    const page = await retry(() =>
      client.send(
        new ListSecretsCommand({
          Filters: [
            { Key: 'name', Values: [DRILL_SECRET_PREFIX] },
            { Key: 'tag-key', Values: [TAGS.drill] },
          ],
          NextToken,
        }),
      ),
    );
    for (const s of page.SecretList ?? []) {
      if (!s.ARN || !s.Name) continue;
      out.push({ arn: s.ARN, name: s.Name, createdAt: s.CreatedDate, tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Deletes a drill token secret at once (no recovery window: it opens only a drill cluster that is gone). */
export async function deleteDrillSecret(client: SecretsManagerClient, arn: string, retry: ThrottleRetry): Promise<void> {
  await retry(() => client.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true })));
}
