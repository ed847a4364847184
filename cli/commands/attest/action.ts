import { checkAttestation } from '../../../lambdas/jobs/attest/check.js';

/** `redis-dr attest`'s options (cli/commands/attest/command.ts). */
export interface AttestOptions {
  readonly path: string;
  readonly publicKey: string;
  readonly deployment?: string;
  readonly s3Endpoint?: string;
  readonly json?: boolean;
}

/** Checks the records and prints one line: VERIFIED with the chain's length and head, or the first record that does not verify (exit 1). */
export async function attestAction(o: AttestOptions): Promise<void> {
  const r = await checkAttestation({
    path: o.path,
    publicKey: o.publicKey,
    ...(o.deployment !== undefined ? { deployment: o.deployment } : {}),
    ...(o.s3Endpoint !== undefined ? { s3Endpoint: o.s3Endpoint } : {}),
  });
  if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else if (r.ok) {
    const files = r.files ? `; ${r.files} file(s) beside them as signed` : '';
    process.stdout.write(
      r.whole
        ? `VERIFIED ${o.path}: ${r.records} record(s), one chain from record 1 to ${r.head?.seq} of ${r.head?.deployment}, every signature and digest good${files}\n`
        : `VERIFIED ${o.path}: signature and content digest good (record ${r.head?.seq} of ${r.head?.deployment}; give the folder to check the chain)${files}\n`,
    );
  } else process.stdout.write(`NOT VERIFIED ${r.name}: ${r.why}\n`);
  process.exitCode = r.ok ? 0 : 1;
}
