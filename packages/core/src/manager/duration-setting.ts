import { z } from 'zod';
import { formatDuration, parseDuration } from '../duration';

/** The allowed range of one duration setting, in milliseconds. */
export interface DurationLimits {
  min: number;
  max: number;
}

/**
 * The schema of one duration setting: a whole number of milliseconds or a Go-style duration
 * string, resolved to milliseconds. A number below the minimum is refused with a hint at the
 * unit (`30 ms is below the minimum of 100 ms — did you mean '30s'?`).
 */
export function durationSchema(limits: DurationLimits): z.ZodType<number, number | string> {
  return z.union([z.number(), z.string()], { error: "must be milliseconds (a number) or a duration string such as '30s'" }).transform(
    (value, ctx): number => {
      const problem = durationProblem(value, limits);
      if (typeof problem === 'string') {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return problem.ms;
    },
  ) as unknown as z.ZodType<number, number | string>;
}

/** The setting's value in ms, or what is wrong with it. */
export function durationProblem(value: number | string, { min, max }: DurationLimits): string | { ms: number } {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'must be a finite number of milliseconds';
    if (!Number.isInteger(value)) return `must be a whole number of milliseconds, got ${value}`;
    ms = value;
  } else {
    try {
      ms = Math.round(parseDuration(value.trim()));
    } catch (error) {
      return (error as Error).message;
    }
  }
  if (ms < 0) return `must not be negative, got ${typeof value === 'string' ? JSON.stringify(value) : value}`;
  if (ms < min) {
    const hint = typeof value === 'number' && value > 0 && value * 1_000 >= min && value * 1_000 <= max ? ` — did you mean '${value}s'?` : '';
    const shown = typeof value === 'string' ? `${JSON.stringify(value)} (${ms} ms)` : `${ms} ms`;
    return `${shown} is below the minimum of ${min} ms${hint}`;
  }
  if (ms > max) return `must be at most ${formatDuration(max)} (${max} ms), got ${typeof value === 'string' ? JSON.stringify(value) : `${ms} ms`}`;
  return { ms };
}
