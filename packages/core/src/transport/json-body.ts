import { isUtf8 } from 'node:buffer';
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

/** Throws a 415 `BodyError` unless the request declares a UTF-8 JSON body. */
export function assertJsonContentType(headers: GovernanceHeaders): void {
  const raw = headers['content-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === 'application/json' || value === 'application/json; charset=utf-8') return;
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
  if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) {
    assertNoForbiddenKeys(raw);
    return raw;
  }
  if (typeof raw !== 'string' && !isUtf8(raw)) {
    throw new BodyError(400, '[core] request body is not valid UTF-8; send UTF-8 encoded JSON');
  }
  const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // An empty or blank body is not JSON either; it gets its own message.
    if (text.trim() === '') {
      throw new BodyError(400, '[core] request body is empty; send the registration as a JSON object');
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new BodyError(400, `[core] request body is not valid JSON (${detail}); send a JSON object`);
  }
  if (mayHoldForbiddenKey(text)) assertNoForbiddenKeys(value);
  return value;
}

/**
 * False when no key of the parsed text can be a forbidden one: none of them appears in the text,
 * and no `\u` escape could spell one (the other JSON escapes never yield a letter or `_`).
 */
function mayHoldForbiddenKey(text: string): boolean {
  return text.includes('__proto__') || text.includes('prototype') || text.includes('constructor') || text.includes('\\u');
}

interface Pending {
  value: unknown;
  parent: Pending | undefined;
  key: string | number;
}

function assertNoForbiddenKeys(root: unknown): void {
  const stack: Pending[] = [{ value: root, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value } = entry;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], parent: entry, key: i });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        const at = pathOf({ value: undefined, parent: entry, key });
        throw new BodyError(400, `[core] request body contains the forbidden key "${key}" at ${at}; remove it`, at);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], parent: entry, key });
    }
  }
}

function pathOf(entry: Pending): string {
  const keys: Array<string | number> = [];
  for (let at: Pending | undefined = entry; at?.parent; at = at.parent) keys.push(at.key);
  let out = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  }
  return out;
}
