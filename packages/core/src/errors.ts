/**
 * Typed errors. Every error the library throws on purpose is a `GovernanceError` with a stable
 * `code`; messages start with the package that raised them (`[core] …`, `[store-postgres] …`)
 * and say what to do.
 */

export type GovernanceErrorCode =
  | 'VALIDATION'
  | 'STORE'
  | 'QUEUE_FULL'
  | 'NOT_FOUND'
  | 'MANAGER_STOPPED'
  | 'CLUSTER'
  | 'WATCH_LIMIT';

export class GovernanceError extends Error {
  readonly code: GovernanceErrorCode;

  constructor(code: GovernanceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** One problem with an input, named by its field path (`providers[2].port`). */
export interface FieldError {
  path: string;
  message: string;
}

/** Bad input: a registration, a config, a query parameter. Carries every field problem. */
export class ValidationError extends GovernanceError {
  readonly errors: FieldError[];

  /**
   * @param options.context what was invalid (`registration`, `manager config`, …)
   * @param options.package the package named at the start of the message (default `core`)
   */
  constructor(errors: FieldError[], options?: { context?: string; package?: string; cause?: unknown }) {
    const list = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
    super('VALIDATION', `[${options?.package ?? 'core'}] invalid ${options?.context ?? 'input'}: ${list}`, options);
    this.errors = errors;
  }
}

/** Operations a store can fail at; used in `StoreError.operation`. */
export type StoreOperation =
  | 'connect'
  | 'migrate'
  | 'saveService'
  | 'getService'
  | 'getServicesByName'
  | 'getAllServices'
  | 'deleteService'
  | 'updateHealthStatus'
  | 'addSubscription'
  | 'removeSubscription'
  | 'removeAllSubscriptions'
  | 'getSubscribers'
  | 'getSubscriberServices'
  | 'applyBatch'
  | 'clear'
  | 'stats'
  | 'ping'
  | 'close'
  // StoreChangeFeed (coordination.ts)
  | 'applyLoggedBatch'
  | 'readChanges'
  | 'snapshot'
  | 'flushHealthTimes'
  | 'prune'
  | 'watch'
  // StoreMembership (coordination.ts)
  | 'join'
  | 'renew'
  | 'leave'
  | 'members';

/**
 * A store could not do what was asked: connection refused, authentication failed, the store
 * was closed, a constraint was violated. `cause` holds the driver's own error.
 * `transient` is true when retrying later may succeed (connection lost, timeout, deadlock).
 */
export class StoreError extends GovernanceError {
  readonly store: string;
  readonly operation: StoreOperation;
  readonly transient: boolean;

  constructor(
    store: string,
    operation: StoreOperation,
    message: string,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super('STORE', `[${store}] ${operation} failed: ${message}`, options);
    this.store = store;
    this.operation = operation;
    this.transient = options?.transient ?? false;
  }
}

/** The manager's ordered lane is full; the caller should retry after `retryAfterMs`. */
export class QueueFullError extends GovernanceError {
  readonly retryAfterMs: number;

  constructor(queueSize: number, retryAfterMs = 1000) {
    super(
      'QUEUE_FULL',
      `[core] the event queue is full (${queueSize} pending changes); retry after ${Math.ceil(retryAfterMs / 1000)} s or raise eventQueueSize`,
    );
    this.retryAfterMs = retryAfterMs;
  }
}

/** A pod (or other named thing) does not exist. */
export class NotFoundError extends GovernanceError {
  constructor(message: string) {
    super('NOT_FOUND', `[core] ${message}`);
  }
}

/** The manager is not running (not started yet, or stopped). */
export class ManagerStoppedError extends GovernanceError {
  constructor(message = 'the manager is not running; call start() first') {
    super('MANAGER_STOPPED', `[core] ${message}`);
  }
}

/**
 * Cluster coordination refused to go on: for example a second manager started on a store that
 * allows only one (MongoDB without a change feed), while the first one's lease is live.
 */
export class ClusterError extends GovernanceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLUSTER', `[core] ${message}`, options);
  }
}

/** Too many watchers (SSE streams and blocking queries) at once; the caller should retry later. */
export class WatchLimitError extends GovernanceError {
  readonly limit: number;

  constructor(limit: number, message = `too many watchers (${limit}); retry later or raise maxWatchers`) {
    super('WATCH_LIMIT', `[core] ${message}`);
    this.limit = limit;
  }
}

/** True for errors that carry `code` (works across duplicated copies of the package). */
export function isGovernanceError(error: unknown): error is GovernanceError {
  return error instanceof GovernanceError || (error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'code' in error && (error as { code: string }).code in CODES);
}

const CODES: Record<GovernanceErrorCode, true> = {
  VALIDATION: true,
  STORE: true,
  QUEUE_FULL: true,
  NOT_FOUND: true,
  MANAGER_STOPPED: true,
  CLUSTER: true,
  WATCH_LIMIT: true,
};

/** A path step as Standard Schema reports it: a key, or an object holding the key. */
export type PathSegment = PropertyKey | { readonly key: PropertyKey };

/** `providers[2].port` from a schema issue path; `rename` maps the first (top-level) field. */
export function formatPath(path: readonly PathSegment[], rename?: (field: string) => string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const segment = typeof step === 'object' ? step.key : step;
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const text = String(segment);
      const named = i === 0 && rename ? rename(text) : text;
      out += out === '' ? named : `.${named}`;
    }
  }
  return out;
}

/** One line per problem: `providers[2].port: must be an integer 1..65535`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('\n');
}
