/**
 * Local-mode backup of a self-managed server: have it write a fresh RDB
 * (`BGSAVE`, or `BGSAVE SCHEDULE` while an AOF rewrite runs), wait for that
 * save — not an older one — to finish, and say where the file is
 * (`CONFIG GET dir` / `dbfilename`). The caller then reads the file on the
 * same host.
 *
 * Why the waiting is careful: `LASTSAVE` has a one-second resolution, a save
 * already running when we ask was started for someone else (and may hold
 * data older than our request), and a failed save leaves `LASTSAVE` as it
 * was. So a save counts as ours when `rdb_saves` (Redis 7+, else
 * `rdb_last_save_time`) advanced past its value at the request and no save
 * is in progress, and a failure is `rdb_last_bgsave_status:err` after our
 * save was seen to start.
 */
import { join } from 'node:path';
import type Redis from 'ioredis';

/** INFO persistence, as far as a save needs it. */
export interface PersistenceInfo {
  readonly bgsaveInProgress: boolean;
  readonly aofRewriteInProgress: boolean;
  readonly lastSaveTime: number;
  readonly lastBgsaveOk: boolean;
  /** Saves since start (Redis 7.0+); undefined on older servers. */
  readonly saves?: number;
}

/** Parses the fields of `INFO persistence` that a save needs. */
export function parsePersistence(info: string): PersistenceInfo {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const saves = field('rdb_saves');
  return {
    bgsaveInProgress: field('rdb_bgsave_in_progress') === '1',
    aofRewriteInProgress: field('aof_rewrite_in_progress') === '1',
    lastSaveTime: Number(field('rdb_last_save_time') ?? 0),
    lastBgsaveOk: field('rdb_last_bgsave_status') !== 'err',
    ...(saves !== undefined ? { saves: Number(saves) } : {}),
  };
}

/** A save the server refused or that failed: the step is named in the message. */
export class LocalSaveError extends Error {
  override readonly name = 'LocalSaveError';
}

/** What {@link saveLocally} did. */
export interface LocalSave {
  /** The RDB file the server wrote: `dir/dbfilename`. */
  readonly path: string;
  readonly dir: string;
  readonly dbfilename: string;
  /** `BGSAVE`, or `BGSAVE SCHEDULE` (an AOF rewrite was running). */
  readonly how: 'bgsave' | 'scheduled';
  /** A save already running at the request was waited for first (and not used). */
  readonly waitedForOther: boolean;
  /** `rdbchecksum`: `no` means the file carries no CRC-64. */
  readonly rdbChecksum: boolean;
  /**
   * The server's clock (unix seconds) when our save was asked for: the file's
   * `ctime` AUX field must not be older by more than the second its coarse
   * clock can lag (domain/self-managed/backup.ts savedAfterRequest), or the
   * file read is not this save's.
   */
  readonly requestedAt: number;
}

/** Time as the save sees it (tests make it fast). */
export interface SaveTiming {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly pollMs: number;
  readonly timeoutMs: number;
}

/** The value of one `CONFIG GET`, or a {@link LocalSaveError} saying CONFIG is not usable. */
async function configGet(client: Redis, name: string): Promise<string> {
  let reply: unknown;
  try {
    reply = await client.call('CONFIG', 'GET', name);
  } catch (err) {
    throw new LocalSaveError(
      `CONFIG GET ${name} was refused (${(err as Error).message}): local mode reads the file the server saves, found with CONFIG GET dir and dbfilename. ` +
        'Use --remote to pull the RDB over the replication protocol instead (no CONFIG or file access needed)',
      { cause: err },
    );
  }
  const pairs = reply as string[];
  const value = Array.isArray(pairs) ? pairs[1] : undefined;
  if (typeof value !== 'string') throw new LocalSaveError(`CONFIG GET ${name} returned nothing: the server hides it (a renamed CONFIG?); use --remote`);
  return value;
}

async function persistence(client: Redis): Promise<PersistenceInfo> {
  return parsePersistence(String(await client.info('persistence')));
}

/** The server's clock, unix seconds (`TIME`). */
async function serverSeconds(client: Redis): Promise<number> {
  const [seconds] = (await client.call('TIME')) as [string, string];
  return Number(seconds);
}

/**
 * Makes the server save a fresh RDB and waits for it.
 * @throws LocalSaveError naming the step: CONFIG refused, BGSAVE refused, the save failed, or it took longer than `timing.timeoutMs`
 */
export async function saveLocally(client: Redis, timing: SaveTiming): Promise<LocalSave> {
  const dir = await configGet(client, 'dir');
  const dbfilename = await configGet(client, 'dbfilename');
  const rdbChecksum = (await configGet(client, 'rdbchecksum')) !== 'no';
  const deadline = timing.now() + timing.timeoutMs;
  const tick = async (what: string): Promise<PersistenceInfo> => {
    if (timing.now() > deadline) throw new LocalSaveError(`timed out after ${timing.timeoutMs / 1000} s ${what}`);
    await timing.sleep(timing.pollMs);
    return persistence(client);
  };

  // A save already running was asked for by someone else, before us: wait for it, then save our own.
  let info = await persistence(client);
  let waitedForOther = false;
  while (info.bgsaveInProgress) {
    waitedForOther = true;
    info = await tick('waiting for a save that was already running to finish');
  }

  // Without rdb_saves (Redis < 7) a save is told apart by LASTSAVE, a whole second: ask only once the clock is past it.
  if (info.saves === undefined) {
    while ((await serverSeconds(client)) <= info.lastSaveTime)
      info = await tick('waiting for the server clock to pass the last save (LASTSAVE has one-second resolution)');
  }

  let how: LocalSave['how'] = 'bgsave';
  let before = info;
  let started = false;
  const requestedAt = await serverSeconds(client);
  for (;;) {
    const schedule = before.aofRewriteInProgress;
    let reply: string;
    try {
      reply = String(await (schedule ? client.call('BGSAVE', 'SCHEDULE') : client.call('BGSAVE')));
    } catch (err) {
      const message = (err as Error).message;
      if (/already in progress/i.test(message) || /Another child process is active/i.test(message)) {
        // Someone else's save (or an AOF rewrite) got there first: wait, then ask again.
        before = await tick('waiting for another save or AOF rewrite to finish');
        continue;
      }
      throw new LocalSaveError(`BGSAVE was refused: ${message}`, { cause: err });
    }
    how = /scheduled/i.test(reply) ? 'scheduled' : 'bgsave';
    started = how === 'bgsave';
    break;
  }

  const advanced = (now: PersistenceInfo): boolean =>
    now.saves !== undefined && before.saves !== undefined ? now.saves > before.saves : now.lastSaveTime > before.lastSaveTime;
  for (;;) {
    const now = await tick(how === 'scheduled' ? 'waiting for the scheduled BGSAVE (it runs after the AOF rewrite)' : 'waiting for BGSAVE to finish');
    if (now.bgsaveInProgress) {
      started = true;
      continue;
    }
    if (advanced(now) && now.lastBgsaveOk) break;
    // Failed: seen to start and now err, or a status that turned from ok to err (a scheduled save that failed between two polls).
    if (!now.lastBgsaveOk && (started || advanced(now) || before.lastBgsaveOk)) {
      throw new LocalSaveError(
        `BGSAVE failed (rdb_last_bgsave_status:err): the server could not write ${join(dir, dbfilename)}. ` +
          'See the server log; common causes: the dir is not writable by the server, the disk is full, fork failed (vm.overcommit_memory)',
      );
    }
  }
  return { path: join(dir, dbfilename), dir, dbfilename, how, waitedForOther, rdbChecksum, requestedAt };
}
