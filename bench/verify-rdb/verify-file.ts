/**
 * Child process of the verify-rdb benchmark: verifies one file the way the CLI
 * does (a read stream into `verifyRdbStream`) and prints one JSON line with the
 * report, the time spent verifying, the process's own peak RSS and whether
 * the CRC and LZF loops ran in WebAssembly.
 *
 *   node verify-file.js <file> <highWaterMark>
 */
import { createReadStream } from 'node:fs';
import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { verifyRdbStream } from '../../lambdas/domain/rdb/verifier.js';

async function main(): Promise<void> {
  const [file, highWaterMark] = process.argv.slice(2);
  if (!file || !highWaterMark) throw new Error('usage: verify-file <file> <highWaterMark>');
  const started = process.hrtime.bigint();
  const report = await verifyRdbStream(createReadStream(file, { highWaterMark: Number(highWaterMark) }));
  const verifyMs = Number(process.hrtime.bigint() - started) / 1e6;
  // ru_maxrss of this process, from the kernel (KiB on Linux).
  const maxRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(`${JSON.stringify({ report, verifyMs, maxRssKiB, webAssembly: Crc64.usesWebAssembly })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
