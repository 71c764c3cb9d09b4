import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a stub server received, body read in full. */
export interface StubRequest {
  method: string;
  /** The request target as sent, query included. */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body as UTF-8 text. */
  text: string;
}

/**
 * How a stub server answers one request: a status (body `status <n>`, text/plain); a status with
 * a body (a string as it is, anything else as JSON) and headers; or `'hang'`, never answering
 * until the server closes.
 */
export type StubReply = number | 'hang' | { status?: number; body?: unknown; headers?: Record<string, string> };

export interface StubServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request received so far, in arrival order (recorded before it is answered). */
  readonly requests: StubRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Closes every connection, hanging ones included, then the server. */
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (a free port) that records every request and answers what
 * `answer` returns for it (it may be async, e.g. to delay an answer).
 */
export async function startStubServer(
  answer: (request: StubRequest, index: number) => StubReply | Promise<StubReply> = () => 200,
): Promise<StubServer> {
  const requests: StubRequest[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const request: StubRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, text: body.toString('utf8') };
      const index = requests.push(request) - 1;
      let reply: StubReply;
      try {
        reply = await answer(request, index);
      } catch (error) {
        reply = { status: 500, body: `stub server: the answer function threw: ${String(error)}` };
      }
      if (reply === 'hang' || res.destroyed) return;
      if (typeof reply === 'number') {
        res.writeHead(reply, { 'content-type': 'text/plain' }).end(`status ${reply}`);
        return;
      }
      res.statusCode = reply.status ?? 200;
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      if (reply.body === undefined) return void res.end();
      if (typeof reply.body === 'string' || Buffer.isBuffer(reply.body)) return void res.end(reply.body);
      if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply.body));
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
