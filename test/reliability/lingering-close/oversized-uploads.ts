import http from 'node:http';
import type { Socket } from 'node:net';
import { Manager } from '@governance/core';
import type { LingeringCloseOptions } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { expect, it } from 'vitest';
import { writeAllThenRead } from '../../../packages/core/test/transport/support/lingering-close-scenarios';

const TOTAL = Number(process.env.LINGER_REQUESTS ?? 1_000);
// LINGER_MAX_CONNECTIONS=0 turns lingering off, to see what it prevents (the test then fails).
export const LINGERING: LingeringCloseOptions = { maxConnections: Number(process.env.LINGER_MAX_CONNECTIONS ?? 256) };
const CONCURRENCY = 16;
const MiB = 1024 * 1024;
const CHUNK = 256 * 1024;
const PAYLOAD = Buffer.alloc(8 * MiB, 0x20);
const MESSAGE = /^\[core\] request body is larger than 65536 bytes; send a smaller registration or raise bodyLimit$/;

/** Every way a client sends the oversized body: library, connection reuse, framing. */
const KINDS = [
  'fetch keep-alive content-length',
  'fetch keep-alive chunked',
  'fetch close content-length',
  'fetch close chunked',
  'node:http keep-alive content-length',
  'node:http keep-alive chunked',
  'node:http close content-length',
  'node:http close chunked',
  'node:net whole body before reading',
] as const;
type Kind = (typeof KINDS)[number];

interface Answer {
  status: number;
  text: string;
}

/** 1–8 MiB, spread over the range by a multiplicative hash of the request number. */
function sizeOf(i: number): number {
  return MiB + ((i * 2_654_435_761) % (7 * MiB + 1));
}

function streamOf(body: Buffer): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= body.length) controller.close();
      else controller.enqueue(body.subarray(at, (at += CHUNK)));
    },
  });
}

/**
 * A stream body is sent chunked, or with `Content-Length` when the header is given; it costs
 * fetch far less CPU than a Buffer or a Blob of the same size.
 */
async function viaFetch(url: string, body: Buffer, keepAlive: boolean, chunked: boolean): Promise<Answer> {
  if (keepAlive) await (await fetch(`${url}/health`)).arrayBuffer(); // so the upload may reuse a warm connection
  const response = await fetch(`${url}/register`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(chunked ? {} : { 'content-length': String(body.length) }),
      ...(keepAlive ? {} : { connection: 'close' }),
    },
    body: streamOf(body),
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, text: await response.text() };
}

