import type { IncomingMessage, ServerResponse } from 'node:http';
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
 * Writes handler answers to Node responses, and owns the lingering close of every adapter.
 *
 * An answer that leaves request body bytes on the wire (the handler refused before reading it
 * all) is sent with `Connection: close`; the connection then reads and discards the rest of the
 * body, without buffering or parsing it, until the body ends, the client goes away, or
 * `maxBytes` / `timeoutMs` is reached, and only then closes. Closing at once would make the
 * kernel reset a connection that still has unread input, and the reset can destroy the answer
 * before the client reads it. At most `maxConnections` connections discard at once.
 */
export class ResponseWriter {
  readonly #bounds: Readonly<Required<LingeringCloseOptions>>;
  #draining = 0;

  constructor(options: LingeringCloseOptions = {}) {
    this.#bounds = {
      maxBytes: bound(options.maxBytes, 'maxBytes', DEFAULT_LINGERING_CLOSE.maxBytes),
      timeoutMs: bound(options.timeoutMs, 'timeoutMs', DEFAULT_LINGERING_CLOSE.timeoutMs),
      maxConnections: bound(options.maxConnections, 'maxConnections', DEFAULT_LINGERING_CLOSE.maxConnections),
    };
  }

  /** Connections that are discarding a request body right now. */
  get draining(): number {
    return this.#draining;
  }

  /**
   * True when answering `req` now leaves part of its body unread on the connection. Nothing is
   * left when the body was read to its end (by the adapter or by the host's body parser) or
   * the request declared none.
   */
  leavesBodyUnread(req: IncomingMessage): boolean {
    if (req.complete || req.destroyed || req.socket.destroyed) return false;
    const length = req.headers['content-length'];
    return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  }

  /** Writes `response` with one `writeHead` (no body for HEAD), lingering when the body is unread. */
  write(req: IncomingMessage, res: ServerResponse, response: GovernanceResponse): void {
    const headers: Record<string, string | number> = { ...response.headers, 'content-length': Buffer.byteLength(response.body) };
    const body = req.method === 'HEAD' ? '' : response.body;
    if (!this.leavesBodyUnread(req)) {
      res.writeHead(response.status, headers);
      res.end(body);
      return;
    }
    headers.connection = 'close';
    res.writeHead(response.status, headers);
    if (this.#draining >= this.#bounds.maxConnections) {
      res.end(body);
      return;
    }
    // The answer goes out now; ending the response is what makes Node close the socket.
    if (body !== '') res.write(body);
    this.#drainThenEnd(req, res);
  }

  #drainThenEnd(req: IncomingMessage, res: ServerResponse): void {
    const { maxBytes, timeoutMs } = this.#bounds;
    this.#draining++;
    let discarded = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', finish);
      req.off('error', finish);
      req.off('close', finish);
      res.off('close', finish);
      this.#draining--;
      if (!res.writableEnded) res.end();
    };
    const onData = (chunk: Buffer): void => {
      discarded += chunk.length;
      if (discarded > maxBytes) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    timer.unref();
    req.on('data', onData);
    req.on('end', finish);
    req.on('error', finish);
    req.on('close', finish);
    res.on('close', finish);
    req.resume();
  }
}

function bound(value: number | undefined, name: keyof LingeringCloseOptions, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    const unit = name === 'timeoutMs' ? 'milliseconds' : name === 'maxBytes' ? 'bytes' : 'connections';
    throw new TypeError(`[core] lingeringClose.${name} must be a whole number of ${unit} (0 or more), got ${String(value)}`);
  }
  return value;
}
