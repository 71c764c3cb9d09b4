import assert from 'node:assert/strict';

/**
 * Runs an assertion and, when it fails, puts `what` in front of its message while keeping the
 * diff `node:assert` generated (passing a message to `assert.*` itself would replace the diff).
 */
function labelled(what: string | undefined, run: () => void): void {
  try {
    run();
  } catch (error) {
    if (what !== undefined && error instanceof assert.AssertionError) error.message = `${what}: ${error.message}`;
    throw error;
  }
}

/**
 * `actual` deep-equals `expected` (same types and prototypes; Dates by time, also a store's own
 * Date subclass such as a frozen Date); `what` names the value on failure.
 */
export function deepEqual(actual: unknown, expected: unknown, what?: string): void {
  labelled(what, () => assert.deepStrictEqual(plainDates(actual), plainDates(expected)));
}

/** The value with every Date (of any subclass) replaced by a plain Date of the same time. */
function plainDates(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map(plainDates);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, plainDates(v)]));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainDates(v);
    return out;
  }
  return value;
}

/** `actual === expected` (by `Object.is`); `what` names the value on failure. */
export function strictEqual(actual: unknown, expected: unknown, what?: string): void {
  labelled(what, () => assert.strictEqual(actual, expected));
}
