/**
 * Validation of registrations (and pod records) with one zod schema, written against the
 * snake_case wire shape. Code-side (camelCase) input is mapped onto that shape, checked by the
 * same schema, and its error paths renamed back, so every rule exists exactly once.
 */
import { z } from 'zod';
import { ValidationError, type FieldError } from './errors';
import { PROTOCOLS, SERVICE_STATUSES, type Protocol, type Provider, type ServiceInfo, type ServiceRegistration } from './model';
import {
  MODEL_FIELD_NAMES,
  WIRE_FIELD_NAMES,
  fromWireRegistration,
  fromWireService,
  parseWireTime,
  renameToWire,
  type WireRegistration,
  type WireServiceInfo,
} from './wire';

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

const PORT_MESSAGE = `must be an integer ${LIMITS.portMin}..${LIMITS.portMax}`;
const NAME_MESSAGE = `must be a string of ${LIMITS.nameMinLength}..${LIMITS.nameMaxLength} characters`;

/** Error text for a wrong type, or "is required" when the field is missing. */
function typeError(text: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : text);
}

// \p{Cc} covers C0, DEL and C1; \p{Cs} (with the u flag) matches only lone surrogates, which
// cannot be stored as UTF-8 without silently changing the text.
const BAD_CHAR = /[\p{Cc}\p{Cs}]/u;
const NO_BAD_CHAR = /^[^\p{Cc}\p{Cs}]*$/u;
const NAME_CHARS = /^[^:\p{Cc}\p{Cs}]*$/u;

function describeBadChar(issue: { input?: unknown }): string {
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
  const colon = value.indexOf(':');
  if (colon !== -1) {
    problems.push(`must not contain ':' (found at index ${colon}); it separates service and pod in the registry key`);
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

const name = z.string({ error: typeError(NAME_MESSAGE) }).superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
});

const ip = z
  .string({ error: typeError(`must be a string of 1..${LIMITS.ipMaxLength} characters (an address or a host name)`) })
  .min(1, { error: 'must not be empty', abort: true })
  .max(LIMITS.ipMaxLength, { error: `must be at most ${LIMITS.ipMaxLength} characters`, abort: true })
  .regex(NO_BAD_CHAR, { error: describeBadChar });

const port = z
  .int({ error: typeError(PORT_MESSAGE) })
  .min(LIMITS.portMin, { error: PORT_MESSAGE })
  .max(LIMITS.portMax, { error: PORT_MESSAGE });

const provider = z.object(
  {
    protocol: z.enum(PROTOCOLS, { error: typeError(`must be one of ${PROTOCOLS.join(', ')}`) }),
    ip,
    port,
  },
  { error: typeError('must be an object {protocol, ip, port}') },
);

const providersMessage = `must be an array of ${LIMITS.providersMin}..${LIMITS.providersMax} providers`;
const providers = z
  .array(provider, { error: typeError(providersMessage) })
  .max(LIMITS.providersMax, {
    error: (issue) => `${providersMessage} (got ${(issue.input as unknown[]).length})`,
  })
  .min(LIMITS.providersMin, { error: `${providersMessage} (got none)` });

const subscriptions = z
  .array(name, { error: `must be an array of at most ${LIMITS.subscriptionsMax} service names` })
  .max(LIMITS.subscriptionsMax, {
    error: (issue) =>
      `must hold at most ${LIMITS.subscriptionsMax} service names (got ${(issue.input as unknown[]).length})`,
  })
  .nullish()
  .transform((list) => (list ? [...new Set(list)] : []));

