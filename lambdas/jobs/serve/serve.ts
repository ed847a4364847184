/**
 * `redis-dr serve` as a use case: open the point (verified, indexed), then
 * listen with the read-only command table; the first answer comes as soon
 * as the index is built.
 */
import { ListenError, type ListenTls, listenResp, tlsOptions } from '../../adapters/redis/serve-server.js';
import { redisReleaseFor } from '../../domain/rdb/format/dump-payload.js';
import { TABLE_RELEASE } from '../../domain/serve/command-replies.js';
import { DEFAULT_DATABASES } from '../../domain/rdb/format/parse-constants.js';
import { execute } from '../../domain/serve/commands.js';
import { decodeDumpPayload } from '../../domain/rdb/format/value.js';
import type { BesidesKeys } from '../../domain/serve/besides-keys.js';
import { CACHE_MIN_BYTES, FieldTtlHashes, type ServeContext, ValueCache } from '../../domain/serve/context.js';
import { settle } from '../../domain/serve/paged-index.js';
import { asLoaded } from '../../domain/serve/loaded-encoding.js';
import { UsageError } from '../kernel/usage-error.js';
import { openPoint } from './open-point.js';

/** What to serve and where. */
export interface ServeOptions {
  /** A path or `s3://bucket/key`; the shards of one recovery point, in shard order. */
  readonly location: string | readonly string[];
  /** An S3-compatible store's endpoint, for s3:// locations. */
  readonly s3Endpoint?: string;
  /** The SHA-256 its record says the file had when it was stored (a destination's backup): another file is refused. */
  readonly sha256?: string;
  /** @default 127.0.0.1 */
  readonly bind?: string;
  /** 0: a free port. @default 6379 */
  readonly port?: number;
  /** Clients must AUTH with it. @default none */
  readonly password?: string;
  /** Serve over TLS only (PEM certificate and key files). @default plain TCP */
  readonly tls?: ListenTls;
  /**
   * Databases SELECT takes, at least (a file holding keys in a higher database gets as many as it needs, as the server
   * that wrote it must have been configured with). @default 16
   */
  readonly databases?: number;
  /** The largest value answered (proto-max-bulk-len); a larger one gets an error naming the key and the limit. @default 512 MiB */
  readonly maxValueBytes?: number;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

/** A point being served. */
export interface Serving {
  readonly host: string;
  readonly port: number;
  /** Keys in the file, and per database: those in the file and those of them already expired when it started (keys less expired is what DBSIZE answers). */
  readonly keys: number;
  readonly databases: readonly { readonly db: number; readonly keys: number; readonly expired: number }[];
  /**
   * The file may hold hashes with field TTLs (RDB 12 and on) not read at start (an S3 copy's are read as met): `expired`
   * then leaves out only keys whose own expiry passed, not hashes whose every field has (DBSIZE, which reads them, does).
   */
  readonly hashesUncounted: boolean;
  readonly rdbVersion: number;
  /** What is served: the file, or the first shard and how many more. */
  readonly location: string;
  /** Per shard, how it was opened: from the key index beside it, or read whole (and why). */
  readonly notes: readonly string[];
  /**
   * What the point holds besides its keys, which no command served answers (FUNCTION LIST is refused): its function
   * libraries, the modules whose AUX data it holds and its keys' Redis 8.6 key metadata; undefined when a shard was opened
   * from a key index unread that does not say (one written before indexes kept it).
   */
  readonly besidesKeys?: BesidesKeys;
  close(): Promise<void>;
}

/** A problem of the endpoint asked for (a port in use, an address not this machine's, a TLS file), not of the point served. */
export class EndpointError extends UsageError {}

/** Opens `options.location` and serves it read-only until {@link Serving.close}. */
export async function startServing(options: ServeOptions): Promise<Serving> {
  if (options.tls) {
    // Before the point is opened: a wrong certificate path is said at once, not after a pass over a big file.
    try {
      tlsOptions(options.tls);
    } catch (err) {
      if (err instanceof ListenError) throw new EndpointError(err.message);
      throw err;
    }
  }
  const point = await openPoint(options.location, options.s3Endpoint, options.maxValueBytes, undefined, options.sha256);
  const host = options.bind ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  let port = options.port ?? 6379;
  const version = point.index.rdbVersion;
  const family = redisReleaseFor(version) ?? '7.0';
  // A 7.0 point is answered as the redis-server 7.0 serve's command table was taken from (COMMAND and HELP byte for
  // byte, the parity tests against it): HELLO and INFO name that release, not a 7.0.0 nothing was compared with.
  const release = point.valkey ? '7.2.4' : family === '7.0' ? TABLE_RELEASE : `${family}.0`;
  // Hashes with field TTLs (RDB 12 and on, Valkey 9's VALKEY080): one all of whose fields have TTLs is gone once the last
  // has passed (EXISTS, DBSIZE, SCAN). A local file's are read at start (a walk of every key's type, those hashes read);
  // an S3 copy's as they are met (domain/serve/context.ts FieldTtlHashes): at start that walk would fetch every block of the index.
  // Each value as the server holds it once loaded, where that differs from the file (loaded-encoding.ts asLoaded).
  const cache = new ValueCache(undefined, point.localReads ? CACHE_MIN_BYTES : 0, (key, payload) => asLoaded(payload[0]!, point.decode(key, payload)));
  const hashes =
    version >= 12
      ? new FieldTtlHashes(point.index, (k) => (point.localReads ? decodeDumpPayload(point.payload(k) as Buffer) : cache.get(k, () => point.payload(k))))
      : undefined;
  if (hashes && point.localReads) await settle(() => hashes.learnAll());
  const ctx: ServeContext = {
    index: point.index,
    payload: (key) => point.payload(key),
    stored: (key, from, to) => point.stored(key, from, to),
    now,
    ...(options.password !== undefined ? { password: options.password } : {}),
    get port() {
      return port;
    },
    // A server run with `databases 64` writes keys in databases up to 63, and only a server configured with as many loads
    // the file: serve is that server (SELECT, CONFIG GET databases, INFO keyspace), else keys listed would be unreachable.
    // The highest is the last (ascending): not Math.max(...) of them all, which throws past about 120,000 arguments.
    databases: Math.max(options.databases ?? DEFAULT_DATABASES, (point.index.databases().at(-1) ?? -1) + 1),
    ...(options.maxValueBytes !== undefined ? { maxValueBytes: options.maxValueBytes } : {}),
    // KEYS and SCAN give way between slices of their walk: other clients' requests and a SIGTERM are served meanwhile.
    turn: () => new Promise<void>((resolve) => setImmediate(resolve)),
    clock: () => performance.now(),
    // A local file's small values are read again rather than kept (see ValueCache); S3's are kept (each read is a round trip).
    cache,
    about: { location: point.location, redisVersion: release, startedAtMs: now(), ...(point.valkey ? { valkey: true } : {}) },
    ...(hashes ? { hashes } : {}),
  };
  let databases: { db: number; keys: number; expired: number }[];
  let endpoint;
  try {
    // Before listening: on an S3 index a block whose keys have only partly expired is read (settle waits for it).
    databases = await settle(() =>
      point.index.databases().map((db) => ({
        db,
        keys: point.index.size(db),
        // An S3 copy's hashes with field TTLs are not read at start: those all of whose fields expired are counted by DBSIZE only.
        expired: point.index.expiries(db, now()).expired + (hashes?.known(db) ? hashes.gone(db, now()) : 0),
      })),
    );
    endpoint = await listenResp(host, port, (session, args) => execute(ctx, session, args), options.tls, options.password !== undefined);
  } catch (err) {
    point.close();
    if (err instanceof ListenError) throw new EndpointError(err.message);
    throw err;
  }
  port = endpoint.port;
  return {
    host,
    port,
    keys: point.index.keys,
    databases,
    hashesUncounted: hashes !== undefined && !point.localReads,
    rdbVersion: version,
    location: point.location,
    notes: point.notes,
    ...(point.besidesKeys ? { besidesKeys: point.besidesKeys } : {}),
    async close() {
      await endpoint.close();
      point.close();
    },
  };
}
