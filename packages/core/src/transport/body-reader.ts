import type { IncomingMessage } from 'node:http';

/** Why reading a request body stopped early. */
export class BodyReadError extends Error {
  readonly reason: 'too-large' | 'aborted';
  readonly limit: number;

  constructor(reason: 'too-large' | 'aborted', limit: number, message: string) {
    super(message);
    this.name = 'BodyReadError';
    this.reason = reason;
    this.limit = limit;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads a request body into one Buffer, never holding more than `limit` bytes: a declared
 * `Content-Length` above the limit is refused before reading anything, and a streamed body is
 * paused the moment it crosses the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  if (req.readableEnded) return Promise.resolve(EMPTY);

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;

    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = () => {
      cleanup();
      reject(new BodyReadError('aborted', limit, '[core] the request body could not be read; the client went away'));
    };
    const onClose = () => {
      if (!req.readableEnded) onError();
    };

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(limit: number): BodyReadError {
  return new BodyReadError(
    'too-large',
    limit,
    `[core] request body is larger than ${limit} bytes; send a smaller registration or raise bodyLimit`,
  );
}
