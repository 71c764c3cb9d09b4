import { describe, expect, it } from 'vitest';
import { createGovernanceHandler, type ValidatedRegistration } from '@governance/core';

/** A ValidationError of another class (a proxy, another copy of the package): same code and shape. */
class ForeignValidationError extends Error {
  readonly code = 'VALIDATION';
  constructor(readonly errors: { path: string; message: string }[]) {
    super(`[core] invalid registration: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
}

describe('the handler and a manager-shaped object', () => {
  it('answers a refused registration with 400 and the field paths of the call (wire), whatever the error class', async () => {
    const handle = createGovernanceHandler({
      registerValidated: async (validated: ValidatedRegistration) => {
        throw new ForeignValidationError([
          { path: validated.pathOf('notificationUrl'), message: 'address 169.254.169.254 is denied by the target policy' },
        ]);
      },
    } as never);
    const answer = await handle({
      method: 'POST',
      path: '/register',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/json' },
      body: async () =>
        JSON.stringify({
          service_name: 'svc',
          pod_name: 'pod-1',
          providers: [{ protocol: 'http', ip: '10.0.0.1', port: 80 }],
          health_check_url: 'http://10.0.0.1/health',
          notification_url: 'http://10.0.0.1/notify',
        }),
    });
    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.body);
    expect(body.errors).toEqual([{ path: 'notification_url', message: 'address 169.254.169.254 is denied by the target policy' }]);
    expect(body.error).toMatch(/notification_url: address 169\.254\.169\.254/);
  });
});
