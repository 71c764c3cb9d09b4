/**
 * The demo's narrator and event log: prints `elapsed  who  what` lines and lets the demo wait,
 * with a deadline, until a condition over everything that happened so far becomes true.
 */
export class Timeline {
  #start = performance.now();
  #waiters = new Set();
  #color;
  events = [];

  #stepTimeoutMs;

  /** @param {{ color?: boolean, stepTimeoutMs?: number, out?: (line: string) => void }} [options] */
  constructor(options = {}) {
    this.#color = options.color ?? false;
    this.#stepTimeoutMs = options.stepTimeoutMs ?? 10_000;
    this.out = options.out ?? ((line) => process.stdout.write(`${line}\n`));
  }

  elapsed() {
    return ((performance.now() - this.#start) / 1000).toFixed(3).padStart(7) + 's';
  }

  paint(code, text) {
    return this.#color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  /** Prints a section header. */
  step(title) {
    this.out('');
    this.out(this.paint('1', `-- ${title}`));
  }

  /** Prints one timeline line. */
  say(who, what) {
    this.out(`${this.paint('2', this.elapsed())}  ${this.paint('36', who.padEnd(8))}  ${what}`);
  }

  /** Records an event (and re-checks every pending wait). */
  record(event) {
    this.events.push(event);
    for (const waiter of [...this.#waiters]) waiter();
  }

  /**
   * Resolves once `condition()` is true; it is checked now and after every recorded event.
   * Rejects with an error naming `description` after `timeoutMs` (default: the step timeout).
   */
  until(description, condition, timeoutMs = this.#stepTimeoutMs) {
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok;
        try {
          ok = condition();
        } catch (error) {
          done();
          reject(error);
          return;
        }
        if (ok) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`demo: failed: waited ${timeoutMs / 1000}s for ${description}, and it did not happen`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** True when an event matching every field of `fields` was recorded. */
  seen(fields) {
    return this.events.some((event) => Object.entries(fields).every(([k, v]) => event[k] === v));
  }
}
