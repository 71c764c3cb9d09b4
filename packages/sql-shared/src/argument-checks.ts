import { type FieldError, ValidationError } from '@governance/core';

/**
 * Checks the arguments of one coordination call before anything reaches the database, and
 * throws every problem at once as a `ValidationError` naming the store package, the call and
 * each bad argument: `[store-postgres] invalid renew arguments: leaseMs: must be …`.
 */
export class ArgumentChecks {
  readonly #errors: FieldError[] = [];
  readonly #storeName: string;
  readonly #call: string;

  constructor(storeName: string, call: string) {
    this.#storeName = storeName;
    this.#call = call;
  }

  /** An integer within [min, max]. */
  integer(path: string, value: unknown, min: number, max: number): this {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.#errors.push({ path, message: `must be an integer from ${min} to ${max}` });
    }
    return this;
  }

  /** A string of 1 (or `minLength`) to `maxLength` characters. */
  text(path: string, value: unknown, maxLength: number, minLength = 1): this {
    if (typeof value !== 'string' || value.length < minLength || value.length > maxLength) {
      const least = minLength === 0 ? 'a string' : 'a non-empty string';
      this.#errors.push({ path, message: `must be ${least} of at most ${maxLength} characters` });
    }
    return this;
  }

  /** A valid `Date`. */
  date(path: string, value: unknown): this {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) this.#errors.push({ path, message: 'must be a valid Date' });
    return this;
  }

  /** Throws the collected problems, if any. */
  done(): void {
    if (this.#errors.length > 0) {
      throw new ValidationError(this.#errors, { context: `${this.#call} arguments`, package: this.#storeName });
    }
  }
}
