import { expect } from 'vitest';
import { postJson, send } from './http-client';
import { wireRegistration } from './scenarios';

/**
 * Checks an app that has the API mounted at its root between routes of its own: `GET /status`
 * before it (answers `{ host: 'before' }`), and after it a handler answering
 * `{ host: 'after', path }` (201 for POST, 404 otherwise). Every non-API path must reach the
 * app, and the API must still answer its own routes.
 */
export async function expectHostRoutesAroundRootMount(baseUrl: string): Promise<void> {
  expect((await send(baseUrl, 'GET', '/status')).json).toEqual({ host: 'before' });
  const order = await postJson(baseUrl, '/orders', JSON.stringify({ id: 7 }));
  expect(order.status).toBe(201);
  expect(order.json).toEqual({ host: 'after', path: '/orders' });
  for (const path of ['/', '/registerx', '/services/a/b', '/gov/register']) {
    const answer = await send(baseUrl, 'GET', path);
    expect(answer.status, path).toBe(404);
    expect(answer.json, path).toEqual({ host: 'after', path });
  }
  expect((await postJson(baseUrl, '/register', JSON.stringify(wireRegistration()))).status).toBe(201);
  expect((await send(baseUrl, 'GET', '/services')).json.count).toBe(1);
  expect((await send(baseUrl, 'GET', '/health')).json).toEqual({ status: 'healthy' });
}
