import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GovernanceAdapterOptions } from '@governance/core/node';
import { adapterTestBed } from './adapter-test-bed';
import { RawConnection, type RawEnding } from './raw-http';
import { wireRegistration, type MountGovernance, type MountedServer } from './scenarios';

const MiB = 1024 * 1024;
const JSON_TYPE = { 'content-type': 'application/json' };

/** `body` in chunked transfer encoding, in chunks of `size` bytes, with the final empty chunk. */
export function chunkedEncoding(body: Buffer, size = 64 * 1024): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const chunk = body.subarray(at, at + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/**
 * Sends the whole request before reading anything, as Python's `http.client` and many simple
 * clients do. If the server closes while body bytes are still arriving, the kernel resets the
 * connection and this client never sees the answer.
 */
export async function writeAllThenRead(
  baseUrl: string,
  path: string,
  body: Buffer,
  options: { chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<RawEnding> {
  const connection = await RawConnection.open(baseUrl);
  const framing: Record<string, string> = options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) };
  connection.head('POST', path, { ...JSON_TYPE, ...framing, ...options.headers });
  await connection.body(options.chunked ? chunkedEncoding(body) : body);
  connection.read();
  return connection.ended();
}

/**
 * The lingering-close scenarios every adapter runs: an answer given before the request body
 * was read reaches the client, the connection drains within its byte and time bounds, and the
 * number of draining connections is capped.
 */
export function lingeringCloseScenarios(label: string, mount: MountGovernance): void {
  describe(`${label}: lingering close after an early answer`, () => {
    const { startManager } = adapterTestBed();
    const servers: MountedServer[] = [];
    const connections: RawConnection[] = [];
    /** The server's side of each connection, by the client's port. */
    let serverSockets = new Map<number, { closed: Promise<number>; isClosed(): boolean }>();

    afterEach(async () => {
      for (const c of connections.splice(0)) c.destroy();
      for (const s of servers.splice(0)) await s.close();
    });

    async function start(options: GovernanceAdapterOptions = {}): Promise<string> {
      const mounted = await mount(await startManager(), options);
      servers.push(mounted);
      const sockets: typeof serverSockets = (serverSockets = new Map());
      mounted.server.on('connection', (socket: Socket) => {
        let isClosed = false;
        const closed = new Promise<number>((resolve) =>
          socket.on('close', () => {
            isClosed = true;
            resolve(socket.bytesRead);
          }),
        );
        sockets.set(socket.remotePort ?? 0, { closed, isClosed: () => isClosed });
      });
      return mounted.baseUrl;
    }

    async function open(baseUrl: string): Promise<RawConnection> {
      const connection = await RawConnection.open(baseUrl, { ignoreFin: true });
      connections.push(connection);
      return connection;
    }

    /** The server's side of `connection`: resolves `closed` with the bytes it read. */
    async function serverSide(connection: RawConnection) {
      await vi.waitFor(() => expect(serverSockets.has(connection.localPort)).toBe(true));
      return serverSockets.get(connection.localPort)!;
    }

    it('a client that writes its whole oversized body before reading still gets the 413 and a clean close', async () => {
      const baseUrl = await start();
      for (const chunked of [false, true]) {
        for (const size of [2 * MiB, 8 * MiB]) {
          const what = `${size / MiB} MiB ${chunked ? 'chunked' : 'with Content-Length'}`;
          const ending = await writeAllThenRead(baseUrl, '/register', Buffer.alloc(size, 0x20), { chunked });
          expect(ending.error, what).toBeUndefined();
          expect(ending.bodySent, what).toBeGreaterThanOrEqual(size);
          expect(ending.answer?.status, what).toBe(413);
          expect(ending.answer?.headers.connection, what).toBe('close');
          expect(ending.answer?.json.error, what).toMatch(/^\[core\] request body is larger than 65536 bytes/);
        }
      }
    });

    it('a 415 and a 401 given before the body also reach a client that is still sending it', async () => {
      const baseUrl = await start({
        authorize: (request) => (request.headers['x-deny'] ? { status: 401, message: '[test] token required' } : undefined),
      });
      const body = Buffer.alloc(8 * MiB, 0x20);
      const wrongType = await writeAllThenRead(baseUrl, '/register', body, { headers: { 'content-type': 'text/plain' } });
      expect(wrongType.error).toBeUndefined();
      expect(wrongType.answer?.status).toBe(415);
      expect(wrongType.answer?.headers.connection).toBe('close');
      expect(wrongType.answer?.json.error).toMatch(/send the body as application\/json/);
      const denied = await writeAllThenRead(baseUrl, '/register', body, { chunked: true, headers: { 'x-deny': '1' } });
      expect(denied.error).toBeUndefined();
      expect(denied.answer?.status).toBe(401);
      expect(denied.answer?.json).toEqual({ error: '[test] token required' });
    });

    it('keeps the connection open when the answer read the whole body', async () => {
      const baseUrl = await start();
      const connection = await open(baseUrl);
      const body = Buffer.from(JSON.stringify(wireRegistration()));
      connection.head('POST', '/register', { ...JSON_TYPE, 'content-length': String(body.length) });
      await connection.body(body);
      const answer = await connection.answer();
      expect(answer?.status).toBe(201);
      expect(answer?.headers.connection).toBe('keep-alive');
    });

    it('a body dripping at 1 byte/s is cut at the time bound, after the 413 was sent', async () => {
      const timeoutMs = 1_500;
      const baseUrl = await start({ lingeringClose: { timeoutMs } });
      const connection = await open(baseUrl);
      const headers = { ...JSON_TYPE, 'content-length': String(MiB) };
      connection.head('POST', '/register', headers);
      const answer = await connection.answer();
      const answeredAt = performance.now();
      expect(answer?.status).toBe(413);
      expect(answer?.headers.connection).toBe('close');
      expect(answer?.json.error).toMatch(/larger than 65536 bytes/);

      const drip = setInterval(() => void connection.body(Buffer.from(' ')), 1_000);
      const bytesRead = await (await serverSide(connection)).closed.finally(() => clearInterval(drip));
      const lingeredMs = performance.now() - answeredAt;
      const dripped = bytesRead - requestHeadLength(baseUrl, '/register', headers);
      console.log(`[lingering-close] ${label}: a 1 byte/s drip was cut ${lingeredMs.toFixed(0)} ms after its 413 (bound ${timeoutMs} ms); the server read ${dripped} dripped byte(s)`);
      // The server read on after answering, and closed while the client was still sending, far
      // from the byte bound: only the time bound can have ended it.
      expect(dripped).toBeGreaterThanOrEqual(1);
      expect(connection.closed).toBe(false);
    });

    it('a body larger than the byte bound is cut once the bound is read, after the 413 was sent', async () => {
      const baseUrl = await start({ lingeringClose: { maxBytes: MiB, timeoutMs: 60_000 } });
      const connection = await open(baseUrl);
      connection.head('POST', '/register', { ...JSON_TYPE, 'transfer-encoding': 'chunked' });
      const answered = connection.answer();
      const chunk = chunkedEncoding(Buffer.alloc(64 * 1024, 0x20)).subarray(0, -5); // one chunk, no terminator
      let sent = 0;
      while (!connection.closed && sent < 256 * MiB) {
        if ((await connection.body(chunk)) !== undefined) break;
        sent += chunk.length;
      }
      const answer = await answered;
      expect(answer?.status).toBe(413);
      expect(answer?.json.error).toMatch(/larger than 65536 bytes/);
      // It read on up to the bound and stopped there; without the bound it would read for a
      // minute, far more than 256 MiB on loopback.
      expect(await (await serverSide(connection)).closed).toBeGreaterThan(MiB);
      expect(sent).toBeLessThan(256 * MiB);
    });

    it('caps the lingering connections: beyond the cap a connection is closed right after its answer', async () => {
      const baseUrl = await start({ lingeringClose: { maxConnections: 1, timeoutMs: 60_000 } });
      const headers = { ...JSON_TYPE, 'content-length': String(MiB) };
      const first = await open(baseUrl);
      first.head('POST', '/register', headers);
      expect((await first.answer())?.status).toBe(413);

      // The only slot is taken: this one is answered and closed without waiting for its body.
      const second = await open(baseUrl);
      second.head('POST', '/register', headers);
      expect((await second.answer())?.status).toBe(413);
      await (await serverSide(second)).closed;
      const firstSide = await serverSide(first);
      expect(firstSide.isClosed()).toBe(false);

      // The first one sends its body to the end: the server reads it all, closes, and frees the slot.
      expect(await first.body(Buffer.alloc(MiB, 0x20))).toBeUndefined();
      expect(await firstSide.closed).toBeGreaterThan(MiB);

      const third = await open(baseUrl);
      third.head('POST', '/register', headers);
      expect((await third.answer())?.status).toBe(413);
      expect(await third.body(Buffer.alloc(MiB, 0x20))).toBeUndefined();
      expect(await (await serverSide(third)).closed).toBeGreaterThan(MiB);
    });
  });
}

/** The length of the request head `RawConnection.head` sends. */
function requestHeadLength(baseUrl: string, path: string, headers: Record<string, string>): number {
  const lines = [`POST ${new URL(baseUrl).pathname.replace(/\/$/, '')}${path} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`);
}
