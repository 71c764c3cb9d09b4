import { z } from 'zod';
import { ValidationError, formatPath } from '../errors';

/** One bearer token the HTTP API accepts (the transport's `tokens` option). */
export interface ApiToken {
  /** The secret the caller sends as `Authorization: Bearer <token>` (at least 16 characters). */
  token: string;
  /** Service names this token may register and unregister; `['*']` for all. */
  services: string[];
  /** Whether it may read (`GET /services…`). Default false. */
  read: boolean;
  /** A label for logs and error messages; never the token itself. */
  name?: string;
}

/** What the `tokens` option accepts: an {@link ApiToken} whose `read` may be left out (false). */
export type ApiTokenInput = Omit<ApiToken, 'read'> & { read?: boolean };

/** The schema of a `tokens` list, shared by the transport option and the deprecated manager setting. */
export const apiTokensSchema = z
  .array(
    z.strictObject({
      token: z.string().min(16, 'must be at least 16 characters').max(512),
      services: z.array(z.string().min(1).max(128)).min(1, 'must name at least one service, or "*"'),
      read: z.boolean().optional(),
      name: z.string().max(128).optional(),
    }),
  )
  .max(1000);

/** Frozen copies of already checked tokens, `read` filled in. */
export function normalizeApiTokens(tokens: readonly ApiTokenInput[]): readonly ApiToken[] {
  return Object.freeze(tokens.map((t) => Object.freeze({ ...t, read: t.read ?? false })));
}

/**
 * Checks a `tokens` list and returns frozen copies with `read` filled in.
 * @param context what the list belongs to, for the message (`handler options`).
 * @throws ValidationError naming every bad field (`tokens[0].token: must be at least 16 characters`).
 */
export function resolveApiTokens(input: unknown, context: string): readonly ApiToken[] {
  const parsed = apiTokensSchema.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({ path: formatPath(['tokens', ...issue.path]), message: issue.message }));
    throw new ValidationError(errors, { context });
  }
  return normalizeApiTokens(parsed.data);
}
