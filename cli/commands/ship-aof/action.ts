/** `redis-dr ship-aof`: the action (loaded only when the command runs; options: cli/commands/ship-aof/command.ts). */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseRedisUrl, redactUrl, RedisUrlError, type UrlCredentials } from '../../../lambdas/jobs/keys/clients.js';
import { openAofStore, redactHeartbeatUrl as redactHeartbeat, shipAofClients } from '../../../lambdas/jobs/self-managed/clients.js';
import { sideCredentials } from '../../redis-credentials.js';
import { AofShipper } from '../../../lambdas/jobs/self-managed/ship-aof.js';
import { LineageError, ShipInputError } from '../../../lambdas/jobs/self-managed/ship-aof-types.js';
import { formatDuration } from '../../options.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** Options of `redis-dr ship-aof`, as commander parses them (durations in ms). */
export interface ShipAofCliOptions {
  dir: string;
  to: string;
  interval: number;
  rpo: number;
  heartbeatUrl?: string;
  heartbeatEvery: number;
  metricsFile?: string;
  s3Endpoint?: string;
  redis?: string;
  create?: boolean;
}

export async function shipAofAction(o: ShipAofCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const store = await openAofStore('--to', o.to, o.s3Endpoint, o.create === true);
  if (o.rpo < o.interval)
    throw new UsageError(
      `--rpo ${formatDuration(o.rpo)} is shorter than --interval ${formatDuration(o.interval)}: the lag reaches the interval between cycles; give --rpo several intervals (e.g. --rpo 60s)`,
    );
  let credentials: UrlCredentials | undefined;
  if (o.redis !== undefined) {
    try {
      parseRedisUrl(o.redis);
    } catch (err) {
      if (err instanceof RedisUrlError) throw new UsageError(`--redis: ${err.message}`);
      throw err;
    }
    credentials = await sideCredentials({ option: '--redis', envPrefix: 'REDIS_DR' }, env);
  }
  const clients = shipAofClients(resolve(o.dir), o.redis, credentials);
  const heartbeatUrl = o.heartbeatUrl ?? (env.REDIS_DR_HEARTBEAT_URL || undefined);
  if (heartbeatUrl !== undefined && !/^https?:\/\//.test(heartbeatUrl))
    throw new UsageError(`--heartbeat-url ${redactHeartbeat(heartbeatUrl)} is not an http(s) URL`);
  const say = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const shipper = new AofShipper(
    {
      dir: clients.dir,
      store,
      intervalMs: o.interval,
      rpoMs: o.rpo,
      ...(heartbeatUrl ? { heartbeat: { url: heartbeatUrl, everyMs: o.heartbeatEvery } } : {}),
      ...(o.metricsFile ? { metricsFile: o.metricsFile } : {}),
      host: hostname(),
    },
    { now: () => Date.now(), say, ...(clients.serverState ? { serverState: clients.serverState } : {}) },
  );
  if (o.redis !== undefined) say(`ship-aof: --redis ${redactUrl(o.redis)}: INFO persistence and CONFIG GET aof-timestamp-enabled read every cycle`);
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    say(`ship-aof: ${signal}: shipping what is complete, then stopping`);
    abort.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const last = await shipper.run(abort.signal);
    // Stopped with the last cycle failed, or not restorable: part of the job, so not exit 0.
    process.exitCode = last?.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof ShipInputError) throw new UsageError(`--dir: ${err.message}`);
    if (err instanceof LineageError) {
      say(`ship-aof: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    clients.close();
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
  }
}
