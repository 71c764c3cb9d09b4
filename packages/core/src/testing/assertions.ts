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

/** `actual` deep-equals `expected` (same types and prototypes, Dates by time); `what` names the value on failure. */
export function deepEqual(actual: unknown, expected: unknown, what?: string): void {
  labelled(what, () => assert.deepStrictEqual(actual, expected));
}

/** `actual === expected` (by `Object.is`); `what` names the value on failure. */
export function strictEqual(actual: unknown, expected: unknown, what?: string): void {
  labelled(what, () => assert.strictEqual(actual, expected));
}
