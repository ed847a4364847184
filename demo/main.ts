/**
 * `npm run demo [-- --keys N] [--keep] [--corrupt-dr-copy] [--vault]`: see demo/run.ts.
 * `npm run demo -- --org --out <dir>`: an organization of three accounts and its roll-up, see demo/org.ts.
 *
 * Exit 0 when the drill passed, 1 when it (or a stage before it) failed,
 * 2 for a usage problem, 130 on Ctrl-C and 143 on SIGTERM — in every case
 * after every server was stopped and every temporary directory removed.
 * With --org: the roll-up's exit code, 1 (its organization has a failing
 * drill and a missing stack: FAIL lines), 0 only if every account were ok.
 */
import { DEFAULT_KEYS, MIN_KEYS } from './dataset.js';
import { findServerBinary, LocalRedisError } from '../lambdas/adapters/redis/server-binary.js';

const USAGE = `usage: npm run demo [-- [--keys N] [--keep] [--corrupt-dr-copy] [--vault]]
  --keys N           keys in the sample dataset (default ${DEFAULT_KEYS}, at least ${MIN_KEYS})
  --keep             keep the bucket folders (export and DR copies, tags) and say where
  --corrupt-dr-copy  flip one byte of the DR copy before it is verified: the copy is tagged
                     corrupt, a page is published, and the drill finds no verified recovery point
  --vault            also replicate into a vault folder (another account, Object Lock COMPLIANCE),
                     verify the replica there, show a delete of it refused, and drill from the vault
  --org --out DIR    instead: three accounts' evidence (one failing a drill, one whose stack is missing)
                     and the organization's roll-up: DIR/org-report.html, .json and .csv; exit 1 (FAIL lines)`;

/** `--org --out <dir>`: the org demo's options, or a usage problem; undefined when --org is not asked. */
function parseOrg(argv: readonly string[]): { out: string } | string | undefined {
  if (!argv.includes('--org')) return undefined;
  const rest = argv.filter((a) => a !== '--org');
  const at = rest.findIndex((a) => a === '--out' || a.startsWith('--out='));
  const out = at < 0 ? undefined : rest[at]!.includes('=') ? rest[at]!.slice('--out='.length) : rest[at + 1];
  if (!out || out.startsWith('--')) return '--org needs --out <dir>: the folder for the evidence tree and org-report.html, .json and .csv';
  const other = rest.filter((_, i) => i !== at && !(i === at + 1 && !rest[at]!.includes('=')));
  return other.length > 0 ? `--org takes only --out <dir>, not ${other.join(' ')}` : { out };
}

function parse(argv: readonly string[]): { keys: number; keep: boolean; corruptDrCopy: boolean; vault: boolean } | string {
  let keys = DEFAULT_KEYS;
  let keep = false;
  let corruptDrCopy = false;
  let vault = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--keep') keep = true;
    else if (arg === '--corrupt-dr-copy') corruptDrCopy = true;
    else if (arg === '--vault') vault = true;
    else if (arg === '--keys' || arg.startsWith('--keys=')) {
      const value = arg.includes('=') ? arg.slice('--keys='.length) : argv[++i];
      if (value === undefined || !/^\d+$/.test(value) || Number(value) < MIN_KEYS || Number(value) > 10_000_000) {
        return `--keys ${value ?? ''} is not a number of keys: write a whole number from ${MIN_KEYS} to 10000000, e.g. --keys 20000`;
      }
      keys = Number(value);
    } else if (arg === '--help' || arg === '-h') return '';
    else return `unknown option ${arg}`;
  }
  return { keys, keep, corruptDrCopy, vault };
}

async function main(): Promise<void> {
  const org = parseOrg(process.argv.slice(2));
  if (org !== undefined) {
    if (typeof org === 'string') {
      process.stderr.write(`${org}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    // No Redis runs in the org demo: its accounts' evidence is simulated (demo/org.ts).
    const { runOrgDemo } = await import('./org.js');
    const result = await runOrgDemo({ out: org.out, say: (line) => process.stdout.write(`${line}\n`) });
    process.exitCode = result.exitCode;
    return;
  }
  const options = parse(process.argv.slice(2));
  if (typeof options === 'string') {
    process.stderr.write(`${options ? `${options}\n` : ''}${USAGE}\n`);
    process.exitCode = options ? 2 : 0;
    return;
  }
  // The first thing a fresh machine meets, checked before anything is built (the synth takes seconds):
  // one line naming the project's own setup, which installs it.
  try {
    await findServerBinary();
  } catch (err) {
    if (!(err instanceof LocalRedisError) || err.kind !== 'no-binary') throw err;
    process.stdout.write(`redis-dr demo: ${err.message}. In this clone, npm run setup installs it (then npm run demo)\n`);
    process.exitCode = 1;
    return;
  }
  // Loaded only now: the CDK app and every job (seconds of start-up a machine without a server need not wait for).
  const { DEMO_CONFIG, runDemo } = await import('./run.js');
  // The demo never calls AWS: the SDK's notice about future Node.js versions is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // A second signal: exit now (the exit hooks kill the servers and remove the directories).
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = signal;
    process.stdout.write(`\n${signal}: stopping; cleaning up (again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (`| head`) must not stop the cleanup: output stops, the run goes on.
  let reading = true;
  process.stdout.on('error', () => (reading = false));
  const result = await runDemo({
    ...options,
    config: DEMO_CONFIG,
    say: (line) => void (reading && process.stdout.write(`${line}\n`)),
    signal: controller.signal,
  });
  process.exitCode = signalled ? (signalled === 'SIGINT' ? 130 : 143) : result.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
