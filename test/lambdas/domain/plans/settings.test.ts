import { describe, expect, it } from 'vitest';
import { checkCollapseThresholdPct, parseCollapseThresholdPct } from '../../../../lambdas/domain/plans/settings.js';

describe('collapseThresholdPct outside the config (an option, an argument)', () => {
  it.each([
    ['50', 50],
    [' 7.5 ', 7.5],
    ['0', 0],
    ['100', 100],
  ])('a number written as text is that number: %j', (text, value) => {
    expect(parseCollapseThresholdPct(text, '--collapse-threshold-pct')).toBe(value);
  });

  it.each([
    ['150', '--collapse-threshold-pct must be <= 100, got 150: set a percentage within 0..100; 100 pages only on an empty keyspace'],
    ['-1', '--collapse-threshold-pct must be >= 0, got -1: set a percentage within 0..100; 100 pages only on an empty keyspace'],
    ['half', '--collapse-threshold-pct must be a number, got "half": write a percentage like 50'],
    ['', '--collapse-threshold-pct must be a number, got "": write a percentage like 50'],
  ])('refuses %j in the schema’s words, naming the option, the value and the fix', (text, message) => {
    expect(() => parseCollapseThresholdPct(text, '--collapse-threshold-pct')).toThrow(message);
  });

  it('says what the config says of the same value (one schema, one message)', () => {
    expect(() => checkCollapseThresholdPct(101)).toThrow('collapseThresholdPct must be <= 100, got 101: set a percentage within 0..100');
  });
});
