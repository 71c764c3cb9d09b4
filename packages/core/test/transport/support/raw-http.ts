import net from 'node:net';

/** One HTTP answer read off a raw connection. */
export interface RawAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  text: string;
  /** The parsed JSON body, or undefined. */
  json: any;
}

/** How a raw connection ended. */
export interface RawEnding {
  /** The first answer, if it was read completely before the connection closed. */
  answer: RawAnswer | undefined;
  /** The socket error (`ECONNRESET`, `EPIPE`, …); undefined for a clean close by the server. */
  error: string | undefined;
  /** Body bytes this client handed to its kernel before the end. */
  bodySent: number;
}

/**
 * A hand-driven HTTP/1.1 client on one TCP connection, for the cases `fetch` and `node:http`
 * cannot express: writing the whole body before reading anything (as Python's `http.client`
 * does), dripping a body byte by byte, or sending headers and then waiting.
 */
export class RawConnection {
  readonly #socket: net.Socket;
  readonly #basePath: string;
  readonly #localPort: number;
  readonly #ended: Promise<RawEnding>;
  #chunks: Buffer[] = [];
  #answer: RawAnswer | undefined;
  #answerWaiters: Array<(answer: RawAnswer | undefined) => void> = [];
  #error: string | undefined;
  #closed = false;
  #bodySent = 0;

  private constructor(socket: net.Socket, basePath: string) {
    this.#socket = socket;
    this.#basePath = basePath;
    this.#localPort = socket.localPort ?? 0;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#error ??= error.code ?? error.message;
    });
    this.#ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.#closed = true;
        this.#settleAnswer();
        resolve({ answer: this.#answer, error: this.#error, bodySent: this.#bodySent });
      });
    });
  }

  /**
   * Connects to the host and port of `baseUrl` (request paths are relative to its path); reading
   * starts only with {@link read} or {@link answer}. With `ignoreFin`, the client keeps sending
   * after the server half-closed, as a careless or hostile client does.
   */
  static open(baseUrl: string, options: { ignoreFin?: boolean } = {}): Promise<RawConnection> {
    const url = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: options.ignoreFin ?? false }, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket, url.pathname.replace(/\/$/, '')));
      });
      socket.once('error', reject);
    });
  }

  /** Sends the request line and headers; `path` is relative to the base URL's path. */
  head(method: string, path: string, headers: Record<string, string>): void {
    const lines = [`${method} ${this.#basePath}${path} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    this.#socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** Sends body bytes; resolves once the kernel took them, or with the socket error. */
  body(bytes: Buffer): Promise<string | undefined> {
    if (this.#closed || !this.#socket.writable) return Promise.resolve(this.#error ?? 'closed');
    return new Promise((resolve) => {
      this.#socket.write(bytes, (error?: Error | null) => {
        if (error) resolve((error as NodeJS.ErrnoException).code ?? error.message);
        else {
          this.#bodySent += bytes.length;
          resolve(undefined);
        }
      });
    });
  }

  /** Starts reading answers off the connection. */
  read(): void {
    this.#socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#parse();
    });
  }

  /** The first answer, once complete; undefined when the connection closed first. Starts reading. */
  answer(): Promise<RawAnswer | undefined> {
    if (this.#socket.listenerCount('data') === 0) this.read();
    if (this.#answer || this.#closed) return Promise.resolve(this.#answer);
    return new Promise((resolve) => this.#answerWaiters.push(resolve));
  }

  /** Resolves when the connection has closed (either side). */
  ended(): Promise<RawEnding> {
    return this.#ended;
  }

  /** The client's port: the server sees it as the connection's remote port. */
  get localPort(): number {
    return this.#localPort;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection from the client side. */
  destroy(): void {
    this.#socket.destroy();
  }

  #parse(): void {
    if (this.#answer) return;
    const raw = Buffer.concat(this.#chunks);
    const headEnd = raw.indexOf('\r\n\r\n');
    if (headEnd === -1) return;
    const [statusLine = '', ...lines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const at = line.indexOf(':');
      headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = raw.subarray(headEnd + 4);
    if (body.length < length) return;
    const text = body.subarray(0, length).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    this.#answer = { status: Number(statusLine.split(' ')[1]), headers, text, json };
    this.#settleAnswer();
  }

  #settleAnswer(): void {
    for (const waiter of this.#answerWaiters.splice(0)) waiter(this.#answer);
  }
}
