import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { FieldError } from '../errors';

/**
 * Which URLs the manager will call (health checks and notifications): an SSRF guard.
 * Checked at registration (literal addresses) and again on the resolved address at connect time.
 */
export interface TargetPolicy {
  /** Allowed URL schemes, without the colon. Default `['http', 'https', 'tcp']`. */
  schemes: string[];
  /** CIDR ranges that are allowed; empty means every address not denied. Default `[]`. */
  allow: string[];
  /** CIDR ranges that are refused, checked before `allow`. Default: link-local and "this network". */
  deny: string[];
}

/**
 * Denied by default: link-local (cloud metadata at 169.254.169.254) and the unspecified /
 * "this network" addresses (connecting to 0.0.0.0 or :: reaches the local host).
 */
export const DEFAULT_DENIED_RANGES: readonly string[] = Object.freeze(['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128']);

/** True for a CIDR range such as `10.0.0.0/8` or `fd00::/8`. */
export function isCidr(value: string): boolean {
  const slash = value.lastIndexOf('/');
  if (slash <= 0) return false;
  const address = value.slice(0, slash);
  const bits = Number(value.slice(slash + 1));
  const family = isIP(address);
  if (family === 0 || !Number.isInteger(bits) || value.slice(slash + 1) === '') return false;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

/** `code` of the error a connection refused by the target policy fails with. */
export const TARGET_POLICY_ERROR_CODE = 'ERR_GOVERNANCE_TARGET_POLICY';

/** A connection the target policy refused (the resolved address is denied or not allowed). */
export class TargetPolicyError extends Error {
  readonly code = TARGET_POLICY_ERROR_CODE;
  /** The address that was refused. */
  readonly address: string;

  constructor(message: string, address: string) {
    super(message);
    this.name = 'TargetPolicyError';
    this.address = address;
  }
}

/** Most address verdicts a guard remembers (the oldest is forgotten first). */
const VERDICT_CACHE_SIZE = 1024;

/** Names that resolve to loopback without asking DNS (RFC 6761). */
const LOCALHOST_ADDRESSES = ['127.0.0.1', '::1'] as const;

function blockList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const slash = range.lastIndexOf('/');
    const address = range.slice(0, slash);
    list.addSubnet(address, Number(range.slice(slash + 1)), isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function bareHost(hostname: string): string {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const zone = host.indexOf('%');
  return zone === -1 ? host : host.slice(0, zone);
}

function isLocalhost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Applies a {@link TargetPolicy} (the SSRF guard) to the URLs the manager calls. Two checks:
 *
 * - at registration, {@link urlProblem}: the scheme, and the address when the host is a
 *   literal IP or a `localhost` name (resolved statically to 127.0.0.1 and ::1);
 * - at connection time, {@link lookup} (given to every probe and notification request) resolves
 *   the host and refuses the connection when ANY resolved address is denied, so a name that
 *   later resolves somewhere else (DNS rebinding) is still caught; {@link connectProblem}
 *   checks the scheme and literal addresses, which Node connects to without a lookup.
 *
 * An address is refused when it is in `deny`, or when `allow` is non-empty and it is not in
 * `allow`. IPv4-mapped IPv6 addresses (`::ffff:169.254.169.254`) match the IPv4 ranges.
 */
export class TargetPolicyGuard {
  readonly #schemes: ReadonlySet<string>;
  readonly #schemeList: string;
  readonly #deny: BlockList;
  readonly #allow: BlockList | undefined;
  /** Verdicts per address string: the policy never changes, and BlockList checks are costly. */
  readonly #verdicts = new Map<string, string | undefined>();

  constructor(policy: TargetPolicy) {
    this.#schemes = new Set(policy.schemes.map((s) => `${s.toLowerCase()}:`));
    this.#schemeList = policy.schemes.join(', ');
    this.#deny = blockList(policy.deny);
    this.#allow = policy.allow.length > 0 ? blockList(policy.allow) : undefined;
  }

  /** Why the policy refuses this IP address, or `undefined` when it is allowed. */
  addressProblem(address: string): string | undefined {
    const known = this.#verdicts.get(address);
    if (known !== undefined || this.#verdicts.has(address)) return known;
    const verdict = this.#check(address);
    if (this.#verdicts.size >= VERDICT_CACHE_SIZE) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    this.#verdicts.set(address, verdict);
    return verdict;
  }

  #check(address: string): string | undefined {
    const ip = bareHost(address);
    const family = isIP(ip);
    if (family === 0) return `${JSON.stringify(address)} is not an IP address`;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.#deny.check(ip, type)) return `address ${ip} is denied by the target policy`;
    if (this.#allow !== undefined && !this.#allow.check(ip, type)) {
      return `address ${ip} is not in the target policy's allow list`;
    }
    return undefined;
  }

  /** Why the policy refuses this URL scheme (`http:`), or `undefined`. */
  schemeProblem(protocol: string): string | undefined {
    if (this.#schemes.has(protocol.toLowerCase())) return undefined;
    return `scheme ${protocol.replace(/:$/, '')} is not allowed by the target policy (allowed: ${this.#schemeList})`;
  }

  /**
   * The registration-time check of one URL: scheme, and address when it is known without DNS.
   * Unparseable URLs pass (validation reports them); names other than `localhost` pass (they
   * are checked when connecting).
   */
  urlProblem(raw: string | URL): string | undefined {
    let url: URL;
    try {
      url = typeof raw === 'string' ? new URL(raw) : raw;
    } catch {
      return undefined;
    }
    const scheme = this.schemeProblem(url.protocol);
    if (scheme !== undefined) return scheme;
    const host = bareHost(url.hostname);
    if (isIP(host) !== 0) return this.addressProblem(host);
    if (isLocalhost(host)) {
      for (const address of LOCALHOST_ADDRESSES) {
        const problem = this.addressProblem(address);
        if (problem !== undefined) return `${host} is ${address}: ${problem}`;
      }
    }
    return undefined;
  }

  /**
   * Problems of a registration's two URLs. `parsed` are the same URLs already parsed by
   * validation (saves parsing them again); `pathOf` names a field in the caller's vocabulary
   * (camelCase by default).
   */
  registrationProblems(
    registration: { healthCheckUrl: string; notificationUrl: string },
    parsed?: { healthCheck: URL; notification: URL },
    pathOf: (field: 'healthCheckUrl' | 'notificationUrl') => string = (field) => field,
  ): FieldError[] {
    // An empty health URL (a TTL pod, allowed by validation only with a ttl) calls nothing.
    const health = registration.healthCheckUrl === '' ? undefined : this.urlProblem(parsed?.healthCheck ?? registration.healthCheckUrl);
    const notify = this.urlProblem(parsed?.notification ?? registration.notificationUrl);
    if (health === undefined && notify === undefined) return [];
    const errors: FieldError[] = [];
    const hint = '; use an allowed address or change targetPolicy';
    if (health !== undefined) errors.push({ path: pathOf('healthCheckUrl'), message: health + hint });
    if (notify !== undefined) errors.push({ path: pathOf('notificationUrl'), message: notify + hint });
    return errors;
  }

  /**
   * The connect-time check Node's `lookup` cannot do: the scheme, and a host that is a literal
   * IP (Node connects to those without a lookup). Returns the full error message, or `undefined`.
   */
  connectProblem(protocol: string, hostname: string): string | undefined {
    const scheme = this.schemeProblem(protocol);
    if (scheme !== undefined) return `[core] ${scheme}; the target was not contacted`;
    const host = bareHost(hostname);
    if (isIP(host) === 0) return undefined;
    const problem = this.addressProblem(host);
    return problem === undefined ? undefined : `[core] refused to connect to ${host}: ${problem}; change targetPolicy to allow it`;
  }

  /**
   * A `lookup` for `http.request` / `net.connect`: resolves like `dns.lookup`, then fails with a
   * {@link TargetPolicyError} when any resolved address is refused by the policy.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '', undefined);
        return;
      }
      for (const entry of addresses) {
        const problem = this.addressProblem(entry.address);
        if (problem !== undefined) {
          const message = `[core] refused to connect to ${hostname} (${entry.address}): ${problem}; change targetPolicy to allow it`;
          callback(new TargetPolicyError(message, entry.address), '', undefined);
          return;
        }
      }
      if (options.all) callback(null, addresses);
      else if (addresses[0] !== undefined) callback(null, addresses[0].address, addresses[0].family);
      else callback(Object.assign(new Error(`[core] ${hostname} resolved to no address`), { code: 'ENOTFOUND' }), '', undefined);
    });
  };
}
