/** `redis-dr ship-aof`: the action (loaded only when the command runs; options: cli/commands/ship-aof.ts). */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AofDirectory } from '../lambdas/adapters/aof-dir';
import { redactUrl as redactHeartbeat } from '../lambdas/adapters/heartbeat';
import { AofShipper, LineageError, ShipInputError } from '../lambdas/jobs/ship-aof';
import { openAofStore } from './aof-destination';
import type { ShipAofCliOptions } from './commands/ship-aof';
import { UsageError } from './usage';

export async function shipAofAction(o: ShipAofCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const store = openAofStore('--to', o.to, o.s3Endpoint);
  if (o.rpo < o.interval) throw new UsageError(`--rpo ${o.rpo / 1000}s is shorter than --interval ${o.interval / 1000}s: the lag reaches the interval between cycles; give --rpo several intervals (e.g. --rpo 60s)`);
  const heartbeatUrl = o.heartbeatUrl ?? (env.REDIS_DR_HEARTBEAT_URL || undefined);
  if (heartbeatUrl !== undefined && !/^https?:\/\//.test(heartbeatUrl)) throw new UsageError(`--heartbeat-url ${redactHeartbeat(heartbeatUrl)} is not an http(s) URL`);
  const say = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const shipper = new AofShipper(
    {
      dir: new AofDirectory(resolve(o.dir)),
      store,
      intervalMs: o.interval,
      rpoMs: o.rpo,
      ...(heartbeatUrl ? { heartbeat: { url: heartbeatUrl, everyMs: o.heartbeatEvery } } : {}),
      ...(o.metricsFile ? { metricsFile: o.metricsFile } : {}),
      host: hostname(),
    },
    { now: () => Date.now(), say },
  );
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    say(`ship-aof: ${signal}: shipping what is complete, then stopping`);
    abort.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await shipper.run(abort.signal);
    process.exitCode = 0;
  } catch (err) {
    if (err instanceof ShipInputError) throw new UsageError(`--dir: ${err.message}`);
    if (err instanceof LineageError) {
      say(`ship-aof: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
  }
}
