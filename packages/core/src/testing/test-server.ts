/**
 * Decides whether tests that need a real server (PostgreSQL, MariaDB, MongoDB) can run.
 *
 * - The server answers: resolves `undefined` (run the tests).
 * - It does not answer and `CI` is set: throws, so the run fails instead of silently skipping.
 * - It does not answer outside CI: prints one loud line saying how to enable the tests and
 *   resolves the skip reason (pass it to `describe.skipIf` / the conformance suite's `skip`).
 */
export async function checkTestServer(
  label: string,
  how: string,
  probe: () => Promise<void>,
): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (error) {
    const reason = `${label} tests SKIPPED: server not reachable (${error instanceof Error ? error.message : String(error)}). ${how}`;
    if (isCI()) throw new Error(`[testing] ${reason} — CI=true, so an unreachable server fails the run`);
    console.warn(`\n!!! ${reason}\n`);
    return reason;
  }
}

/** True when the `CI` environment variable is set to anything but `false`/`0`/empty. */
export function isCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}
