import { connect } from 'node:net';

/** Low ports tried for {@link closedLoopbackPort}: below the kernel's ephemeral range, rarely served. */
const CANDIDATES = [1, 3, 4, 5, 6, 8, 10];

/** The error a connection to 127.0.0.1:`port` ends in, or undefined when something answered. */
export function connectionError(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err));
  });
}

/**
 * A loopback port nothing listens on, that nothing in the suite can take meanwhile: a low port (below the kernel's
 * ephemeral range, where every test server's `listen(0)` lands), checked to refuse a connection now. A port freed by
 * closing a `listen(0)` server was not: another test's server could be given it before the connection was tried (seen
 * once on a clean clone: an HTTP server answered the AWS SDK, and `status` exited 1 instead of 2).
 */
export async function closedLoopbackPort(): Promise<number> {
  for (const port of CANDIDATES) if ((await connectionError(port))?.code === 'ECONNREFUSED') return port;
  throw new Error(`no closed low loopback port among ${CANDIDATES.join(', ')}: something listens on all of them`);
}
