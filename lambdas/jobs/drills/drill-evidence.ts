/**
 * Writing a drill's signed evidence record into the chain of its plan's
 * drills in its region (`drills/<region>/<plan>/` in the DR bucket,
 * docs/attest.md). Drills of one plan may run at once (the schedule's and a
 * manual one): each record is named by its place in the chain and written
 * only if that place is free (If-None-Match), so two drills that read the
 * same head cannot fork the chain; the one that loses reads the new head and
 * signs again. The report step run again for an execution whose record is
 * the newest (a retry) writes no second record. With an organization's vault
 * (`orgRoot`), each record is also kept, the same bytes, under
 * `<account>/<DR region>/` + its key: the DR bucket's prefix that replicates
 * into the vault (docs/org.md), where the vault's COMPLIANCE retention locks it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { KeyExistsError, PutError } from '../../adapters/storage/object-store.js';
import { S3ObjectStore } from '../../adapters/storage/object-store-s3.js';
import { type AsyncSigner, type Attestation, attestAsync, attestationOf } from '../../domain/attest/chain.js';
import { drillChainPrefix, type DrillEvidenceRecord, drillRecordKey } from '../../domain/drills/evidence-record.js';
import { splitAccountKey } from '../../domain/points/account-prefix.js';

/** Where drill records go and the key that signs them. */
export interface DrillEvidence {
  /** S3 of the DR region (the primary region's drills write there too: one place for a deployment's evidence). */
  readonly s3: S3Client;
  /** The DR bucket. */
  readonly bucket: string;
  readonly signer: AsyncSigner;
  readonly now?: () => Date;
  /**
   * `<account>/<DR region>/` (config `vault.organizationId`): each record is also written, the same bytes, under it
   * (the DR bucket's prefix that replicates into the organization's vault).
   * @default - the chain's record only
   */
  readonly orgRoot?: string;
}

/** A record's name in its chain's folder. */
const RECORD_NAME = /^redis-dr-drill-\d+\.json$/;

/** Writers that lost the race for the same place, in a row, before the run gives up (and fails). */
const MAX_RACES = 5;

/** The newest record of the chain (names sort as the chain does): its name, the execution it names, its attestation; none for a new chain. */
async function chainHeadAt(store: S3ObjectStore): Promise<{ name: string; execution?: string; head: Attestation; text: string } | undefined> {
  const names = (await store.list())
    .map((o) => o.key)
    .filter((k) => RECORD_NAME.test(k))
    .sort();
  const newest = names.at(-1);
  if (!newest) return undefined;
  const text = (await store.get(newest)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`s3://${store.bucket}/${store.prefix}${newest} is not JSON: the drills' chain cannot be continued from it (changed or damaged)`);
  }
  const head = attestationOf(parsed);
  if (!head) throw new Error(`s3://${store.bucket}/${store.prefix}${newest} carries no attestation: the drills' chain cannot be continued from it`);
  const execution = (parsed as { execution?: unknown }).execution;
  return { name: newest, head, text, ...(typeof execution === 'string' ? { execution } : {}) };
}

/**
 * Signs `record` as the next of its chain and writes it (verified put, read back), never over another record.
 * @returns the object key and the attestation
 * @throws when KMS does not sign, the put does not read back, or the place was taken {@link MAX_RACES} times
 */
export async function writeDrillEvidence(record: DrillEvidenceRecord, ev: DrillEvidence): Promise<{ key: string; attestation: Attestation; orgKey?: string }> {
  if (ev.orgRoot !== undefined && splitAccountKey(`${ev.orgRoot}x`)?.rest !== 'x')
    throw new Error(`orgRoot must be <12-digit account>/<region>/, got ${JSON.stringify(ev.orgRoot)}: fix the drill report's EVIDENCE_ORG_ROOT`);
  const written = await writeChainRecord(record, ev);
  if (ev.orgRoot === undefined) return { key: written.key, attestation: written.attestation };
  return { key: written.key, attestation: written.attestation, orgKey: await copyChainForOrganization(record, written, ev, ev.orgRoot) };
}

/**
 * The organization's copy of the plan's chain under `orgRoot`: every record of the chain not there yet, the same
 * bytes (this run's, and any a failed run before it missed: the next drill of the plan mends the copy). The key of
 * this run's copy.
 * @throws Error naming the copy that was not stored
 */
async function copyChainForOrganization(
  record: DrillEvidenceRecord,
  written: { readonly key: string; readonly text: string },
  ev: DrillEvidence,
  orgRoot: string,
): Promise<string> {
  const prefix = drillChainPrefix(record.region, record.plan);
  const chain = new S3ObjectStore(ev.s3, ev.bucket, prefix);
  const org = new S3ObjectStore(ev.s3, ev.bucket, `${orgRoot}${prefix}`);
  const copied = new Set((await org.list()).map((o) => o.key));
  const name = written.key.slice(prefix.length);
  const missing = (await chain.list()).map((o) => o.key).filter((k) => RECORD_NAME.test(k) && !copied.has(k));
  for (const k of [...new Set([...missing, name])].sort()) {
    try {
      const bytes = k === name ? Buffer.from(written.text, 'utf8') : await chain.get(k);
      await org.put(k, bytes, { ifExists: 'replace', contentType: 'application/json' });
    } catch (err) {
      const cause = err instanceof PutError ? err.cause : err;
      throw new Error(
        `the organization's copy s3://${ev.bucket}/${org.prefix}${k} of drill record ${prefix}${k} not stored (the next drill of the plan copies it again): ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause: err },
      );
    }
  }
  return `${org.prefix}${name}`;
}

/** The record signed as the next of its chain and written there (or the one a run of the same execution wrote): its key, attestation and text. */
async function writeChainRecord(record: DrillEvidenceRecord, ev: DrillEvidence): Promise<{ key: string; attestation: Attestation; text: string }> {
  const store = new S3ObjectStore(ev.s3, ev.bucket, drillChainPrefix(record.region, record.plan));
  const now = ev.now ?? (() => new Date());
  for (let race = 0; race < MAX_RACES; race++) {
    const newest = await chainHeadAt(store);
    // The report step run again for the same execution (Step Functions' retry after a Lambda service error): its record is there.
    if (newest && record.execution !== undefined && newest.execution === record.execution)
      return { key: `${store.prefix}${newest.name}`, attestation: newest.head, text: newest.text };
    const head = newest?.head;
    const signed = await attestAsync(record, { deployment: `s3://${ev.bucket}/`, ...(head ? { head } : {}), at: now(), signer: ev.signer });
    const key = drillRecordKey(record.region, record.plan, signed.attestation.seq);
    const text = `${JSON.stringify(signed, null, 2)}\n`;
    try {
      // Marked: a PUT whose answer was lost after S3 stored it (the SDK's retry meets it, 412) is this drill's record,
      // read back, not a place another drill took (the execution tells it only when the event names one).
      await store.put(key.slice(store.prefix.length), Buffer.from(text, 'utf8'), { ifExists: 'fail', contentType: 'application/json', mark: true });
      return { key, attestation: signed.attestation, text };
    } catch (err) {
      // Another drill of the plan wrote this place first: read its record as the new head, sign again.
      if (err instanceof KeyExistsError) continue;
      throw err;
    }
  }
  throw new Error(`the drill record of ${record.plan} in ${record.region} lost the race for its place in the chain ${MAX_RACES} times: not written`);
}
