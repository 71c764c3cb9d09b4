/**
 * The rules of a registration that are not tied to a schema library: limits, names, URLs and
 * characters. The schema (`schema.ts`) and the fast path (`fast-path.ts`) both apply them, so
 * every rule is written once.
 */
import { KEY_SEPARATOR } from '../model';

/** The limits every registration must respect. */
export const LIMITS = Object.freeze({
  /** Service, pod and subscription names: 1..128 characters (UTF-16 code units). */
  nameMinLength: 1,
  nameMaxLength: 128,
  /** Provider `ip` (an address or a host name): 1..255 characters. */
  ipMaxLength: 255,
  /** Health-check and notification URLs: at most 512 characters. */
  urlMaxLength: 512,
  providersMin: 1,
  providersMax: 64,
  /** Subscriptions per pod, counted before de-duplication. */
  subscriptionsMax: 256,
  portMin: 1,
  portMax: 65535,
  /** A `ValidationError` lists at most this many problems, then says how many more there were. */
  maxReportedErrors: 20,
} as const);

/** URL schemes allowed for notification URLs (and, with `tcp:`, health-check URLs). */
export const HTTP_URL_SCHEMES = ['http:', 'https:'] as const;

// \p{Cc} covers C0, DEL and C1; \p{Cs} (with the u flag) matches only lone surrogates, which
// cannot be stored as UTF-8 without silently changing the text.
export const BAD_CHAR = /[\p{Cc}\p{Cs}]/u;
/** A name may not contain the key separator, control characters or lone surrogates. */
const NAME_CHARS = new RegExp(`^[^${KEY_SEPARATOR}\\p{Cc}\\p{Cs}]*$`, 'u');

export function describeBadChar(issue: { input?: unknown }): string {
  const value = typeof issue.input === 'string' ? issue.input : '';
  const at = BAD_CHAR.exec(value)?.index ?? 0;
  const code = value.codePointAt(at) ?? 0;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  return code >= 0xd800 && code <= 0xdfff
    ? `must be well-formed Unicode (lone surrogate U+${hex} at index ${at})`
    : `must not contain control characters (U+${hex} at index ${at})`;
}

/** One check for both character rules of a name (one regex is cheaper than two on the hot path). */
function describeNameChars(issue: { input?: unknown }): string {
  const value = typeof issue.input === 'string' ? issue.input : '';
  const problems: string[] = [];
  const colon = value.indexOf(KEY_SEPARATOR);
  if (colon !== -1) {
    problems.push(`must not contain '${KEY_SEPARATOR}' (found at index ${colon}); it separates service and pod in the registry key`);
  }
  if (BAD_CHAR.test(value)) problems.push(describeBadChar(issue));
  return problems.join('; ');
}

/**
 * The one rule for a service, pod or subscription name, used by the registration schema and by
 * the HTTP handler's `DELETE /unregister` and `GET /services/:name` parameters, so a name that
 * can be registered can always be unregistered: 1..128 characters, not blank (not only
 * whitespace), no ':' (it separates service and pod in the registry key), no control characters
 * and no lone surrogates.
 *
 * @returns why the name is refused, or `undefined` when it is a valid name.
 */
export function nameProblem(value: string): string | undefined {
  if (value.length < LIMITS.nameMinLength) return 'must not be empty';
  if (value.length > LIMITS.nameMaxLength) return `must be at most ${LIMITS.nameMaxLength} characters`;
  if (!NAME_CHARS.test(value)) return describeNameChars({ input: value });
  if (value.trim() === '') return 'must not be blank';
  return undefined;
}

/** The parsed URL, or `undefined` when it is not an absolute URL. */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Why a health-check (`allowTcp`) or notification URL is refused, or `undefined` when it is fine.
 * `allowed` and `field` only word the message; `url` is the value already parsed, when at hand.
 */
export function urlProblem(
  value: string,
  allowTcp: boolean,
  allowed: string,
  field: string,
  url: URL | undefined = parseUrl(value),
): string | undefined {
  if (url === undefined) {
    if (allowTcp && /^tcp:/i.test(value)) return tcpMessage(field);
    return value === '' ? `is required (an ${allowed} URL)` : `must be an absolute ${allowed} URL`;
  }
  if (BAD_CHAR.test(value)) return describeBadChar({ input: value });
  if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  if (allowTcp && url.protocol === 'tcp:') {
    const portNumber = Number(url.port);
    if (url.hostname === '' || url.port === '' || portNumber < LIMITS.portMin || portNumber > LIMITS.portMax) {
      return tcpMessage(field);
    }
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '' || url.username !== '') {
      return `a tcp ${field} URL must be just tcp://host:port (no path, query, user or fragment)`;
    }
    return undefined;
  }
  return `must use ${allowed} (got ${url.protocol.slice(0, 32)})`;
}

function tcpMessage(field: string): string {
  return `a tcp ${field} URL must be tcp://host:port with a port ${LIMITS.portMin}..${LIMITS.portMax}`;
}
