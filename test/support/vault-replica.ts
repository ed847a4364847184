/**
 * A vault replica as the verify-rdb tests of the vault see it: the vault
 * bucket's name, a real RDB file (with a CRC-64, as the vault requires), and
 * the export's tags a replica carries (tier, plan, snapshot, shard).
 */
import { readFileSync } from 'node:fs';
import { CORPUS_DIR } from './rdb-corpus.js';

/** The vault bucket of the tests (vault account 222222222222, eu-central-1). */
export const VAULT_TEST_BUCKET = 'redis-dr-prod-222222222222-eu-central-1';
/** A replica's key at the vault's root (a listed vault). */
export const VAULT_TEST_KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';
/** A real RDB with a CRC-64 (hash-ziplist of the corpus, one key). */
export const VAULT_TEST_RDB = readFileSync(`${CORPUS_DIR}/hash-ziplist.rdb`);

/** The export's tags on a replica of plan `sessions` of tier `tier`. */
export function vaultExportTags(tier: string): Record<string, string> {
  return {
    'redis-dr:tier': tier,
    'redis-dr:plan': 'sessions',
    'redis-dr:snapshot': 'rdr-sessions-prod-20261121-0200',
    'redis-dr:created': '2026-11-21T02:00:00.000Z',
    'redis-dr:shard': '0001/0001',
  };
}
