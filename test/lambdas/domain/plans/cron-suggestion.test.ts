import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../lambdas/domain/keys/prng.js';
import { awsCronFor } from '../../../../lambdas/domain/plans/cron-suggestion.js';
import { occurrencesBetween, parseAwsCron } from '../../../../lambdas/domain/plans/schedule.js';

const FROM = new Date('2026-10-31T23:59:30Z');
const TO = new Date('2026-11-14T23:59:30Z');

/** The runs of a Unix cron by cron-parser (the oracle), in UTC. */
function unixRuns(expression: string): number[] {
  const it = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(FROM.getTime() - 1), endDate: TO });
  const out: number[] = [];
  while (it.hasNext()) out.push(it.next().getTime());
  return out;
}

describe('awsCronFor', () => {
  it.each([
    ['0 */2 * * *', 'cron(0 0/2 * * ? *)'],
    ['cron(0 */2 * * *)', 'cron(0 0/2 * * ? *)'],
    ['30 3 * * 1-5', 'cron(30 3 ? * 2-6 *)'],
    ['0 4 * * 0', 'cron(0 4 ? * 1 *)'],
    ['0 4 * * sun', 'cron(0 4 ? * SUN *)'],
    ['15 1 1 * *', 'cron(15 1 1 * ? *)'],
    ['rate(2 hours)', 'cron(0 0/2 * * ? *)'],
    ['rate(15 minutes)', 'cron(0/15 * * * ? *)'],
    ['rate(1 day)', 'cron(0 0 * * ? *)'],
  ])('%s is %s', (given, aws) => {
    expect(awsCronFor(given)).toBe(aws);
    expect(parseAwsCron(aws).ok).toBe(true);
  });

  it.each([
    // Unix runs on either day when both are set; AWS cannot say that.
    '0 4 1 * 1',
    // Already an AWS cron: nothing to suggest.
    'cron(0 0/2 * * ? *)',
    // Not a schedule at all, or a rate no cron says exactly.
    'every two hours',
    'rate(7 hours)',
    '0 4 * * 5-1',
  ])('has no suggestion for %s', (given) => {
    expect(awsCronFor(given)).toBeUndefined();
  });

  it('runs at exactly the times of the Unix cron it was given (300 seeded expressions, cron-parser as the oracle)', () => {
    const random = mulberry32(60);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let compared = 0;
    for (let i = 0; i < 300; i++) {
      const unix = [
        pick(['0', '15', '*/5', '*/15', '*/30', '0,30', '7']),
        pick(['*', '*/2', '*/3', '*/4', '1', '*/6', '9-17', '3']),
        pick(['*', '*', '1', '*/2', '15']),
        pick(['*', '*', '1-6', '*/3']),
        pick(['*', '*', '1-5', '0', '6', 'mon', '1,3,5']),
      ].join(' ');
      const aws = awsCronFor(unix);
      const both = unix.split(' ')[2] !== '*' && unix.split(' ')[4] !== '*';
      if (both) {
        expect(aws, unix).toBeUndefined();
        continue;
      }
      expect(aws, unix).toBeDefined();
      expect(
        occurrencesBetween(aws!, 'UTC', FROM, TO, 100_000).map((d) => d.getTime()),
        `${unix} -> ${aws}`,
      ).toEqual(unixRuns(unix));
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
  });
});