function viaNodeHttp(url: string, path: string, agent: http.Agent | false, body?: Buffer, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (body && !chunked) headers['content-length'] = String(body.length);
    const req = http.request(`${url}${path}`, { method: body ? 'POST' : 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // After the answer, the client's own write of the unsent rest may fail; the answer is what counts.
    req.on('error', reject);
    if (body && chunked) {
      for (let at = 0; at < body.length; at += CHUNK) req.write(body.subarray(at, at + CHUNK));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Writes the whole request before reading anything, as Python's http.client does. */
async function viaNet(url: string, body: Buffer): Promise<Answer> {
  const ending = await writeAllThenRead(url, '/register', body);
  if (!ending.answer) throw Object.assign(new Error(`no answer: ${ending.error ?? 'closed'}`), { code: ending.error });
  return { status: ending.answer.status, text: ending.answer.text };
}

async function send(url: string, kind: Kind, body: Buffer, agent: http.Agent): Promise<Answer> {
  if (kind.startsWith('node:net')) return viaNet(url, body);
  const keepAlive = kind.includes('keep-alive');
  if (kind.startsWith('fetch')) return viaFetch(url, body, keepAlive, kind.endsWith('chunked'));
  if (keepAlive) await viaNodeHttp(url, '/health', agent);
  return viaNodeHttp(url, '/register', keepAlive ? agent : false, body, kind.endsWith('chunked'));
}

interface Tally {
  answered: number;
  resets: number;
  ms: number;
}

/** Sends the uploads, `CONCURRENCY` at a time, each worker with its own one-socket keep-alive agent. */
async function uploadAll(url: string): Promise<{ byKind: Map<Kind, Tally>; wrong: string[] }> {
  const byKind = new Map<Kind, Tally>(KINDS.map((k) => [k, { answered: 0, resets: 0, ms: 0 }]));
  const wrong: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (next < TOTAL) {
        const i = next++;
        const kind = KINDS[i % KINDS.length]!;
        const tally = byKind.get(kind)!;
        const sentAt = performance.now();
        try {
          const answer = await send(url, kind, PAYLOAD.subarray(0, sizeOf(i)), agent);
          const message = (JSON.parse(answer.text) as { error?: string }).error ?? '';
          if (answer.status === 413 && MESSAGE.test(message)) tally.answered++;
          else wrong.push(`${kind} #${i}: ${answer.status} ${answer.text.slice(0, 120)}`);
        } catch (error) {
          tally.resets++;
          const cause = (error as { cause?: { code?: string } }).cause;
          wrong.push(`${kind} #${i}: no answer (${cause?.code ?? (error as { code?: string }).code ?? String(error)})`);
        }
        tally.ms += performance.now() - sentAt;
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { byKind, wrong };
}

/** Counts the uploads that went over a connection which had already served a request. */
function countReusedConnections(server: http.Server): () => number {
  const requestsOnSocket = new WeakMap<Socket, number>();
  let reused = 0;
  server.on('request', (req: http.IncomingMessage) => {
    const count = (requestsOnSocket.get(req.socket) ?? 0) + 1;
    requestsOnSocket.set(req.socket, count);
    if (count > 1 && req.method === 'POST') reused++;
  });
  return () => reused;
}

/**
 * The volume test of one adapter: `LINGER_REQUESTS` (default 1,000) oversized uploads through
 * every client in `KINDS`; every one must get the 413 with its message, and none a reset.
 * `createServer` mounts the API at `/gov` with `lingeringClose: LINGERING`.
 */
export function oversizedUploadsTest(adapter: string, createServer: (manager: Manager) => http.Server): void {
  it(`${adapter}: ${TOTAL} oversized bodies (1–8 MiB) through fetch, node:http and a write-first client, keep-alive and not, all get the 413 with its message`, async () => {
    const manager = new Manager({ healthCheckInterval: 3_600_000, notificationInterval: 3_600_000 }, new MemoryStore());
    await manager.start();
    const server = createServer(manager);
    const reused = countReusedConnections(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let result: Awaited<ReturnType<typeof uploadAll>>;
    try {
      result = await uploadAll(`http://127.0.0.1:${(server.address() as { port: number }).port}/gov`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await manager.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const tallies = [...result.byKind.values()];
    const answered = tallies.reduce((sum, t) => sum + t.answered, 0);
    const resets = tallies.reduce((sum, t) => sum + t.resets, 0);
    console.log(
      [
        `[reliability] lingering close, ${adapter} (maxConnections ${LINGERING.maxConnections}): ${TOTAL} oversized bodies ` +
          `(1–8 MiB, ${CONCURRENCY} at a time) in ${seconds.toFixed(1)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ` +
          `clients and server together): ${answered} × 413 with its message, ${resets} resets; ` +
          `${reused()} uploads went over a reused keep-alive connection`,
        ...[...result.byKind].map(
          ([kind, t]) => `[reliability]   ${kind}: ${t.answered} × 413, ${t.resets} resets, mean ${(t.ms / Math.max(1, t.answered + t.resets)).toFixed(0)} ms`,
        ),
      ].join('\n'),
    );

    expect(result.wrong.slice(0, 10)).toEqual([]);
    expect(resets).toBe(0);
    expect(answered).toBe(TOTAL);
  }, 240_000);
}
