/**
 * SNS, read only: the subscriptions of a topic (`redis-dr doctor`).
 */
import { ListSubscriptionsByTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SubscriptionFacts } from '../../domain/doctor/judge.js';
import type { CallWrapper } from './elasticache.js';

const direct: CallWrapper = (call) => call();

/**
 * Every subscription of `topicArn`, all pages; `undefined` when the topic
 * does not exist. A subscription not yet confirmed has the ARN
 * `PendingConfirmation`.
 * @see https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html
 */
export async function topicSubscriptions(client: SNSClient, topicArn: string, wrap: CallWrapper = direct): Promise<SubscriptionFacts[] | undefined> {
  const found: SubscriptionFacts[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const out = await wrap(() => client.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken })));
      for (const s of out.Subscriptions ?? []) {
        found.push({ protocol: s.Protocol ?? '?', endpoint: s.Endpoint ?? '?', confirmed: !!s.SubscriptionArn && s.SubscriptionArn.startsWith('arn:') });
      }
      NextToken = out.NextToken;
    } while (NextToken);
  } catch (err) {
    if ((err as Error).name === 'NotFoundException' || (err as Error).name === 'NotFound') return undefined;
    throw err;
  }
  return found;
}
