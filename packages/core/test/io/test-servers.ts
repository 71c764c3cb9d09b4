import http from 'node:http';
import net from 'node:net';
import { afterEach } from 'vitest';

export interface RecordedRequest {
  method: string;
  path: string;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

export interface TestHttpServer {
  url: string;
  requests: RecordedRequest[];
  /** Open TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (free port). `answer` decides each reply: a status, or
 * `'hang'` to never answer. Records every request with its full body.
 */
export async function startHttpServer(
  answer: (req: RecordedRequest, index: number) => number | 'hang' | Promise<number | 'hang'>,
): Promise<TestHttpServer> {
  const state = { requests: [] as RecordedRequest[], connections: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const recorded = { method: req.method ?? '', path: req.url ?? '', body: Buffer.concat(chunks), headers: req.headers };
      const index = state.requests.push(recorded) - 1;
      const status = await answer(recorded, index);
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`);
    });
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

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
export async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Counts of the handle kinds a leaked socket or timer shows up as. */
export function openHandles(): { timers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return {
    timers: info.filter((kind) => kind === 'Timeout').length,
    sockets: info.filter((kind) => kind === 'TCPSocketWrap').length,
  };
}

/** Polls `check` (real time) until it returns true or `ms` pass; returns its last answer. */
export async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/**
 * Per-test cleanup for a test file: `cleanups` run after each test, last added first, and
 * `server(answer)` starts an HTTP test server that is closed that way. Call at the file's top.
 */
export function serversClosedAfterEach(): {
  cleanups: Array<() => Promise<void> | void>;
  server(answer: Parameters<typeof startHttpServer>[0]): Promise<TestHttpServer>;
} {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    cleanups,
    async server(answer) {
      const s = await startHttpServer(answer);
      cleanups.push(() => s.close());
      return s;
    },
  };
}