function urlChecker(field: 'notification' | 'health check', allowTcp: boolean) {
  const allowed = allowTcp ? 'http:, https: or tcp://host:port' : 'http: or https:';
  return z
    .string({ error: typeError(`must be a string holding an ${allowed} URL`) })
    .max(LIMITS.urlMaxLength, { error: `must be at most ${LIMITS.urlMaxLength} characters`, abort: true })
    .superRefine((value, ctx) => {
      const problem = urlProblem(value, allowTcp, allowed, field);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
    });
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function urlProblem(
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

const registrationShape = {
  service_name: name,
  pod_name: name,
  providers,
  health_check_url: urlChecker('health check', true),
  notification_url: urlChecker('notification', false),
  subscriptions,
};

const OBJECT_MESSAGE = 'must be a JSON object';
const BODY_MESSAGE = `the body ${OBJECT_MESSAGE}`;

/** The one schema of a registration, in wire (snake_case) form. Built once, at module load. */
const registrationSchema = z.object(registrationShape, { error: typeError(OBJECT_MESSAGE) });

const wireTime = z
  .string({ error: typeError('must be an RFC 3339 date-time string') })
  .max(40, { error: 'must be an RFC 3339 date-time string', abort: true })
  .refine((value) => parseWireTime(value) !== undefined, {
    error: 'must be an RFC 3339 date-time with offset (2026-01-02T03:04:05.678Z)',
  });

const serviceInfoSchema = z.object(
  {
    ...registrationShape,
    status: z.enum(SERVICE_STATUSES, { error: typeError(`must be one of ${SERVICE_STATUSES.join(', ')}`) }),
    last_health_check: wireTime,
    registered_at: wireTime,
    updated_at: wireTime,
  },
  { error: typeError(OBJECT_MESSAGE) },
);

/** A path step as Standard Schema reports it: a key, or an object holding the key. */
type PathSegment = PropertyKey | { readonly key: PropertyKey };

/** `['providers', 2, 'port']` → `providers[2].port`; `rename` maps the top-level field name. */
/** `providers[2].port` from a schema issue path; `rename` maps the first (top-level) field. */
export function formatPath(path: readonly PathSegment[], rename?: (field: string) => string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const segment = typeof step === 'object' ? step.key : step;
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const text = String(segment);
      const named = i === 0 && rename ? rename(text) : text;
      out += out === '' ? named : `.${named}`;
    }
  }
  return out;
}

interface SchemaIssue {
  readonly message: string;
  readonly path?: readonly PathSegment[] | undefined;
}

/**
 * Turns schema issues into at most `LIMITS.maxReportedErrors` field errors (plus one entry saying
 * how many were left out), so a hostile body cannot make us build an enormous error.
 */
function toFieldErrors(issues: readonly SchemaIssue[], rootMessage: string, rename?: (field: string) => string): FieldError[] {
  const errors: FieldError[] = [];
  const shown = Math.min(issues.length, LIMITS.maxReportedErrors);
  for (let i = 0; i < shown; i++) {
    const issue = issues[i]!;
    const path = formatPath(issue.path ?? [], rename);
    errors.push({ path, message: path === '' ? rootMessage : issue.message });
  }
  if (issues.length > shown) {
    errors.push({ path: '', message: `and ${issues.length - shown} more problems (only the first ${shown} are listed)` });
  }
  return errors;
}

function run<T extends z.ZodType>(
  schema: T,
  input: unknown,
  context: string,
  rootMessage: string,
  rename?: (field: string) => string,
): z.output<T> {
  // The Standard Schema entry point reports issues without building a ZodError (no stack
  // capture), which keeps rejecting bad input cheap.
  let result: ReturnType<T['~standard']['validate']>;
  try {
    result = schema['~standard'].validate(input) as ReturnType<T['~standard']['validate']>;
  } catch (cause) {
    throw new ValidationError([{ path: '', message: `the ${context} could not be read (${errorText(cause)})` }], {
      context,
      cause,
    });
  }
  if (result instanceof Promise) {
    result.catch(() => undefined);
    throw new ValidationError([{ path: '', message: `the ${context} could not be validated synchronously` }], { context });
  }
  if (result.issues === undefined) return result.value as z.output<T>;
  throw new ValidationError(toFieldErrors(result.issues, rootMessage, rename), { context });
}

function errorText(error: unknown): string {
  try {
    const text = error instanceof Error ? error.message : String(error);
    return text.slice(0, 200).replace(/[\p{Cc}\p{Cs}]/gu, '?');
  } catch {
    return 'unreadable value';
  }
}

/** The hosts a valid registration's two URLs name, as validation parsed them. */
export interface RegistrationTargets {
  readonly healthCheck: URL;
  readonly notification: URL;
}

interface Accepted {
  registration: ServiceRegistration;
  targets: RegistrationTargets;
}

/** Where quickAccept finds each field: under its model name or under its wire name. */
type FieldKeys = Readonly<Record<keyof ServiceRegistration, string>>;

