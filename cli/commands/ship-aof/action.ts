/** `redis-dr ship-aof`: the action (loaded only when the command runs; options: cli/commands/ship-aof/command.ts). */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AofDirectory, serverAofState } from '../../../lambdas/adapters/host/aof-dir.js';
import { redactUrl as redactHeartbeat } from '../../../lambdas/adapters/host/heartbeat.js';
import { connectUrl, parseRedisUrl, redactUrl, RedisUrlError } from '../../../lambdas/adapters/redis/dump-restore.js';
import { sideCredentials } from '../../redis-credentials.js';
import { AofShipper } from '../../../lambdas/jobs/self-managed/ship-aof.js';
import { LineageError, ShipInputError } from '../../../lambdas/jobs/self-managed/ship-aof-types.js';
import { type AofStore, FileAofStore, S3AofStore } from '../../../lambdas/adapters/storage/aof-store.js';
import { openDestination } from '../../destinations.js';
import { formatDuration } from '../../options.js';
import { UsageError } from '../../usage.js';

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
}

export async function shipAofAction(o: ShipAofCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const store = await openDestination<AofStore>('--to', o.to, o.s3Endpoint, {
    file: (dir) => new FileAofStore(dir),
    s3: (client, bucket, prefix) => new S3AofStore(client, bucket, prefix),
  });
  if (o.rpo < o.interval)
    throw new UsageError(
      `--rpo ${formatDuration(o.rpo)} is shorter than --interval ${formatDuration(o.interval)}: the lag reaches the interval between cycles; give --rpo several intervals (e.g. --rpo 60s)`,
    );
  let state: ReturnType<typeof serverAofState> | undefined;
  if (o.redis !== undefined) {
    try {
      parseRedisUrl(o.redis);
    } catch (err) {
      if (err instanceof RedisUrlError) throw new UsageError(`--redis: ${err.message}`);
      throw err;
    }
    const credentials = await sideCredentials({ option: '--redis', envPrefix: 'REDIS_DR' }, env);
    const url = o.redis;
    state = serverAofState(() => connectUrl(url, 'redis-dr-ship-aof', credentials));
  }
  const heartbeatUrl = o.heartbeatUrl ?? (env.REDIS_DR_HEARTBEAT_URL || undefined);
  if (heartbeatUrl !== undefined && !/^https?:\/\//.test(heartbeatUrl))
    throw new UsageError(`--heartbeat-url ${redactHeartbeat(heartbeatUrl)} is not an http(s) URL`);
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
    { now: () => Date.now(), say, ...(state ? { serverState: state.read } : {}) },
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
    state?.close();
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
  }
}
