import http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body (undefined when the body is not JSON). */
  json: any;
}

export interface SendOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Stream the body with chunked transfer encoding instead of declaring Content-Length. */
  chunked?: boolean;
}

/**
 * One request over a fresh connection. When the server answers before the whole body was sent
 * (413) and then closes, the write error that follows is ignored: the answer is what counts.
 */
export function send(baseUrl: string, method: string, path: string, options: SendOptions = {}): Promise<HttpAnswer> {
  const url = new URL(baseUrl + path);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent: false,
        headers: {
          ...(options.body !== undefined && !options.chunked ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.chunked && options.body !== undefined) {
      const body = Buffer.from(options.body);
      for (let at = 0; at < body.length; at += 16 * 1024) req.write(body.subarray(at, at + 16 * 1024));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/** POSTs JSON text (or any string/Buffer) with `Content-Type: application/json`. */
export function postJson(baseUrl: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return send(baseUrl, 'POST', path, { body, headers: { 'content-type': 'application/json', ...headers } });
}
