import type { GovernanceHeaders } from './handler-types';

/** A body problem the handler answers with a 4xx status. */
export class BodyError extends Error {
  readonly status: 400 | 415;
  readonly path: string | undefined;

  constructor(status: 400 | 415, message: string, path?: string) {
    super(message);
    this.name = 'BodyError';
    this.status = status;
    this.path = path;
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Throws a 415 `BodyError` unless the request declares a UTF-8 JSON body. */
export function assertJsonContentType(headers: GovernanceHeaders): void {
  const raw = headers['content-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) {
    throw new BodyError(415, '[core] missing Content-Type; send the body as application/json');
  }
  const [type = '', ...params] = value.split(';');
  if (!JSON_TYPE.test(type.trim().toLowerCase())) {
    throw new BodyError(415, `[core] unsupported Content-Type "${type.trim()}"; send the body as application/json`);
  }
  for (const param of params) {
    const [name = '', charset = ''] = param.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const cs = charset.trim().replace(/^"|"$/g, '').toLowerCase();
    if (cs !== 'utf-8' && cs !== 'utf8') {
      throw new BodyError(415, `[core] unsupported charset "${cs}"; send the body as UTF-8 JSON`);
    }
  }
}

/**
 * Turns raw bytes (or a body the host already parsed) into a plain JSON value. Rejects empty
 * bodies, invalid UTF-8, malformed JSON and any `__proto__` / `constructor` / `prototype` key,
 * so nothing downstream can ever see a prototype-polluting object.
 */
export function parseJsonBody(raw: Uint8Array | string | unknown): unknown {
  let value: unknown;
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    let text: string;
    try {
      text = typeof raw === 'string' ? raw : decoder.decode(raw);
    } catch {
      throw new BodyError(400, '[core] request body is not valid UTF-8; send UTF-8 encoded JSON');
    }
    if (text.trim() === '') {
      throw new BodyError(400, '[core] request body is empty; send the registration as a JSON object');
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new BodyError(400, `[core] request body is not valid JSON (${detail}); send a JSON object`);
    }
  } else {
    value = raw;
  }
  assertNoForbiddenKeys(value);
  return value;
}

function assertNoForbiddenKeys(root: unknown): void {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], path: `${path}[${i}]` });
      continue;
    }
    for (const key of Object.keys(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) {
        throw new BodyError(400, `[core] request body contains the forbidden key "${key}" at ${at}; remove it`, at);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: at });
    }
  }
}
