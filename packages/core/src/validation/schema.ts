/**
 * Validation of registrations (and pod records) with one zod schema, written against the
 * snake_case wire shape. Code-side (camelCase) input is put in front of the same schema under
 * the wire's names (`renameToWire`) and its error paths renamed back, so every rule exists once.
 * This is the slow path: it words every problem; `fast-path.ts` accepts valid input cheaply.
 */
import { z } from 'zod';
import { ValidationError, formatPath, type FieldError, type PathSegment } from '../errors';
import { PROTOCOLS, SERVICE_STATUSES, type ServiceInfo, type ServiceRegistration } from '../model';
import {
  MODEL_FIELD_NAMES,
  WIRE_FIELD_NAMES,
  fromWireRegistration,
  fromWireService,
  parseWireTime,
  renameToWire,
  type WireRegistration,
  type WireServiceInfo,
} from '../wire';
import { parseDuration } from '../duration';
import { LIMITS, describeBadChar, nameProblem, urlProblem } from './rules';

const PORT_MESSAGE = `must be an integer ${LIMITS.portMin}..${LIMITS.portMax}`;
const NAME_MESSAGE = `must be a string of ${LIMITS.nameMinLength}..${LIMITS.nameMaxLength} characters`;

/** Error text for a wrong type, or "is required" when the field is missing. */
function typeError(text: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : text);
}

const NO_BAD_CHAR = /^[^\p{Cc}\p{Cs}]*$/u;

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

function urlChecker(field: 'notification' | 'health check', allowTcp: boolean, allowEmpty = false) {
  const allowed = allowTcp ? 'http:, https: or tcp://host:port' : 'http: or https:';
  return z
    .string({ error: typeError(`must be a string holding an ${allowed} URL`) })
    .max(LIMITS.urlMaxLength, { error: `must be at most ${LIMITS.urlMaxLength} characters`, abort: true })
    .superRefine((value, ctx) => {
      if (allowEmpty && value === '') return;
      const problem = urlProblem(value, allowTcp, allowed, field);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
    });
}

/** Field names come from `wire.ts`, the one place that knows them (`service_name`, …). */
const F = WIRE_FIELD_NAMES;

/** Bounds of a registration's `ttl` (ms). */
export const TTL_LIMITS = Object.freeze({ min: 1_000, max: 86_400_000 });
const TTL_MESSAGE = `must be milliseconds or a duration string such as "15s", from 1s to 24h`;

/** `ttl`: whole milliseconds or a duration string, 1 s to 24 h, resolved to ms. */
const ttl = z
  .union([z.number(), z.string().max(40)], { error: TTL_MESSAGE })
  .transform((value, ctx): number => {
    let ms = Number.NaN;
    if (typeof value === 'number') ms = Number.isInteger(value) ? value : Number.NaN;
    else {
      try {
        ms = Math.round(parseDuration(value.trim()));
      } catch {
        /* reported below */
      }
    }
    if (!(ms >= TTL_LIMITS.min && ms <= TTL_LIMITS.max)) {
      ctx.addIssue({ code: 'custom', message: `${TTL_MESSAGE}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return ms;
  })
  .nullish();

/** The health URL, or empty for a pod that sends heartbeats (`ttl`; checked on the whole object). */
const healthCheckUrl = urlChecker('health check', true, true);

/** An empty `health_check_url` is allowed only with a `ttl`. */
function emptyHealthUrlNeedsTtl(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (value[F.healthCheckUrl] === '' && (value[F.ttl] === undefined || value[F.ttl] === null)) {
    ctx.addIssue({
      code: 'custom',
      path: [F.healthCheckUrl],
      message: 'is required: an http:, https: or tcp://host:port URL (it may be empty only when ttl is set: the pod then sends heartbeats)',
    });
  }
}

const registrationShape = {
  [F.serviceName]: name,
  [F.podName]: name,
  [F.providers]: providers,
  [F.healthCheckUrl]: healthCheckUrl,
  [F.notificationUrl]: urlChecker('notification', false),
  [F.subscriptions]: subscriptions,
  [F.ttl]: ttl,
};

const OBJECT_MESSAGE = 'must be a JSON object';
const BODY_MESSAGE = `the body ${OBJECT_MESSAGE}`;

/** The one schema of a registration, in wire (snake_case) form. Built once, at module load. */
const registrationSchema = z.object(registrationShape, { error: typeError(OBJECT_MESSAGE) }).superRefine(emptyHealthUrlNeedsTtl);

const wireTime = z
  .string({ error: typeError('must be an RFC 3339 date-time string') })
  .max(40, { error: 'must be an RFC 3339 date-time string', abort: true })
  .refine((value) => parseWireTime(value) !== undefined, {
    error: 'must be an RFC 3339 date-time with offset (2026-01-02T03:04:05.678Z)',
  });

const serviceInfoSchema = z.object(
  {
    ...registrationShape,
    [F.status]: z.enum(SERVICE_STATUSES, { error: typeError(`must be one of ${SERVICE_STATUSES.join(', ')}`) }),
    [F.lastHealthCheck]: wireTime,
    [F.registeredAt]: wireTime,
    [F.updatedAt]: wireTime,
  },
  { error: typeError(OBJECT_MESSAGE) },
).superRefine(emptyHealthUrlNeedsTtl);

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

export function parseWithSchema(body: unknown): ServiceRegistration {
  return fromWireRegistration(run(registrationSchema, body, 'registration', BODY_MESSAGE) as WireRegistration);
}

const toModelName = (field: string): string => MODEL_FIELD_NAMES[field] ?? field;

export function validateWithSchema(reg: ServiceRegistration): ServiceRegistration {
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
