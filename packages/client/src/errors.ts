import type { FieldError } from './wire.js';

/** Machine-readable kinds of client error. */
export type GovernanceClientErrorCode =
  | 'REQUEST_FAILED'
  | 'REGISTRATION_REJECTED'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'MANAGER_UNAVAILABLE'
  | 'INVALID_OPTIONS';

/**
 * Base class of every error the client throws. `status` is the HTTP status of the manager's
 * answer when there was one; `cause` holds the underlying error (network failure, timeout).
 */
export class GovernanceClientError extends Error {
  override name = 'GovernanceClientError';
  readonly code: GovernanceClientErrorCode;
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { code?: GovernanceClientErrorCode; status?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'REQUEST_FAILED';
    this.status = options.status;
  }
}

/**
 * The manager refused a registration as invalid (HTTP 400). `errors` lists every field the
 * manager complained about, e.g. `{ path: 'providers.0.port', message: 'must be 1–65535' }`.
 */
export class RegistrationRejectedError extends GovernanceClientError {
  override name = 'RegistrationRejectedError';
  readonly errors: FieldError[];

  constructor(message: string, errors: FieldError[]) {
    super(message, { code: 'REGISTRATION_REJECTED', status: 400 });
    this.errors = errors;
  }
}

/** The manager refused the request's credentials (HTTP 401 or 403). Never retried. */
export class UnauthorizedError extends GovernanceClientError {
  override name = 'UnauthorizedError';

  constructor(message: string, status: 401 | 403) {
    super(message, { code: 'UNAUTHORIZED', status });
  }
}

/** The manager does not know the pod (HTTP 404), e.g. when unregistering an unknown pod. */
export class NotFoundError extends GovernanceClientError {
  override name = 'NotFoundError';

  constructor(message: string) {
    super(message, { code: 'NOT_FOUND', status: 404 });
  }
}

/**
 * Every attempt failed transiently (network error, timeout, 429, 502, 503 or 504).
 * `attempts` says how many were made; `cause` is the last failure; `status` is the last
 * HTTP status, if the manager answered at all.
 */
export class ManagerUnavailableError extends GovernanceClientError {
  override name = 'ManagerUnavailableError';
  readonly attempts: number;

  constructor(message: string, attempts: number, options: { status?: number | undefined; cause?: unknown }) {
    super(message, { code: 'MANAGER_UNAVAILABLE', status: options.status, cause: options.cause });
    this.attempts = attempts;
  }
}
