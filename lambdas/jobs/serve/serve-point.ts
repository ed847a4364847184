/**
 * `redis-dr serve` by what the operator names: a file (`<file | s3://…>`),
 * a backup of a self-managed destination (`--from <destination> [--point
 * <file>]`, chosen as `drill local --from` chooses), or a recovery point of
 * a deployment (`-c <config> --point <snapshot>`: its `.rdb` copy in the
 * export or DR bucket, every shard of it).
 */
import type { RedisDrConfig } from '../../../lib/config/index.js';
import type { OperatorClients } from '../kernel/clients.js';
import { type ChosenBackup, chooseBackupPoint } from '../self-managed/backup-point.js';
import { configPointLocation, exportShardLocations, shardLocations } from './config-points.js';
import { FoundProblem } from '../kernel/found-problem.js';
import { UsageError } from '../kernel/usage-error.js';
import { EndpointError, type ServeOptions, type Serving, startServing } from './serve.js';

/** Where the point comes from. */
export type ServeSource =
  | { readonly kind: 'file'; readonly location: string; readonly s3Endpoint?: string }
  | { readonly kind: 'destination'; readonly from: string; readonly target?: string; readonly point?: string; readonly s3Endpoint?: string }
  | { readonly kind: 'config'; readonly config: RedisDrConfig; readonly aws: OperatorClients; readonly point: string };

/** The files of the point `source` names, and what to call it. */
export async function resolveServeSource(source: ServeSource): Promise<{
  locations: string[];
  point?: string;
  s3Endpoint?: string;
  sha256?: string;
  collapse?: ChosenBackup['collapse'];
  older?: string;
  unproven?: true;
}> {
  switch (source.kind) {
    case 'file':
      // s3://<bucket>/<export name>, without -NNNN.rdb: every shard of the export, as migrate --from-rdb reads it.
      return {
        locations:
          /^s3:\/\/[^/]+\/.*[^/]$/.test(source.location) && !source.location.endsWith('.rdb')
            ? await exportShardLocations(source.location, source.s3Endpoint)
            : [source.location],
        ...(source.s3Endpoint ? { s3Endpoint: source.s3Endpoint } : {}),
      };
    case 'destination': {
      const chosen = await chooseBackupPoint({ ...source, what: 'serve' });
      return {
        locations: [chosen.location],
        point: chosen.point,
        ...(source.s3Endpoint ? { s3Endpoint: source.s3Endpoint } : {}),
        ...(chosen.file.sha256 !== undefined ? { sha256: chosen.file.sha256 } : {}),
        ...(chosen.collapse ? { collapse: chosen.collapse } : {}),
        ...(chosen.older !== undefined ? { older: chosen.older } : {}),
        // Only a --point can name one (the newest is chosen among the proven): served, and said (cli/commands/serve).
        ...(chosen.file.proven ? {} : { unproven: true as const }),
      };
    }
    case 'config': {
      const copy = await configPointLocation(source.config, source.aws, source.point);
      return { locations: await shardLocations(copy.location!), point: copy.point };
    }
  }
}

/**
 * {@link startServing} for the point `source` names; `point` says which one
 * was chosen (a backup's file name, a snapshot's), `collapse` that the backup
 * is marked a keyspace collapse (a FLUSHALL's emptied keyspace) and the
 * newest good one before it, `unproven` that the backup was never proven
 * stored (no read-back record beside it).
 */
export async function servePoint(
  source: ServeSource,
  options: Omit<ServeOptions, 'location' | 's3Endpoint'>,
): Promise<Serving & { point?: string; collapse?: ChosenBackup['collapse']; unproven?: true }> {
  const { locations, point, s3Endpoint, sha256, collapse, older, unproven } = await resolveServeSource(source);
  let serving: Serving;
  try {
    serving = await startServing({ ...options, location: locations, ...(s3Endpoint ? { s3Endpoint } : {}), ...(sha256 !== undefined ? { sha256 } : {}) });
  } catch (err) {
    // The newest backup, chosen for the operator, will not open (corrupt, say): name the one before it, as a command to
    // paste. Not for a problem of the endpoint (a port in use): the newest backup is then fine, and older data no answer.
    const unopened = err instanceof UsageError || err instanceof FoundProblem;
    if (!unopened || err instanceof EndpointError || older === undefined || source.kind !== 'destination') throw err;
    const endpoint = source.s3Endpoint ? ` --s3-endpoint ${source.s3Endpoint}` : '';
    const named = `${err.message}; the backup before it (not verified yet; add the other options you gave): redis-dr serve --from ${source.from} --point ${older}${endpoint}`;
    // As found: a corrupt backup stays a problem found (exit 1), an unreadable one a usage error (exit 2).
    throw err instanceof FoundProblem ? new FoundProblem(named, err.exitCode) : new UsageError(named);
  }
  return Object.assign(serving, point !== undefined ? { point } : {}, collapse ? { collapse } : {}, unproven ? { unproven } : {});
}
