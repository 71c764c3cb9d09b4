import { type FieldError, ValidationError } from '@governance/core';

/**
 * Collects option problems and throws them together as one `ValidationError` whose message
 * names the store's package (`[store-postgres] invalid PostgresStore options: …`).
 */
export class OptionChecker {
  readonly errors: FieldError[] = [];
  readonly #context: string;
  readonly #packageName: string;

  /**
   * @param context what is checked (`PostgresStore options`).
   * @param packageName the package named at the start of the message (`store-postgres`).
   */
  constructor(context: string, packageName: string) {
    this.#context = context;
    this.#packageName = packageName;
  }

  fail(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  /** An optional non-empty string. */
  text(path: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') this.fail(path, 'must be a non-empty string');
    return typeof value === 'string' ? value : undefined;
  }

  /** An optional integer within [min, max]; `fallback` when absent. */
  integer(path: string, value: unknown, min: number, max: number, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  /** A SQL identifier part (letters, digits, `_`), checked before it is ever put in SQL. */
  identifier(path: string, value: unknown, fallback: string, maxLength: number, allowEmpty: boolean): string {
    if (value === undefined) return fallback;
    const pattern = allowEmpty ? /^([A-Za-z_][A-Za-z0-9_]*)?$/ : /^[A-Za-z_][A-Za-z0-9_]*$/;
    if (typeof value !== 'string' || !pattern.test(value) || value.length > maxLength) {
      this.fail(path, `must be ${allowEmpty ? 'empty or ' : ''}letters, digits and _ (not starting with a digit), at most ${maxLength} characters`);
      return fallback;
    }
    return value;
  }

  /** Throws the collected problems, if any. */
  done(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors, { context: this.#context, package: this.#packageName });
  }
}

/** Parses a connection URL, reporting a malformed one under `path`. */
export function parseUrl(checker: OptionChecker, path: string, value: string, protocols: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    checker.fail(path, `is not a valid URL (expected ${protocols[0]}//user:password@host:port/database)`);
    return undefined;
  }
  if (!protocols.includes(url.protocol)) {
    checker.fail(path, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return undefined;
  }
  return url;
}

/** A URL component, percent-decoded; `undefined` when empty. */
export function urlPart(value: string): string | undefined {
  return value === '' ? undefined : decodeURIComponent(value);
}
