import { copyFileSync } from 'node:fs';
import type Redis from 'ioredis';
import { startRedisServer, type RedisServer } from './redis-server.js';

/**
 * A one-node Redis Cluster owning every slot, kept for a test file and lent to one stand-in at a time (a drill's sharded
 * group or serverless cache, test/lib/constructs/restore-drill/execution.test.ts). A node new to cluster mode answers
 * `cluster_state:ok` only 2 s after it started (Redis's CLUSTER_WRITABLE_DELAY): a node started for each sharded drill
 * waited that out each time (12 drills: 26 of that file's 31 s of tests on one CPU; the file 36.1 -> 7.5-8.0 s wall).
 *
 * Lent, it holds what a node started for the stand-in would: the file's keys (loaded from it: DEBUG RELOAD NOSAVE),
 * the password of its default user, the one user it was given, every slot, and no client but this one's. Given back,
 * it drops them (the clients, the user, the password, the keys). One lent at a time: {@link lend} answers undefined
 * while it is out, and the caller starts a node of its own as before.
 */
export class LentClusterNode {
  private node?: Promise<{ server: RedisServer; admin: Redis }>;
  private out = false;

  /** Starts the node (at once, so its 2 s pass while the file sets up): every slot its own, ready once the cluster is ok. */
  start(): void {
    this.node ??= (async () => {
      const server = await startRedisServer({
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1', '--enable-debug-command', 'yes'],
      });
      // The connection that lends and takes back: opened before any password is set, it stays authenticated.
      const admin = server.client();
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      for (let i = 0; i < 100 && !/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      return { server, admin };
    })();
  }

  /**
   * The node holding `rdb`'s keys, its default user's password `password` and, when given, `user` with every key,
   * channel and command (as `--user <name> on ><password> ~* &* +@all` gives); undefined while it is lent.
   * `stop()` gives it back.
   */
  lend(rdb: string, password: string, user?: { name: string; password: string }): Promise<{ port: number; stop(): Promise<void> }> | undefined {
    if (this.out) return undefined;
    this.out = true;
    this.start();
    return (async () => {
      const { server, admin } = await this.node!;
      copyFileSync(rdb, server.rdbPath);
      await admin.call('DEBUG', 'RELOAD', 'NOSAVE');
      if (!/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO')))) throw new Error('the lent cluster node is not ok');
      if (user) await admin.call('ACL', 'SETUSER', user.name, 'reset', 'on', `>${user.password}`, '~*', '&*', '+@all');
      await admin.call('CONFIG', 'SET', 'requirepass', password);
      let given = false;
      return {
        port: server.port,
        stop: async () => {
          if (given) return;
          given = true;
          // The clients of the stand-in first (ACL DELUSER closes its user's too), then what it was given.
          await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes').catch(() => undefined);
          if (user) await admin.call('ACL', 'DELUSER', user.name);
          await admin.call('CONFIG', 'SET', 'requirepass', '');
          await admin.flushall();
          this.out = false;
        },
      };
    })();
  }

  async stop(): Promise<void> {
    const node = this.node;
    this.node = undefined;
    await (await node?.catch(() => undefined))?.server.stop();
  }
}
