import type http from 'node:http';
import type { TargetPolicyGuard } from '../security/target-policy';
import { CancelToken } from './backoff';
import { IoPool } from './io-pool';
import { silentLogger, type Logger } from './logger';
import { parseProbeTarget, runProbe, type ProbeResult } from './probe';

export type { ProbeResult } from './probe';

/**
 * Checks one health URL once: `http(s)://…` → GET, healthy on a 2xx answer (the body is
 * discarded); `tcp://host:port` → healthy when a TCP connection opens. Each attempt gets
 * `timeoutMs`; at most 4 KiB of a body is read; a failed attempt is retried `retries` times with short exponential backoff
 * (50 ms, 100 ms, 200 ms … capped at 1 s). Never rejects: failures, timeouts, unsupported URLs
 * and aborts resolve `healthy: false` with `error` saying why.
 *
 * Without `agent` every attempt uses a fresh connection; pass a keep-alive `http.Agent` (or an
 * `https.Agent` for `https:` URLs) to reuse sockets.
 */
export function probeTarget(
  url: string,
  options: { timeoutMs: number; retries: number; signal?: AbortSignal; agent?: http.Agent },
): Promise<ProbeResult> {
  const target = parseProbeTarget(url);
  const token = new CancelToken();
  const detach = token.follow(options.signal);
  const agent = options.agent && target.kind === 'http' && agentFits(options.agent, target.request.protocol) ? options.agent : false;
  return runProbe(target, { timeoutMs: options.timeoutMs, retries: options.retries, agent, token }).finally(detach);
}

function agentFits(agent: http.Agent, protocol: string): boolean {
  const own = (agent as { protocol?: string }).protocol;
  return own === undefined || own === protocol;
}

/** Settings of a {@link HealthChecker}. Durations are in milliseconds. */
export interface HealthCheckerOptions {
  /** Every tracked pod is checked once per interval; start times are spread across it. */
  intervalMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Extra attempts after a failed one (short exponential backoff between them). */
  retries: number;
  /** Most checks in flight at once (and most sockets per origin). */
  concurrency: number;
  /** Called once per completed check of a still-tracked pod. A throwing callback is logged. */
  onResult(key: string, result: ProbeResult): void;
  /** The outbound target policy: a refused URL or resolved address fails the check with the reason. */
  guard?: Pick<TargetPolicyGuard, 'lookup' | 'connectProblem'>;
  logger?: Logger;
  /**
   * Cluster mode: whether this replica checks the pod now (owns it). Asked before each check
   * starts; a pod it does not own stays tracked (so it can be taken over at once) but unchecked.
   */
  mayStart?(key: string): boolean;
  /** Most bytes of a health endpoint's body read before the connection is closed. Default 4096. */
  bodyLimit?: number;
}

const enum State {
  Idle,
  Queued,
  Running,
}

interface Entry {
  key: string;
  /** Parsed at each check, not stored: keeps the per-pod footprint small (10,000s of pods). */
  url: string;
  slot: number;
  /** Position in `slots[slot]` (swap-remove on untrack). */
  slotIndex: number;
  state: State;
  /** Bumped when the URL changes: a result for an older URL is dropped. */
  generation: number;
  /** Check again as soon as the running one ends (an immediate check asked while busy). */
  again: boolean;
  removed: boolean;
  lastStart: number;
  token: CancelToken | undefined;
  waiters: Array<() => void> | undefined;
}

