import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { KEPT_FOLDER, keptResult } from './kept-by-content.js';

/** The findings kept between runs, a file per key (test/support/governance.ts), beside the other results kept by content. */
export const GUARD_KEPT = join(KEPT_FOLDER, 'cfn-guard');

/** An asset's hash in a template (its S3Key, a piece of a Sub or a Join, an `asset.<hash>` path): 64 hex digits. */
const ASSET_HASH = /[0-9a-f]{64}/g;

/**
 * The template with each distinct asset hash named by its order of first appearance (which are equal is kept), as
 * test/support/cfn-lint-server.py keys cfn-lint's verdicts: the CDK derives a skipped bundle's hash from its bundling
 * options, which hold the checkout's absolute path, so a clone at another path synthesizes the same templates with other
 * hashes. A Control Tower rule reads such a string as an opaque value (a key, a path), never its digits.
 */
export function maskedAssetHashes(text: string): string {
  const names = new Map<string, number>();
  return text.replace(ASSET_HASH, (hash) => {
    let n = names.get(hash);
    if (n === undefined) names.set(hash, (n = names.size));
    return `<asset-${n}>`;
  });
}

let binaryDigest: string | undefined;

/**
 * The key of a cfn-guard run: what its findings are a function of. `tool` names the binary (its bytes are hashed, once
 * per process) and the code that runs it and reads its report (the plugin's version, the caller's own source), the rule files go by their
 * bytes, the templates by their file names (a finding names its template) and their bytes, asset hashes masked.
 */
export function guardKey(tool: { binary: string; code: string }, rules: readonly string[], templatePaths: readonly string[]): string {
  binaryDigest ??= createHash('sha256').update(readFileSync(tool.binary)).digest('hex');
  const digest = createHash('sha256').update(JSON.stringify([binaryDigest, tool.code, 'asset hashes masked']));
  for (const rule of rules) digest.update(`\0rule\0${basename(rule)}\0`).update(readFileSync(rule));
  for (const template of templatePaths) digest.update(`\0template\0${basename(template)}\0`).update(maskedAssetHashes(readFileSync(template, 'utf8')));
  return digest.digest('hex');
}

/**
 * `run()`'s result, kept between runs under `key` ({@link guardKey}): a key seen before is read, not run. Written whole,
 * then renamed into place (two workers writing at once leave one whole file); a file that cannot be read is run again.
 */
export function keptGuardRun<T>(key: string, run: () => T): T {
  return keptResult(GUARD_KEPT, key, run);
}
