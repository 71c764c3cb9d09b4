import http from 'node:http';

/** One answer of {@link HttpClient.send}. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * A keep-alive HTTP client for the reliability tests: sends raw bytes and any headers (so a
 * test can send invalid UTF-8 or a wrong content type) and reads the whole answer.
 */
export class HttpClient {
  readonly agent: http.Agent;
  readonly #base: URL;

  constructor(base: string, maxSockets = 16) {
    this.#base = new URL(base);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  send(
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' },
    options: { timeoutMs?: number } = {},
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.#base.hostname,
          port: this.#base.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: options.timeoutMs ?? 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async json(method: string, path: string, value?: unknown): Promise<{ status: number; body: any }> {
    const answer = await this.send(method, path, value === undefined ? undefined : JSON.stringify(value));
    let parsed: unknown;
    try {
      parsed = answer.body === '' ? undefined : JSON.parse(answer.body);
    } catch {
      parsed = answer.body;
    }
    return { status: answer.status, body: parsed };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A snake_case registration body, as a pod would send it. */
export function wireRegistration(
  serviceName: string,
  podName: string,
  urls: { health: string; notify: string },
  subscriptions: string[] = [],
): Record<string, unknown> {
  return {
    service_name: serviceName,
    pod_name: podName,
    providers: [{ protocol: 'http', ip: '10.1.2.3', port: 8080 }],
    health_check_url: urls.health,
    notification_url: urls.notify,
    subscriptions,
  };
}
