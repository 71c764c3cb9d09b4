/**
 * Where notification revisions come from: each call returns a number greater than every one
 * returned before, also across restarts. The single-process engine uses {@link RevisionClock};
 * a shared change log can take its place.
 */
export interface RevisionSource {
  next(): number;
}

/**
 * A hybrid logical clock for notification revisions.
 *
 * Each call returns `max(Date.now() * 1000, last + 1)`: wall-clock microseconds, bumped by one
 * when several revisions are issued within the same microsecond slot. Within a process the
 * values are strictly increasing. Across restarts they keep increasing as long as the wall
 * clock is not set back and the process did not issue, on average, more than 1 000 revisions
 * per millisecond (which would run the counter ahead of the clock). A receiver that drops
 * payloads whose revision is not greater than the last one it saw for that group therefore
 * never drops fresh news after a manager restart. Values stay below 2^53 until the year 2255.
 */
export class RevisionClock implements RevisionSource {
  #last = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The next revision: greater than every revision this clock returned before. */
  next(): number {
    const wall = Math.floor(this.#now()) * 1000;
    this.#last = wall > this.#last ? wall : this.#last + 1;
    return this.#last;
  }

  /** The most recent revision returned (0 before the first call). */
  get last(): number {
    return this.#last;
  }
}
