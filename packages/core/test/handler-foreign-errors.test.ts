import { describe, expect, it } from 'vitest';
import { createGovernanceHandler } from '@governance/core';

/** A ValidationError thrown by another bundled copy of the package: same code and shape, another class. */
class ForeignValidationError extends Error {
  readonly code = 'VALIDATION';
  constructor(readonly errors: { path: string; message: string }[]) {
    super(`[core] invalid registration: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
}

describe('the handler and a manager from another bundle', () => {
  it('answers a refused registration with snake_case wire paths even when the error is not its own ValidationError class', async () => {
    const handle = createGovernanceHandler({
      register: async () => {
        throw new ForeignValidationError([
          { path: 'notificationUrl', message: 'address 169.254.169.254 is denied by the target policy' },
          { path: 'providers[0].port', message: 'must be an integer 1..65535' },
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
    expect(body.errors).toEqual([
      { path: 'notification_url', message: 'address 169.254.169.254 is denied by the target policy' },
      { path: 'providers[0].port', message: 'must be an integer 1..65535' },
    ]);
    expect(body.error).toMatch(/notification_url: address 169\.254\.169\.254/);
  });
});