const WIRE_KEYS: FieldKeys = WIRE_FIELD_NAMES;

const MODEL_KEYS: FieldKeys = {
  serviceName: 'serviceName',
  podName: 'podName',
  providers: 'providers',
  healthCheckUrl: 'healthCheckUrl',
  notificationUrl: 'notificationUrl',
  subscriptions: 'subscriptions',
};

const PROTOCOL_SET: ReadonlySet<unknown> = new Set(PROTOCOLS);

function validName(value: unknown): value is string {
  return typeof value === 'string' && nameProblem(value) === undefined;
}

function acceptedUrl(value: unknown, allowTcp: boolean): URL | undefined {
  if (typeof value !== 'string' || value.length > LIMITS.urlMaxLength) return undefined;
  const url = parseUrl(value);
  return url !== undefined && urlProblem(value, allowTcp, '', '', url) === undefined ? url : undefined;
}

/**
 * The fast path: accepts a plain object that breaks none of the schema's rules and builds the
 * same normalized registration the schema would. Anything it is unsure about (a rule broken, an
 * unusual object) gives `undefined`, and the schema then decides and words the errors; so it can
 * never accept what the schema refuses.
 */
function quickAccept(input: unknown, keys: FieldKeys): Accepted | undefined {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    const proto: unknown = Object.getPrototypeOf(input);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const o = input as Record<string, unknown>;
    const serviceName = o[keys.serviceName];
    const podName = o[keys.podName];
    if (!validName(serviceName) || !validName(podName)) return undefined;
    const list = o[keys.providers];
    if (!Array.isArray(list) || list.length < LIMITS.providersMin || list.length > LIMITS.providersMax) return undefined;
    const providers: Provider[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const p: unknown = list[i];
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
      const { protocol, ip, port } = p as Record<string, unknown>;
      if (!PROTOCOL_SET.has(protocol)) return undefined;
      if (typeof ip !== 'string' || ip.length < 1 || ip.length > LIMITS.ipMaxLength || BAD_CHAR.test(ip)) return undefined;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < LIMITS.portMin || port > LIMITS.portMax) return undefined;
      providers[i] = { protocol: protocol as Protocol, ip, port };
    }
    const healthCheckUrl = o[keys.healthCheckUrl];
    const notificationUrl = o[keys.notificationUrl];
    const healthCheck = acceptedUrl(healthCheckUrl, true);
    const notification = acceptedUrl(notificationUrl, false);
    if (healthCheck === undefined || notification === undefined) return undefined;
    const subs = o[keys.subscriptions];
    let subscriptions: string[] = [];
    if (subs !== undefined && subs !== null) {
      if (!Array.isArray(subs) || subs.length > LIMITS.subscriptionsMax) return undefined;
      for (let i = 0; i < subs.length; i++) if (!validName(subs[i])) return undefined;
      subscriptions = subs.length < 2 ? subs.slice() : [...new Set<string>(subs)];
    }
    return {
      registration: {
        serviceName,
        podName,
        providers,
        healthCheckUrl: healthCheckUrl as string,
        notificationUrl: notificationUrl as string,
        subscriptions,
      },
      targets: { healthCheck, notification },
    };
  } catch {
    return undefined;
  }
}

/**
 * Validates a decoded JSON registration body (snake_case, as Go services send it) and returns
 * it in model form with its subscriptions de-duplicated (first appearance kept). Unknown
 * fields are ignored; missing or `null` subscriptions mean none.
 *
 * @throws ValidationError listing every problem with its wire path (`providers[2].port`,
 *   `service_name`), at most `LIMITS.maxReportedErrors` of them. Nothing else is ever thrown.
 */
export function parseRegistration(body: unknown): ServiceRegistration {
  return quickAccept(body, WIRE_KEYS)?.registration ?? parseWithSchema(body);
}

function parseWithSchema(body: unknown): ServiceRegistration {
  return fromWireRegistration(run(registrationSchema, body, 'registration', BODY_MESSAGE) as WireRegistration);
}

const toModelName = (field: string): string => MODEL_FIELD_NAMES[field] ?? field;

/** The top-level fields of a registration, by their model (camelCase) names. */
export type RegistrationField = keyof ServiceRegistration;

