import { describe, expect, it } from 'vitest';
import { accountRegionPrefix, splitAccountKey } from '../../../../lambdas/domain/points/account-prefix.js';
import { parseReportKey } from '../../../../lambdas/domain/org/rollup.js';
import { orgReportRoot, reportInputSchema, reportKeyPrefix } from '../../../../lambdas/domain/report/input.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { reportRunInput } from '../../../../lib/deployment.js';

/**
 * The one layout of an account's objects in an organization's vault
 * (issue 52): what the scheduled report writes, the roll-up reads back.
 */
describe('the <account>/<region>/ layout', () => {
  it('splits what it joins, the rest of the key kept whole', () => {
    const key = `${accountRegionPrefix('111111111111', 'us-gov-west-1')}reports/weekly/2026-11-23T0600Z/csv/copies.csv`;
    expect(splitAccountKey(key)).toEqual({ account: '111111111111', region: 'us-gov-west-1', rest: 'reports/weekly/2026-11-23T0600Z/csv/copies.csv' });
  });

  it.each([
    ['a key at the root', 'rdr-sessions-prod-20261121-0200-0001.rdb'],
    ['an account id of 11 digits', '11111111111/eu-west-1/reports/x'],
    ['no region', '111111111111/reports/weekly/x'],
    ['a region that is no region name', '111111111111/EU-WEST-1/x'],
    ['the prefix alone', '111111111111/eu-west-1'],
  ])('refuses %s', (_what, key) => {
    expect(splitAccountKey(key)).toBeUndefined();
  });

  it("is where the scheduled report's organization copy lies, and the roll-up parses exactly that key", () => {
    const until = new Date('2026-11-23T06:00:00Z');
    const root = orgReportRoot({ orgEvidence: { account: '123456789012' }, drRegion: 'eu-central-1' });
    const key = `${root}${reportKeyPrefix('weekly', until)}report.json`;
    expect(key).toBe('123456789012/eu-central-1/reports/weekly/2026-11-23T0600Z/report.json');
    expect(parseReportKey(key)).toEqual({ account: '123456789012', region: 'eu-central-1', period: 'weekly', until, key });
    // Without an organization there is no root, and the bucket's own reports/ key is no key of the tree.
    expect(orgReportRoot({ drRegion: 'eu-central-1' })).toBe('');
    expect(parseReportKey(`${reportKeyPrefix('weekly', until)}report.json`)).toBeUndefined();
  });

  it("is in the report's input only with vault.organizationId, and an account id that is not 12 digits is refused naming the field", () => {
    const config = loadConfig('test/fixtures/config/vault.json');
    expect(reportRunInput(config, '111111111111').orgEvidence).toBeUndefined();
    const org = reportRunInput({ ...config, vault: { ...config.vault!, organizationId: 'o-abcdefghij' } }, '111111111111');
    expect(org.orgEvidence).toEqual({ account: '111111111111' });
    const bad = reportInputSchema.safeParse({ ...org, orgEvidence: { account: '1111' } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]).toMatchObject({ path: ['orgEvidence', 'account'], message: 'must be a 12-digit account id' });
  });
});
