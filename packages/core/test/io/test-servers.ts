import net from 'node:net';
import { afterEach } from 'vitest';
import { startStubServer, type StubServer } from '../../../../test/support/stub-server';

/** A plain TCP listener on 127.0.0.1 that accepts and holds connections. */
export async function startTcpServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound once, then released). */
export { closedPort as refusedPort } from '../../../../test/support/ports';

/** Counts of the handle kinds a leaked socket or timer shows up as. */
export function openHandles(): { timers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return {
    timers: info.filter((kind) => kind === 'Timeout').length,
    sockets: info.filter((kind) => kind === 'TCPSocketWrap').length,
  };
}

/**
 * Per-test cleanup for a test file: `cleanups` run after each test, last added first, and
 * `server(answer)` starts a stub HTTP server (test/support/stub-server) that is closed that way. Call at the file's top.
 */
export function serversClosedAfterEach(): {
  cleanups: Array<() => Promise<void> | void>;
  server(answer: Parameters<typeof startStubServer>[0]): Promise<StubServer>;
} {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    cleanups,
    async server(answer) {
      const s = await startStubServer(answer);
      cleanups.push(() => s.close());
      return s;
    },
  };
}