/** Which field names a caller used: the snake_case wire names or the camelCase model names. */
export type FieldVocabulary = 'wire' | 'model';

/**
 * A registration that passed validation: the typed hand-off from whoever validated it (the HTTP
 * transport, or `Manager.register()`) to the manager's ordered lane, which then does not
 * validate it again. Only this module creates one, so holding one proves the rules were
 * checked. The registration is deep-frozen, so it stays valid; `vocabulary` says which field
 * names the caller used, so later problems (the target policy) are reported in the same names.
 */
export class ValidatedRegistration {
  /** The normalized registration (subscriptions de-duplicated, unknown fields dropped), deep-frozen. */
  readonly registration: Readonly<ServiceRegistration>;
  /** The two URLs as validation parsed them, when the fast path had them at hand. */
  readonly targets: RegistrationTargets | undefined;
  /** The field names the caller used. */
  readonly vocabulary: FieldVocabulary;

  private constructor(registration: ServiceRegistration, targets: RegistrationTargets | undefined, vocabulary: FieldVocabulary) {
    for (const provider of registration.providers) Object.freeze(provider);
    Object.freeze(registration.providers);
    Object.freeze(registration.subscriptions);
    this.registration = Object.freeze(registration);
    this.targets = targets;
    this.vocabulary = vocabulary;
    Object.freeze(this);
  }

  /**
   * Validates a decoded JSON registration body (snake_case, as Go services send it).
   * @throws ValidationError with wire paths, as {@link parseRegistration}.
   */
  static fromWire(body: unknown): ValidatedRegistration {
    const quick = quickAccept(body, WIRE_KEYS);
    if (quick !== undefined) return new ValidatedRegistration(quick.registration, quick.targets, 'wire');
    return new ValidatedRegistration(parseWithSchema(body), undefined, 'wire');
  }

  /**
   * Validates a registration given in code (camelCase).
   * @throws ValidationError with camelCase paths, as {@link validateRegistration}.
   */
  static fromModel(registration: ServiceRegistration): ValidatedRegistration {
    const quick = quickAccept(registration, MODEL_KEYS);
    if (quick !== undefined) return new ValidatedRegistration(quick.registration, quick.targets, 'model');
    return new ValidatedRegistration(validateWithSchema(registration), undefined, 'model');
  }

  /** The path of a top-level field in the caller's vocabulary (`notification_url` or `notificationUrl`). */
  pathOf(field: RegistrationField): string {
    return this.vocabulary === 'wire' ? WIRE_FIELD_NAMES[field] : field;
  }
}

/**
 * Validates a registration given in code (camelCase, e.g. to `manager.register()`) by the same
 * rules as {@link parseRegistration}, and returns a normalized copy (subscriptions
 * de-duplicated, unknown fields dropped).
 *
 * @throws ValidationError listing every problem with its camelCase path (`providers[0].port`,
 *   `serviceName`). Nothing else is ever thrown.
 */
export function validateRegistration(reg: ServiceRegistration): ServiceRegistration {
  return quickAccept(reg, MODEL_KEYS)?.registration ?? validateWithSchema(reg);
}

function validateWithSchema(reg: ServiceRegistration): ServiceRegistration {
  let wireShaped: unknown = reg;
  try {
    if (typeof reg === 'object' && reg !== null && !Array.isArray(reg)) wireShaped = renameToWire(reg);
  } catch (cause) {
    throw new ValidationError([{ path: '', message: `the registration could not be read (${errorText(cause)})` }], {
      context: 'registration',
      cause,
    });
  }
  return fromWireRegistration(
    run(registrationSchema, wireShaped, 'registration', 'the registration must be an object', toModelName) as WireRegistration,
  );
}

/**
 * Validates a decoded JSON pod record (an entry of `GET /services`, snake_case) — the
 * registration rules plus `status` and RFC 3339 times — and returns it in model form.
 *
 * @throws ValidationError listing every problem with its wire path. Nothing else is thrown.
 */
export function parseServiceInfo(body: unknown): ServiceInfo {
  return fromWireService(run(serviceInfoSchema, body, 'service record', BODY_MESSAGE) as WireServiceInfo);
}

/** One line per problem: `providers[2].port: must be an integer 1..65535`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('\n');
}
