import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { GovernanceResponse } from './handler-types';

/** Bounds of the lingering close (see {@link ResponseWriter}). */
export interface LingeringCloseOptions {
  /** Most body bytes read and discarded after the answer. Default 16 MiB. */
  maxBytes?: number;
  /** Longest time spent discarding, in milliseconds. Default 5,000. */
  timeoutMs?: number;
  /**
   * Most connections discarding at once, per mounted adapter. Beyond it a connection is closed
   * right after its answer (the client may then see a reset). Default 256; 0 turns lingering off.
   */
  maxConnections?: number;
}

/** Default lingering-close bounds: 16 MiB, 5 s, 256 connections. */
export const DEFAULT_LINGERING_CLOSE: Readonly<Required<LingeringCloseOptions>> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  timeoutMs: 5_000,
  maxConnections: 256,
});

/**
 * Finishes handler answers for Node responses, and owns the lingering close of every adapter.
 *
 * An answer that leaves request body bytes on the wire (the handler refused before reading it
 * all: 413, 415, 401/403, …) gets `Connection: close`. Once Node has written it and would
 * close the socket, the connection instead half-closes (the answer and a FIN go out), reads and
 * discards the rest of the body without buffering or parsing it, and closes when the body ends,
 * the client goes away, or `maxBytes` / `timeoutMs` is reached. Closing at once would make the
 * kernel reset a connection that still has unread input, and the reset can destroy the answer
 * before the client reads it. At most `maxConnections` connections linger at once.
 */
export class ResponseWriter {
  readonly #bounds: Readonly<Required<LingeringCloseOptions>>;
  #lingering = 0;

  constructor(options: LingeringCloseOptions = {}) {
    this.#bounds = {
      maxBytes: bound(options.maxBytes, 'maxBytes', DEFAULT_LINGERING_CLOSE.maxBytes),
      timeoutMs: bound(options.timeoutMs, 'timeoutMs', DEFAULT_LINGERING_CLOSE.timeoutMs),
      maxConnections: bound(options.maxConnections, 'maxConnections', DEFAULT_LINGERING_CLOSE.maxConnections),
    };
  }

  /**
   * The answer to send for `req`: unchanged when the request body was read to its end (by the
   * adapter or by the host's body parser) or there was none; otherwise with `Connection: close`,
   * and the connection set to linger once Node has written the answer.
   */
  finish(req: IncomingMessage, response: GovernanceResponse): GovernanceResponse {
    if (!leavesBodyUnread(req)) return response;
    this.#lingerAfterAnswer(req);
    return { ...response, headers: { ...response.headers, connection: 'close' } };
  }

  /**
   * Writes `response` with one `writeHead` (no body for HEAD), lingering when the body is unread.
   * A streaming answer is piped and destroyed when the client goes away.
   */
  write(req: IncomingMessage, res: ServerResponse, response: GovernanceResponse): void {
    const { status, headers, body, stream } = this.finish(req, response);
    if (stream !== undefined) {
      res.once('close', () => stream.destroy());
      if (res.destroyed || req.socket.destroyed) return void stream.destroy();
      res.writeHead(status, headers);
      res.flushHeaders();
      stream.pipe(res);
      return;
    }
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /**
   * Node ends a `Connection: close` exchange by calling `socket.destroySoon()` once the answer
   * is written (or `socket.end()` on sockets without it); this connection's own `destroySoon`
   * lingers instead, within the bounds.
   */
  #lingerAfterAnswer(req: IncomingMessage): void {
    const socket = req.socket;
    if (!(socket instanceof Socket) || req.httpVersionMajor !== 1 || Object.hasOwn(socket, 'destroySoon')) return;
    const close = socket.destroySoon;
    socket.destroySoon = () => {
      delete (socket as Partial<Socket>).destroySoon;
      if (req.complete || socket.destroyed || this.#lingering >= this.#bounds.maxConnections) close.call(socket);
      else this.#linger(req, socket);
    };
  }

  #linger(req: IncomingMessage, socket: Socket): void {
    const { maxBytes, timeoutMs } = this.#bounds;
    this.#lingering++;
    socket.end();
    let discarded = 0;
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', stop);
      socket.off('close', stop);
      this.#lingering--;
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      discarded += chunk.length;
      if (discarded > maxBytes) stop();
    };
    const timer = setTimeout(stop, timeoutMs);
    timer.unref();
    req.on('data', onData);
    req.on('end', stop);
    socket.on('close', stop);
    req.resume();
  }
}

/** True when answering `req` now leaves part of its body unread on the connection. */
function leavesBodyUnread(req: IncomingMessage): boolean {
  if (req.complete || req.destroyed || req.socket.destroyed) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function bound(value: number | undefined, name: keyof LingeringCloseOptions, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    const unit = name === 'timeoutMs' ? 'milliseconds' : name === 'maxBytes' ? 'bytes' : 'connections';
    throw new TypeError(`[core] lingeringClose.${name} must be a whole number of ${unit} (0 or more), got ${String(value)}`);
  }
  return value;
}
