import { join } from 'node:path';

/** test/fixtures/rdb-servers: RDB files real newer servers wrote (sources, licences and checks in its README). */
export const SERVER_FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'rdb-servers');

/** A release a file was loaded into (README.md's table): its engine and version. */
export interface Release {
  readonly engine: 'Redis' | 'Valkey';
  readonly version: string;
}

/** One file: what `--lossy` converting it for Redis 7.0 needs, and which of the servers built in session 52 loaded it. */
export interface ServerFixture {
  readonly file: string;
  /** The losses `convert-rdb --for redis-7.0` and `migrate --from-rdb` into a 7.0 need named ('' for none). */
  readonly lossy: string;
  /** Keys per database (verify-rdb's count). */
  readonly keys: Readonly<Record<number, number>>;
  /** The releases that loaded it as it is (`rdb-version-check strict` for Valkey, its default); the others of {@link TRIED} refused it. */
  readonly loadedBy: readonly string[];
  /** Valkey 9.1 with `rdb-version-check relaxed` on a file it refuses as it is: the RDB type it stopped at ("Can't handle foreign type or opcode N"). */
  readonly relaxedValkey91StopsAt?: number;
}

/** The servers each file was loaded into (README.md): the system redis-server 7.0.15 and the four built from Debian source packages. */
export const TRIED: readonly Release[] = [
  { engine: 'Redis', version: '7.0' },
  { engine: 'Redis', version: '8.0' },
  { engine: 'Redis', version: '8.6' },
  { engine: 'Valkey', version: '8.1' },
  { engine: 'Valkey', version: '9.1' },
];

export const SERVER_FIXTURES: readonly ServerFixture[] = [
  { file: 'redis-8.0.6.rdb', lossy: 'field-ttl', keys: { 0: 17, 3: 1 }, loadedBy: ['Redis 8.0', 'Redis 8.6'], relaxedValkey91StopsAt: 25 },
  { file: 'redis-8.6.3.rdb', lossy: 'field-ttl,stream-idmp', keys: { 0: 18, 3: 1 }, loadedBy: ['Redis 8.6'], relaxedValkey91StopsAt: 26 },
  { file: 'valkey-8.1.1.rdb', lossy: '', keys: { 0: 16, 3: 1 }, loadedBy: ['Redis 8.0', 'Redis 8.6', 'Valkey 8.1', 'Valkey 9.1'] },
  { file: 'valkey-9.1.2.rdb', lossy: 'field-ttl', keys: { 0: 17, 3: 1 }, loadedBy: ['Valkey 9.1'] },
];