/** Slot width of the scheduling wheel: every slot's pods start together. */
const SLOT_TARGET_MS = 100;
const MAX_SLOTS = 1000;
/** Pods queued by `sweep()` before it yields to the event loop. */
const SWEEP_BATCH = 128;
/** Checks started per event-loop turn at most; the rest start on the next turns. */
const STARTS_PER_TURN = 64;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The engine's probe pool. Tracked pods sit in the slots of one timing wheel that turns once
 * per interval (one unref'd timer for all pods); each pod goes to the least-loaded slot, so
 * checks are spread evenly over the interval instead of all starting at once. Checks run in a
 * p-queue limited to `concurrency`, over keep-alive agents; a pod never has two checks at
 * once. Results go to `onResult`, except for pods untracked meanwhile (dropped).
 */
export class HealthChecker extends IoPool {
  private readonly options: HealthCheckerOptions;
  private readonly logger: Logger;
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Set<Entry>();
  private readonly slots: Entry[][];
  private readonly slotMs: number;
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private origin = 0;
  private nextSlot = 0;
  private startedThisTurn = 0;
  private admissionQueue: Array<() => void> = [];
  private admissionScheduled = false;

  constructor(options: HealthCheckerOptions) {
    for (const field of ['intervalMs', 'timeoutMs', 'concurrency'] as const) {
      if (!(options[field] > 0)) throw new RangeError(`[core] HealthChecker: ${field} must be a positive number`);
    }
    if (!(options.retries >= 0)) throw new RangeError('[core] HealthChecker: retries must be 0 or more');
    super(options.concurrency);
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    const count = Math.min(MAX_SLOTS, Math.max(1, Math.floor(options.intervalMs / SLOT_TARGET_MS)));
    this.slotMs = options.intervalMs / count;
    this.slots = Array.from({ length: count }, () => []);
  }

  /**
   * Adds a pod, or updates its URL. `immediate` → check it right away (or, if a check is
   * running, right after it). Ignored after `stop()`.
   */
  track(key: string, url: string, options?: { immediate?: boolean }): void {
    if (this.stopped) return;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        key,
        url,
        slot: this.pickSlot(),
        slotIndex: 0,
        state: State.Idle,
        generation: 0,
        again: false,
        removed: false,
        lastStart: -Infinity,
        token: undefined,
        waiters: undefined,
      };
      this.entries.set(key, entry);
      const slot = this.slots[entry.slot]!;
      entry.slotIndex = slot.push(entry) - 1;
    } else if (entry.url !== url) {
      entry.url = url;
      entry.generation += 1;
    }
    if (options?.immediate) {
      if (entry.state === State.Idle) this.enqueue(entry);
      else if (entry.state === State.Running) entry.again = true;
    }
  }

  /** Forgets a pod: no more checks; a running check is cancelled and its result dropped. */
  untrack(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const slot = this.slots[entry.slot]!;
    const last = slot.pop()!;
    if (last !== entry) {
      slot[entry.slotIndex] = last;
      last.slotIndex = entry.slotIndex;
    }
    entry.removed = true;
    entry.again = false;
    if (entry.state === State.Queued) this.settle(entry);
    entry.token?.cancel('untracked');
  }

  /** Starts the periodic checks. Safe to call twice; ignored after `stop()`. */
  start(): void {
    if (this.stopped || this.timer) return;
    this.origin = performance.now();
    this.nextSlot = 0;
    this.turn();
  }

  /**
   * Checks every tracked pod now (a pod already queued or running is not checked twice) and
   * resolves when all are done. Pods are queued in batches, yielding to the event loop between
   * batches, so a sweep of many pods never blocks it for long.
   */
  async sweep(): Promise<void> {
    // Someone awaits these checks: hold the event loop until they are done. The checker's own
    // timers (interval, retry backoff) are unref'd, so during a retry's backoff nothing else may
    // keep the process alive, and a script awaiting only this sweep would exit unsettled (code 13).
    const hold = setInterval(noop, 2 ** 30);
    try {
      const pending: Array<Promise<void>> = [];
      let batch = 0;
      for (const entry of [...this.entries.values()]) {
        if (entry.removed || this.stopped || !this.may(entry)) continue;
        const queueNow = entry.state === State.Idle;
        if (queueNow) this.enqueue(entry);
        if (entry.state !== State.Idle) pending.push(this.whenDone(entry));
        if (queueNow && ++batch % SWEEP_BATCH === 0) await yieldToEventLoop();
      }
      await Promise.all(pending);
    } finally {
      clearInterval(hold);
    }
  }

  /** Pods tracked, checks running, checks waiting for a free slot in the pool. */
  stats(): { tracked: number; inFlight: number; queued: number } {
    return { tracked: this.entries.size, inFlight: this.running.size, queued: this.queue.size };
  }

  /** `stop()`: the timer stops and queued checks are dropped; running ones are cancelled at the deadline. */
  protected dropWaiting(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.entries.values()) {
      entry.again = false;
      if (entry.state === State.Queued) this.settle(entry);
    }
  }

  protected get busy(): boolean {
    return this.running.size > 0;
  }

  protected cancelRunning(): void {
    for (const entry of this.running) entry.token?.cancel('stopped');
  }

  private may(entry: Entry): boolean {
    return this.options.mayStart === undefined || this.options.mayStart(entry.key);
  }

  /** The next slot (round robin) holding no more than the average: keeps slots even, also after untracks. */
  private pickSlot(): number {
    const count = this.slots.length;
    const limit = Math.floor(this.entries.size / count);
    let slot = this.cursor;
    for (let i = 0; i < count; i++, slot = (slot + 1) % count) {
      if (this.slots[slot]!.length <= limit) break;
    }
    this.cursor = (slot + 1) % count;
    return slot;
  }

  private turn = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const count = this.slots.length;
    const now = performance.now();
    const due = Math.floor((now - this.origin) / this.slotMs);
    if (due - this.nextSlot >= count) this.nextSlot = due - count + 1;
    const skipYoungerThan = this.options.intervalMs / 2;
    for (; this.nextSlot <= due; this.nextSlot++) {
      for (const entry of this.slots[this.nextSlot % count]!) {
        if (entry.state === State.Idle && now - entry.lastStart >= skipYoungerThan && this.may(entry)) this.enqueue(entry);
      }
    }
    const wait = Math.max(1, this.origin + this.nextSlot * this.slotMs - performance.now());
    this.timer = setTimeout(this.turn, wait);
    this.timer.unref();
  };

  private enqueue(entry: Entry): void {
    entry.state = State.Queued;
    void this.queue.add(() => this.check(entry));
  }

  private async check(entry: Entry): Promise<void> {
    if (!entry.removed && !this.stopped && entry.state === State.Queued && !this.admitNow()) {
      await new Promise<void>((resolve) => this.admissionQueue.push(resolve));
    }
    if (entry.removed || this.stopped || entry.state !== State.Queued || this.options.mayStart?.(entry.key) === false) {
      if (entry.state === State.Queued) this.settle(entry);
      return;
    }
    entry.state = State.Running;
    entry.lastStart = performance.now();
    const token = new CancelToken();
    entry.token = token;
    this.running.add(entry);
    const generation = entry.generation;
    const target = parseProbeTarget(entry.url);
    let result: ProbeResult;
    try {
      const agent = target.kind === 'http' ? this.agents.for(target.request) : false;
      result = await runProbe(target, {
        timeoutMs: this.options.timeoutMs,
        retries: this.options.retries,
        agent,
        token,
        guard: this.options.guard,
        bodyLimit: this.options.bodyLimit,
      });
    } catch (error) {
      result = { healthy: false, attempts: 0, durationMs: 0, error: `[core] health check crashed: ${String(error)}` };
    }
    this.running.delete(entry);
    entry.token = undefined;
    if (!entry.removed && !token.cancelled && generation === entry.generation) this.report(entry.key, result);
    this.settle(entry);
    if (entry.again && !entry.removed && !this.stopped) {
      entry.again = false;
      this.enqueue(entry);
    }
  }

  /**
   * Paces check starts: at most {@link STARTS_PER_TURN} per event-loop turn, so a burst of
   * completions (hundreds of pods answering at once) never starts hundreds of requests in one
   * synchronous stretch.
   */
  private admitNow(): boolean {
    this.scheduleAdmission();
    if (this.startedThisTurn >= STARTS_PER_TURN || this.admissionQueue.length > 0) return false;
    this.startedThisTurn += 1;
    return true;
  }

  private scheduleAdmission(): void {
    if (this.admissionScheduled) return;
    this.admissionScheduled = true;
    setImmediate(this.nextAdmissionTurn);
  }

  private nextAdmissionTurn = (): void => {
    this.admissionScheduled = false;
    const batch = this.admissionQueue.splice(0, STARTS_PER_TURN);
    this.startedThisTurn = batch.length;
    if (this.admissionQueue.length > 0 || batch.length > 0) this.scheduleAdmission();
    for (const resolve of batch) resolve();
  };

  private report(key: string, result: ProbeResult): void {
    try {
      this.options.onResult(key, result);
    } catch (error) {
      this.logger.error({ err: error, key }, '[core] health check onResult callback threw');
    }
  }

  private settle(entry: Entry): void {
    entry.state = State.Idle;
    const waiters = entry.waiters;
    if (!waiters) return;
    entry.waiters = undefined;
    for (const resolve of waiters) resolve();
  }

  private whenDone(entry: Entry): Promise<void> {
    return new Promise((resolve) => {
      (entry.waiters ??= []).push(resolve);
    });
  }
}

function noop(): void {}
