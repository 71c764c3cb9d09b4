import { createHash } from 'node:crypto';
import { errorMessage } from '@governance/sql-shared';
import pg from 'pg';

/** PostgreSQL identifiers (and so LISTEN channels) are at most 63 bytes. */
const MAX_CHANNEL = 63;
/** Reconnect backoff: 100 ms doubling up to 10 s, with jitter. */
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 10_000;
/** By default a `select 1` every 15 s proves the connection still answers; no answer within 10 s drops it. */
const HEARTBEAT = { everyMs: 15_000, timeoutMs: 10_000 };

/** How often the listener proves its connection alive, and how long it waits for the answer. */
export interface HeartbeatTiming {
  everyMs: number;
  timeoutMs: number;
}

/**
 * The NOTIFY channel of one registry: `<schema>.<prefix>governance_changes`, so two registries in
 * one database (other schema or prefix) never wake each other. A name longer than PostgreSQL's
 * 63-byte limit becomes `governance_changes_<first 24 hex digits of sha256(schema.prefix)>`.
 */
export function changeChannel(schema: string, prefix: string): string {
  const name = `${schema}.${prefix}governance_changes`;
  if (Buffer.byteLength(name) <= MAX_CHANNEL) return name;
  return `governance_changes_${createHash('sha256').update(`${schema}.${prefix}`).digest('hex').slice(0, 24)}`;
}

/** The `application_name` of a listening connection: says what it listens to (63 bytes at most). */
export function listenerName(channel: string): string {
  return `governance-listen ${channel}`.slice(0, MAX_CHANNEL);
}

/** What a listener is told. */
export interface ListenerCallbacks {
  /** A logged transaction committed somewhere (or the connection was re-established: catch up). */
  /** `seq`: the newest seq of the committed transaction, when its notification carried one. */
  onHint(seq?: number): void;
  /** The connection was lost or could not be re-established; the listener keeps retrying. */
  onError(error: Error): void;
}

/**
 * `LISTEN` on a dedicated `pg.Client` (never a pooled connection, which would be handed to other
 * queries and lose the subscription). TCP keep-alive plus a periodic `select 1` detect a
 * connection that died silently; a lost connection is re-opened with backoff and, once listening
 * again, reported as a hint so the caller catches up on what it missed. The socket and timers are
 * unref'd: a listener never keeps a process alive.
 */
export class PostgresListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #target: string;
  readonly #callbacks: ListenerCallbacks;
  readonly #heartbeatTiming: HeartbeatTiming;
  #client: pg.Client | undefined;
  #closed = false;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  private constructor(config: pg.ClientConfig, channel: string, target: string, callbacks: ListenerCallbacks, heartbeat: HeartbeatTiming) {
    this.#config = config;
    this.#channel = channel;
    this.#target = target;
    this.#callbacks = callbacks;
    this.#heartbeatTiming = heartbeat;
  }

  /**
   * Connects and listens; rejects when this first connection fails (nothing keeps retrying then).
   * `target` (`host:port/database`) is for messages; `heartbeat` is for tests.
   */
  static async start(
    config: pg.ClientConfig,
    channel: string,
    target: string,
    callbacks: ListenerCallbacks,
    heartbeat: HeartbeatTiming = HEARTBEAT,
  ): Promise<PostgresListener> {
    const listener = new PostgresListener(config, channel, target, callbacks, heartbeat);
    await listener.#connect();
    return listener;
  }

  /** Stops listening and reconnecting. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    // Ref the socket again while it closes: otherwise an idle process could exit in the middle of
    // its owner's shutdown (and skip what comes after this close, such as leaving the cluster).
    (socketOf(client) as { ref?(): void } | undefined)?.ref?.();
    await client.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ ...this.#config, keepAlive: true, keepAliveInitialDelayMillis: 10_000, application_name: listenerName(this.#channel) });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('the connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#callbacks.onHint(seqOf(message.payload));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.#channel)}`);
      // Only now: a pending query on an unref'd socket would let an idle process exit mid-way.
      unrefSocket(client);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#failures = 0;
    this.#heartbeat = setInterval(() => this.#beat(client), this.#heartbeatTiming.everyMs).unref();
  }

  #beat(client: pg.Client): void {
    const { timeoutMs } = this.#heartbeatTiming;
    const timeout = setTimeout(() => this.#lost(client, new Error(`no answer to a heartbeat within ${timeoutMs} ms`)), timeoutMs).unref();
    client.query('select 1').then(
      () => clearTimeout(timeout),
      (error: unknown) => {
        clearTimeout(timeout);
        this.#lost(client, error);
      },
    );
  }

  #lost(client: pg.Client, error: unknown): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    clearInterval(this.#heartbeat);
    client.end().catch(() => undefined);
    // A connection that stopped answering would wait for the peer's goodbye forever.
    socketOf(client)?.destroy?.();
    if (this.#closed) return;
    this.#report('was lost', error);
  }

  /** Tells `onError` and tries again after the next backoff step. */
  #report(what: string, error: unknown): void {
    const delay = Math.round(Math.min(FIRST_RETRY_MS * 2 ** this.#failures, LAST_RETRY_MS) * (0.5 + Math.random() / 2));
    this.#failures++;
    this.#callbacks.onError(
      new Error(`[store-postgres] the LISTEN connection to ${this.#target} ${what} (${errorMessage(error)}); reconnecting in ${delay} ms`, {
        cause: error,
      }),
    );
    this.#retry = setTimeout(() => {
      this.#connect().then(
        () => {
          if (!this.#closed) this.#callbacks.onHint();
        },
        (failure: unknown) => {
          if (!this.#closed) this.#report('could not be re-opened', failure);
        },
      );
    }, delay).unref();
  }
}

/** The client's socket (pg keeps it as `connection.stream`). */
function socketOf(client: pg.Client): { unref?(): void; destroy?(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { unref?(): void; destroy?(): void } } }).connection?.stream;
}

/** Lets the process exit while the listening socket is open. */
function unrefSocket(client: pg.Client): void {
  socketOf(client)?.unref?.();
}

/** The seq a notification carries (`appendLog` sends the transaction's newest seq), or undefined. */
function seqOf(payload: string | undefined): number | undefined {
  if (payload === undefined || !/^\d{1,16}$/.test(payload)) return undefined;
  const seq = Number(payload);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
