/**
 * The entry points of validation and the typed hand-off of a validated registration to the
 * manager: `ValidatedRegistration`. Each tries the fast path first and lets the schema decide
 * (and word the errors) otherwise.
 */
import type { ServiceRegistration } from '../model';
import { WIRE_FIELD_NAMES } from '../wire';
import { MODEL_KEYS, WIRE_KEYS, quickAccept, type RegistrationTargets } from './fast-path';
import { parseWithSchema, validateWithSchema } from './schema';

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

/** The top-level fields of a registration, by their model (camelCase) names. */
export type RegistrationField = keyof ServiceRegistration;

/** Which field names a caller used: the snake_case wire names or the camelCase model names. */
export type FieldVocabulary = 'wire' | 'model';

/**
 * A registration that passed validation: the typed hand-off from whoever validated it (the HTTP
 * transport, or `Manager.register()`) to the manager's ordered lane, which then does not
 * validate it again. Only this module creates one, so holding one proves the rules were
 * checked. The registration is always a fresh copy of the input; one from the wire is also
 * deep-frozen, since the transport that parsed it keeps a reference. `vocabulary` says which
 * field names the caller used, so later problems (the target policy) are reported in the same
 * names.
 */
export class ValidatedRegistration {
  /** The normalized registration (subscriptions de-duplicated, unknown fields dropped); a fresh copy. */
  readonly registration: Readonly<ServiceRegistration>;
  /** The two URLs as validation parsed them, when the fast path had them at hand. */
  readonly targets: RegistrationTargets | undefined;
  /** The field names the caller used. */
  readonly vocabulary: FieldVocabulary;

  private constructor(registration: ServiceRegistration, targets: RegistrationTargets | undefined, vocabulary: FieldVocabulary) {
    this.registration = registration;
    this.targets = targets;
    this.vocabulary = vocabulary;
  }

  /**
   * Validates a decoded JSON registration body (snake_case, as Go services send it); the result
   * is deep-frozen, so nothing can change it between validation and storage.
   * @throws ValidationError with wire paths, as {@link parseRegistration}.
   */
  static fromWire(body: unknown): ValidatedRegistration {
    const quick = quickAccept(body, WIRE_KEYS);
    const registration = quick?.registration ?? parseWithSchema(body);
    for (const provider of registration.providers) Object.freeze(provider);
    Object.freeze(registration.providers);
    Object.freeze(registration.subscriptions);
    return new ValidatedRegistration(Object.freeze(registration), quick?.targets, 'wire');
  }

  /**
   * Validates a registration given in code (camelCase). The copy is not frozen: only the
   * returned object holds it.
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
