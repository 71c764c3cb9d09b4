/**
 * Keeps secrets out of everything the CLI prints: passwords in URLs (`postgres://app:***@db/x`)
 * and, as a last line of defence, any literal secret it was told about (a URL's password, the
 * bearer token) wherever it appears in a message — a driver error, a stack, a store message.
 */

const MASK = '***';

/** `scheme://user:password@` — the password part ends at the last `@` before the host. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s/]*)@/gi;

/** `postgres://app:s3cret@db/x` → `postgres://app:***@db/x`; text that is not a URL comes back unchanged. */
export function redactUrl(raw: string): string {
  return raw.replace(URL_CREDENTIALS, (_all, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}

/** Masks URL passwords and registered secrets in any text before it is printed. */
export class SecretMasker {
  readonly #secrets = new Set<string>();

  /** Remembers a secret (a password, a token) so that it never appears in output. */
  add(secret: string | undefined): void {
    if (secret === undefined || secret === '') return;
    this.#secrets.add(secret);
    // The same secret as it appears percent-encoded in a URL, and decoded.
    try {
      this.#secrets.add(decodeURIComponent(secret));
    } catch {
      // not percent-encoded text
    }
    this.#secrets.add(encodeURIComponent(secret));
  }

  /** Remembers the password of a URL (raw and decoded); ignores text that is not a URL. */
  addUrl(raw: string): void {
    try {
      const url = new URL(raw);
      this.add(url.password);
    } catch {
      // Not parseable: the URL pattern in mask() still hides `user:password@`.
    }
  }

  /** The text with URL passwords and every registered secret replaced by `***`. */
  mask(text: string): string {
    let out = redactUrl(text);
    // Longest first, so a secret that contains another is masked whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    return out;
  }
}
