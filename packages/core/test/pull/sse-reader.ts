import http from 'node:http';

/** One SSE event as the test reads it off the wire (not through the client under test). */
export interface SseFrame {
  id: string | undefined;
  data: any;
  /** `performance.now()` when the frame was complete. */
  at: number;
}

/** A raw `GET` of an SSE stream over a fresh connection, parsing frames by the blank-line rule. */
export class SseReader {
  readonly frames: SseFrame[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  comments = 0;
  ended = false;
  readonly #req: http.ClientRequest;
  #buffer = '';
  #waiters: Array<() => void> = [];
  readonly ready: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    this.#req = http.get(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.#feed(chunk));
      res.on('end', () => {
        this.ended = true;
        this.#wake();
      });
      res.on('error', () => undefined);
      resolveReady();
    });
    this.#req.on('error', (error) => {
      this.ended = true;
      rejectReady(error);
      this.#wake();
    });
  }

  /** Resolves once `count` frames arrived (or rejects after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 5_000): Promise<SseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      if (this.ended) throw new Error(`stream ended after ${this.frames.length} of ${count} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.frames.length} of ${count} frames within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.slice(0, count);
  }

  /** Resolves once `predicate` holds for the frames received (or rejects after `timeoutMs`). */
  async waitUntil(predicate: (frames: SseFrame[]) => boolean, timeoutMs = 5_000): Promise<SseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (this.ended) throw new Error(`stream ended after ${this.frames.length} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`condition not met within ${timeoutMs} ms (${this.frames.length} frames)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames;
  }

  get lastId(): string | undefined {
    return this.frames.at(-1)?.id;
  }

  /** Cuts the connection (as a network failure would). */
  close(): void {
    this.#req.destroy();
  }

  #feed(chunk: string): void {
    this.#buffer += chunk;
    let at: number;
    while ((at = this.#buffer.indexOf('\n\n')) !== -1) {
      const block = this.#buffer.slice(0, at);
      this.#buffer = this.#buffer.slice(at + 2);
      let id: string | undefined;
      let data: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments++;
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data = line.slice(6);
      }
      if (data !== undefined) this.frames.push({ id, data: JSON.parse(data), at: performance.now() });
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
