import type { RegistryStore } from '@governance/core';
import { CliError, UsageError } from '../errors';
import { redactUrl, type SecretMasker } from '../mask';
import type { Endpoint } from './endpoint';
import { ManagerEndpoint } from './manager-endpoint';
import { StoreEndpoint } from './store-endpoint';

/** What a URL names. */
export type EndpointKind = 'postgres' | 'mysql' | 'mongodb' | 'manager';

const KINDS: Readonly<Record<string, EndpointKind>> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'mongodb:': 'mongodb',
  'mongodb+srv:': 'mongodb',
  'http:': 'manager',
  'https:': 'manager',
};

/** Query parameters the CLI reads itself (removed before the URL reaches the store). */
const CLI_PARAMETERS: Readonly<Record<EndpointKind, Readonly<Record<string, string>>>> = {
  postgres: { schema: 'schema', table_prefix: 'tablePrefix' },
  mysql: { table_prefix: 'tablePrefix' },
  mongodb: { collection_prefix: 'collectionPrefix' },
  manager: {},
};

/** A checked endpoint URL: its kind, the URL the store or client gets, and the CLI's own options. */
export interface EndpointUrl {
  kind: EndpointKind;
  url: URL;
  /** Store options taken from the CLI's query parameters (`schema`, `tablePrefix`, `collectionPrefix`). */
  options: Record<string, string>;
  /** The URL with its password masked. */
  label: string;
}

const SUPPORTED = 'postgres://, mysql:// (MariaDB), mongodb:// or http(s)://host:port/prefix (a running manager)';

function memoryHint(raw: string): string {
  return /^mem(ory)?(:|$)/i.test(raw) ? "; a memory store lives inside its manager's process: give the manager's URL (http://host:port/prefix)" : '';
}

/**
 * Checks a `--from` / `--to` / `--manager` URL. Throws `UsageError` (exit 2) naming the option
 * for anything that is not one of the supported kinds.
 */
export function parseEndpointUrl(raw: string, option: string): EndpointUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`[cli] ${option} must be a URL: ${SUPPORTED} (got "${redactUrl(raw)}")${memoryHint(raw)}`);
  }
  const kind = KINDS[url.protocol];
  if (kind === undefined) {
    throw new UsageError(`[cli] ${option} must be ${SUPPORTED} (got ${url.protocol}//…)${memoryHint(raw)}`);
  }
  if (kind === 'manager' && (url.username !== '' || url.password !== '')) {
    throw new UsageError(`[cli] ${option}: put the manager's token in --token or GOVERNANCE_TOKEN, not in the URL`);
  }
  if (kind === 'manager' && (url.search !== '' || url.hash !== '')) {
    throw new UsageError(`[cli] ${option}: a manager URL is http(s)://host:port/prefix, without a query or fragment`);
  }
  const label = redactUrl(kind === 'manager' ? url.href.replace(/\/+$/, '') : url.href);
  const options: Record<string, string> = {};
  for (const [param, option_] of Object.entries(CLI_PARAMETERS[kind])) {
    const value = url.searchParams.get(param);
    if (value !== null) {
      options[option_] = value;
      url.searchParams.delete(param);
    }
  }
  return { kind, url, options, label };
}

/** Loads a store package; a separate function so a missing driver can be reported clearly. */
export type ModuleLoader = (specifier: string) => Promise<Record<string, unknown>>;

const defaultLoader: ModuleLoader = (specifier) => import(specifier) as Promise<Record<string, unknown>>;

const PACKAGES: Readonly<Record<Exclude<EndpointKind, 'manager'>, { pkg: string; driver: string; className: string }>> = {
  postgres: { pkg: '@governance/store-postgres', driver: 'pg', className: 'PostgresStore' },
  mysql: { pkg: '@governance/store-mysql', driver: 'mysql2', className: 'MySqlStore' },
  mongodb: { pkg: '@governance/store-mongodb', driver: 'mongodb', className: 'MongoStore' },
};

function missingModule(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const match = /Cannot find (?:package|module) '([^']+)'/.exec(error instanceof Error ? error.message : '');
  return match?.[1];
}

/** Imports the store class for `kind`; a missing package or driver gives a `CliError` naming what to install. */
export async function loadStoreClass(
  kind: Exclude<EndpointKind, 'manager'>,
  load: ModuleLoader = defaultLoader,
): Promise<new (options: Record<string, unknown>) => RegistryStore> {
  const { pkg, driver, className } = PACKAGES[kind];
  let module: Record<string, unknown>;
  try {
    module = await load(pkg);
  } catch (error) {
    const missing = missingModule(error);
    if (missing === undefined) throw error;
    const name = missing === driver || missing.startsWith(`${driver}/`) ? driver : missing.startsWith(pkg) ? pkg : missing;
    throw new CliError(
      `[cli] ${kind}:// URLs need the package "${name}", which is not installed: install it beside @governance/cli ` +
        `(npm install ${name}), or with npx: npx -p @governance/cli -p ${name} governance …`,
      { cause: error },
    );
  }
  const StoreClass = module[className];
  if (typeof StoreClass !== 'function') throw new CliError(`[cli] ${pkg} does not export ${className}; install a matching version`);
  return StoreClass as new (options: Record<string, unknown>) => RegistryStore;
}

/** What opening an endpoint needs besides its URL. */
export interface OpenOptions {
  masker: SecretMasker;
  /** Bearer token for a manager URL. */
  token?: string | undefined;
  load?: ModuleLoader;
}

/** Opens the store or manager a URL names (nothing connects until the first call). */
export async function openEndpoint(target: EndpointUrl, options: OpenOptions): Promise<Endpoint> {
  options.masker.addUrl(target.url.href);
  if (target.kind === 'manager') {
    options.masker.add(options.token);
    return new ManagerEndpoint(target.url, target.label, { token: options.token });
  }
  const StoreClass = await loadStoreClass(target.kind, options.load);
  const storeOptions =
    target.kind === 'mongodb'
      ? { uri: target.url.href, ...target.options }
      : { connectionString: target.url.href, ...target.options };
  let store: RegistryStore;
  try {
    store = new StoreClass(storeOptions);
  } catch (error) {
    throw new UsageError(`[cli] ${target.label} cannot be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  return new StoreEndpoint(store, target.label);
}
