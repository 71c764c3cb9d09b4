/**
 * Progress of a long transfer on stderr. On a terminal: a cli-progress bar redrawn in place
 * (count, rate, ETA). Anywhere else (a pipe, a file, CI logs): plain lines, one per 10 % step,
 * so logs stay readable and never fill with carriage returns.
 */
import cliProgress from 'cli-progress';

/** Where progress is drawn: a stream that may be a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** `auto`: a bar on a terminal, plain lines elsewhere; `plain`: always lines; `none`: nothing. */
export type ProgressMode = 'auto' | 'plain' | 'none';

/** One progress display: `start(total)`, `advance(n)` as items complete, `finish()` at the end. */
export interface Progress {
  /** `total` undefined: not known in advance (a line every 10,000 pods instead of every 10 %). */
  start(total: number | undefined): void;
  advance(count: number): void;
  /** Stops the display; `completed` false leaves it where it stopped (interrupted, failed). */
  finish(completed?: boolean): void;
}

const STEPS = 10;
/** Without a known total, a plain line every this many pods. */
const UNKNOWN_TOTAL_STEP = 10_000;

function rate(count: number, startedAt: number): string {
  const seconds = (Date.now() - startedAt) / 1000;
  return seconds > 0 ? `${Math.round(count / seconds).toLocaleString('en-US')} pods/s` : '';
}

/** Plain lines: `migrate: 4,000/20,000 pods (20%)`, one per 10 % step, then a final line. */
class LineProgress implements Progress {
  #total: number | undefined;
  #done = 0;
  #nextStep = 1;
  #startedAt = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
  ) {}

  start(total: number | undefined): void {
    this.#total = total;
    this.#startedAt = Date.now();
    this.#line();
  }

  advance(count: number): void {
    this.#done += count;
    const total = this.#total;
    let crossed = false;
    if (total === undefined) {
      crossed = Math.floor(this.#done / UNKNOWN_TOTAL_STEP) >= this.#nextStep;
      if (crossed) this.#nextStep = Math.floor(this.#done / UNKNOWN_TOTAL_STEP) + 1;
    } else {
      while (total > 0 && this.#nextStep < STEPS && this.#done * STEPS >= total * this.#nextStep) {
        this.#nextStep++;
        crossed = true;
      }
    }
    // The last step is the finish line's.
    if (crossed && (total === undefined || this.#done < total)) this.#line();
  }

  finish(completed = true): void {
    if (!completed) return;
    const seconds = ((Date.now() - this.#startedAt) / 1000).toFixed(1);
    this.stream.write(`${this.label}: ${fmt(this.#done)}/${fmt(this.#done)} pods (100%) in ${seconds} s, ${rate(this.#done, this.#startedAt)}\n`);
  }

  #line(): void {
    const total = this.#total;
    const speed = this.#done > 0 ? `, ${rate(this.#done, this.#startedAt)}` : '';
    if (total === undefined) {
      this.stream.write(`${this.label}: ${fmt(this.#done)} pods${speed}\n`);
      return;
    }
    const percent = total === 0 ? 100 : Math.floor((this.#done * 100) / total);
    this.stream.write(`${this.label}: ${fmt(this.#done)}/${fmt(total)} pods (${percent}%)${speed}\n`);
  }
}

/** The in-place bar of cli-progress. */
class BarProgress implements Progress {
  readonly #bar: cliProgress.SingleBar;
  #done = 0;
  #startedAt = 0;

  constructor(stream: ProgressStream, label: string) {
    this.#bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: `${label} [{bar}] {percentage}% | {value}/{total} pods | {rate} | ETA {eta_formatted}`,
        barsize: 30,
        hideCursor: true,
        gracefulExit: false,
        etaBuffer: 20,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number | undefined): void {
    this.#startedAt = Date.now();
    this.#bar.start(total ?? 0, 0, { rate: '…' });
  }

  advance(count: number): void {
    this.#done += count;
    // An unknown total grows with the count, so the bar shows the count and the rate.
    if (this.#bar.getTotal() < this.#done) this.#bar.setTotal(this.#done);
    this.#bar.increment(count, { rate: rate(this.#done, this.#startedAt) });
  }

  finish(): void {
    this.#bar.stop();
  }
}

const NONE: Progress = { start() {}, advance() {}, finish() {} };

/** The display for `mode` on `stream` (see the module comment). */
export function createProgress(stream: ProgressStream, label: string, mode: ProgressMode): Progress {
  if (mode === 'none') return NONE;
  if (mode === 'auto' && stream.isTTY === true) return new BarProgress(stream, label);
  return new LineProgress(stream, label);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
