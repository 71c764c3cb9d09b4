import { StoreError, type StoreOperation } from '@governance/core';
import type { ErrorDescription, SqlDialectAdapter } from './sql-dialect';

const NETWORK: Record<string, (target: string) => ErrorDescription> = {
  ECONNREFUSED: (t) => ({ message: `cannot connect to ${t}: connection refused; is the server running at ${t}?`, transient: true }),
  ECONNRESET: (t) => ({ message: `the connection to ${t} was reset; the pool opens a new one on the next call`, transient: true }),
  EPIPE: (t) => ({ message: `the connection to ${t} was closed; the pool opens a new one on the next call`, transient: true }),
  ETIMEDOUT: (t) => ({ message: `timed out talking to ${t}; check the host, port and firewall, or raise connectTimeoutMs`, transient: true }),
  EHOSTUNREACH: (t) => ({ message: `host of ${t} is unreachable; check the host name and network`, transient: true }),
  ENETUNREACH: (t) => ({ message: `network of ${t} is unreachable; check the network`, transient: true }),
  EAI_AGAIN: (t) => ({ message: `cannot resolve the host of ${t} right now; check DNS`, transient: true }),
  ENOTFOUND: (t) => ({ message: `the host of ${t} does not exist; check the host name`, transient: false }),
};

/** The `code` of an error, looking inside `AggregateError`s (dual-stack connects). */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  const inner = (error as { errors?: unknown }).errors;
  return Array.isArray(inner) ? errorCode(inner[0]) : undefined;
}

/** The message of an error, or its string form. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message !== '') return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) return errorMessage(error.errors[0]);
  return String(error);
}

/** Classifies the network-level errors every driver surfaces (socket codes, TLS). */
export function describeNetworkError(error: unknown, target: string): ErrorDescription | undefined {
  const code = errorCode(error);
  if (code !== undefined && NETWORK[code] !== undefined) return NETWORK[code](target);
  if (code !== undefined && /CERT|SELF_SIGNED|TLS|SSL/i.test(code)) {
    return { message: `TLS handshake with ${target} failed (${errorMessage(error)}); check the SSL settings and certificates`, transient: false };
  }
  return undefined;
}

/**
 * Wraps anything a driver threw into a `StoreError` carrying it as `cause`, with a message that
 * says what to fix. A `StoreError` passes through unchanged.
 */
export function toStoreError(
  dialect: SqlDialectAdapter,
  operation: StoreOperation,
  error: unknown,
  target: string,
): StoreError {
  if (error instanceof StoreError) return error;
  const described = dialect.describeError(error, target) ??
    describeNetworkError(error, target) ?? { message: `${errorMessage(error)} (server ${target})`, transient: false };
  return new StoreError(dialect.storeName, operation, described.message, {
    cause: error,
    transient: described.transient,
  });
}
