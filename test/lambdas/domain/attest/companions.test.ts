import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../../lambdas/domain/attest/canonical.js';
import { companionProblem, companionsOf, companionsOfFiles, withCompanions } from '../../../../lambdas/domain/attest/companions.js';

describe('the files a signed record vouches for beside it (companions)', () => {
  const html = '<html>report</html>';
  const named = companionsOfFiles([
    { path: 'report.html', bytes: html },
    { path: 'csv/controls.csv', bytes: Buffer.from('a,b\n1,2\n') },
  ]);

  it('holds the SHA-256 and length of each file, set into the record before it is signed', () => {
    expect(named['report.html']).toEqual({ sha256: sha256Hex(html), bytes: html.length });
    const json = withCompanions('{"pass": 3}', named);
    expect(JSON.parse(json)).toEqual({ pass: 3, companions: named });
    expect(companionsOf(JSON.parse(json))).toEqual({ companions: named });
    expect(companionsOf({ pass: 3 })).toBeUndefined();
  });

  it('names a file not as signed: a changed byte, a longer file, a file not there; the same bytes pass', () => {
    const expected = named['csv/controls.csv']!;
    expect(companionProblem(expected, Buffer.from('a,b\n1,2\n'), 'report.json')).toBeUndefined();
    expect(companionProblem(expected, Buffer.from('a,b\n1,3\n'), 'report.json')).toMatch(
      /^is not the file report\.json signed \(changed after signing: 8 bytes/,
    );
    expect(companionProblem(expected, Buffer.from('a,b\n1,2\n\n'), 'report.json')).toMatch(/9 bytes/);
    expect(companionProblem(expected, undefined, 'report.json')).toBe("is not there, and report.json signed its SHA-256 (copy the report's folder whole)");
  });

  it.each([
    ['../secret.txt', 'not a path inside its folder'],
    ['/etc/passwd', 'not a path inside its folder'],
    ['csv/../../x', 'not a path inside its folder'],
    ['csv\\x.csv', 'not a path inside its folder'],
  ])('refuses a companion path that leaves the folder: %s', (path, why) => {
    expect(companionsOf({ companions: { [path]: { sha256: 'a'.repeat(64), bytes: 1 } } })).toEqual({ problem: expect.stringContaining(why) });
  });

  it('refuses a field that is not files with a SHA-256 and a length', () => {
    expect(companionsOf({ companions: [] })).toEqual({ problem: 'its companions is not an object of files' });
    expect(companionsOf({ companions: { 'report.html': { sha256: 'abc', bytes: 1 } } })).toEqual({
      problem: 'its companions entry of report.html is not a SHA-256 and a length',
    });
    expect(companionsOf({ companions: { 'report.html': { sha256: 'a'.repeat(64), bytes: -1 } } })).toMatchObject({ problem: expect.any(String) });
  });
});
