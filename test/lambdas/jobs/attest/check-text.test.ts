/**
 * `redis-dr attest` over record files on disk whose text was changed without
 * changing what JSON.parse makes of it: a key written twice in one object
 * (JSON.parse keeps the last; a reader that keeps the first, or a person,
 * reads the other) is named, as is any record of the folder that does so.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attest, ed25519Signer } from '../../../../lambdas/domain/attest/chain.js';
import { checkAttestation } from '../../../../lambdas/jobs/attest/check.js';
import { tempDirs } from '../../../support/temp-dirs.js';

const tempDir = tempDirs();

function signedDrill(dir: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = join(dir, 'pub.pem');
  writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
  const signer = ed25519Signer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const record = attest(
    { kind: 'redis-dr-drill', target: 'orders', passed: false, failedStep: 'verify', checks: [{ check: 'keys', passed: false }] },
    { deployment: 'file:///b', at: new Date('2026-11-25T03:00:00Z'), signer },
  );
  return { pem, text: `${JSON.stringify(record, null, 2)}\n` };
}

describe('attest: a record whose text says two things', () => {
  it('names a key written twice in one object, though JSON.parse reads the signed value', async () => {
    const dir = tempDir('redis-dr-attest-text-');
    const { pem, text } = signedDrill(dir);
    const file = join(dir, 'redis-dr-drill-1.json');
    writeFileSync(file, text);
    expect(await checkAttestation({ path: file, publicKey: pem })).toMatchObject({ ok: true });
    // A "passed": true slipped in before the signed "passed": false: JSON.parse keeps the last, the signed one.
    writeFileSync(file, text.replace('"target": "orders",', '"target": "orders",\n  "passed": true,'));
    expect(await checkAttestation({ path: file, publicKey: pem })).toEqual({
      ok: false,
      name: 'redis-dr-drill-1.json',
      why: 'holds the key "passed" twice in one object (a reader keeps one of them, whichever it likes): changed after signing',
      whole: false,
    });
    // The same in a nested object, spelled with an escape, in a folder checked as a chain.
    writeFileSync(file, text.replace('"check": "keys",', '"check": "keys", "p\\u0061ssed": true,'));
    expect(await checkAttestation({ path: dir, publicKey: pem })).toMatchObject({
      ok: false,
      name: 'redis-dr-drill-1.json',
      why: expect.stringMatching(/^holds the key "passed" twice in one object/),
    });
  });
});
