import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from './api-tokens';

/** A refused request: answered with `status` and `{ "error": message }`. */
export interface AuthorizeRejection {
  status: 401 | 403;
  /** Sent as `{ "error": message }`. */
  message: string;
  /** Extra response headers, for example `WWW-Authenticate` with a 401. */
  headers?: Record<string, string>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Compares two secrets in constant time: both are hashed with SHA-256 first, so neither their
 * length nor the position of the first differing byte shows in the timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

interface Entry {
  token: ApiToken;
  digest: Buffer;
  all: boolean;
  services: ReadonlySet<string>;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

const CHALLENGE = Object.freeze({ 'www-authenticate': 'Bearer realm="governance"' });

/**
 * Checks bearer tokens against the configured {@link ApiToken}s. Every configured token is hashed
 * once, here; a presented token is hashed once and compared with every digest by
 * `crypto.timingSafeEqual`, without stopping at a match, so the time taken does not tell which
 * token (or whether any) matched.
 */
export class TokenAuthenticator {
  readonly #entries: Entry[];

  constructor(tokens: readonly ApiToken[]) {
    this.#entries = tokens.map((token) => ({
      token,
      digest: digest(token.token),
      all: token.services.includes('*'),
      services: new Set(token.services),
    }));
  }

  /** False when no token is configured: the API is open (trusted networks only). */
  get enabled(): boolean {
    return this.#entries.length > 0;
  }

  /** The configured token an `Authorization: Bearer …` header value carries, or `undefined`. */
  authenticate(authorization: string | undefined): ApiToken | undefined {
    const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    const hashed = digest(presented ?? '');
    let found: Entry | undefined;
    for (const entry of this.#entries) {
      const equal = timingSafeEqual(hashed, entry.digest);
      if (equal && found === undefined) found = entry;
    }
    return presented === undefined ? undefined : found?.token;
  }

  /**
   * The transport's first check of a request's `Authorization` header: the token it carries, or
   * a 401 rejection (no, malformed or unknown token). Runs before any of the body is read.
   */
  check(headers: { readonly authorization?: string | readonly string[] | undefined }): { token: ApiToken } | AuthorizeRejection {
    const raw = headers.authorization;
    const value = Array.isArray(raw) ? (raw.length === 1 ? raw[0] : undefined) : raw;
    if (value === undefined || value === '') {
      return unauthorized('[core] this endpoint needs a token; send Authorization: Bearer <token>');
    }
    const token = this.authenticate(value);
    if (token === undefined) {
      return unauthorized('[core] the bearer token is not valid; send one of the tokens configured on the manager');
    }
    return { token };
  }

  /** A 403 rejection unless `token` may register and unregister pods of `serviceName`. */
  checkWrite(token: ApiToken, serviceName: string): AuthorizeRejection | undefined {
    const entry = this.#entries.find((e) => e.token === token);
    if (entry !== undefined && (entry.all || entry.services.has(serviceName))) return undefined;
    return {
      status: 403,
      message:
        `[core] token${labelOf(token)} may not change service "${serviceName}"; ` +
        'add the service to its services list (or "*")',
    };
  }

  /** A 403 rejection unless `token` may read the registry. */
  checkRead(token: ApiToken): AuthorizeRejection | undefined {
    if (token.read) return undefined;
    return { status: 403, message: `[core] token${labelOf(token)} may not read the registry; set read: true on it` };
  }
}

function labelOf(token: ApiToken): string {
  return token.name === undefined ? '' : ` "${token.name}"`;
}

function unauthorized(message: string): AuthorizeRejection {
  return { status: 401, message, headers: { ...CHALLENGE } };
}
