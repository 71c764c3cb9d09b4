import { startStubServer, type StubRequest, type StubServer } from '../../../test/support/stub-server';

/** What the fake manager answers; `hang` never answers (until the server closes). */
export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  hang?: boolean;
}

export type FakeManager = StubServer;

/**
 * A stub HTTP server (test/support/stub-server) standing in for the manager: it records every
 * request and answers whatever `respond` returns for it, a body as JSON.
 */
export function startFakeManager(respond: (request: StubRequest, index: number) => Reply): Promise<FakeManager> {
  return startStubServer((request, index) => {
    const reply = respond(request, index);
    if (reply.hang) return 'hang';
    const json: Record<string, string> = reply.body === undefined ? {} : { 'content-type': 'application/json' };
    return {
      status: reply.status ?? 200,
      headers: { ...json, ...reply.headers },
      body: typeof reply.body === 'string' || reply.body === undefined ? reply.body : JSON.stringify(reply.body),
    };
  });
}
