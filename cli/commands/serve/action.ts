import { startServing } from '../../../lambdas/jobs/serve/serve.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** `serve`'s options (cli/commands/serve/command.ts). */
export interface ServeCommandOptions {
  bind: string;
  port: number;
  requirepassEnv?: string;
}

/**
 * `redis-dr serve <file>`: prints `listening on <host>:<port>` once the
 * point is verified, indexed and listening, then what it holds, and serves
 * until SIGINT or SIGTERM (exit 0). A corrupt or missing file, a port in
 * use: one line, exit 2, before listening.
 */
export async function serveAction(file: string, options: ServeCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let password: string | undefined;
  if (options.requirepassEnv !== undefined) {
    password = env[options.requirepassEnv];
    if (!password)
      throw new UsageError(`--requirepass-env ${options.requirepassEnv} names an unset or empty variable: export ${options.requirepassEnv}=<password> first`);
  }
  const serving = await startServing({ location: file, bind: options.bind, port: options.port, ...(password !== undefined ? { password } : {}) });
  const host = serving.host.includes(':') ? `[${serving.host}]` : serving.host;
  process.stdout.write(`listening on ${host}:${serving.port}\n`);
  const dbs = serving.databases.map((d) => `db${d.db} ${d.keys}`).join(', ') || 'no keys';
  process.stdout.write(
    `serving ${file} read-only (RDB ${serving.rdbVersion}, ${serving.keys} keys: ${dbs}); redis-cli -h ${serving.host} -p ${serving.port}${password ? ' --askpass' : ''}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await serving.close();
}
