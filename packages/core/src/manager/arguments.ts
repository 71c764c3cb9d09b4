import { ValidationError } from '../errors';
import type { RegistryStore } from '../store';

/** True for an object that looks like a `RegistryStore` (it has the methods the engine calls first). */
function isStoreLike(value: unknown): value is RegistryStore {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.saveService === 'function' && typeof v.getAllServices === 'function';
}

/**
 * Checks the arguments of `new Manager(config, store)` before the config is parsed, so a store
 * passed first (the order of some other libraries) gets a hint instead of "unknown key".
 * @throws ValidationError naming `store` (or `config`) and saying what to pass
 */
export function checkManagerArguments(config: unknown, store: unknown): asserts store is RegistryStore {
  if (isStoreLike(config)) {
    const hint = isStoreLike(store)
      ? 'two stores were passed'
      : store === undefined
        ? 'the config is missing: write new Manager({}, store)'
        : 'the arguments are swapped: write new Manager(config, store), config first';
    throw new ValidationError([{ path: 'config', message: `got a RegistryStore; ${hint}` }], { context: 'Manager arguments' });
  }
  if (!isStoreLike(store)) {
    const got = store === undefined ? 'nothing' : store === null ? 'null' : typeof store === 'object' ? 'an object without saveService()' : typeof store;
    throw new ValidationError(
      [{ path: 'store', message: `a RegistryStore (for example new MemoryStore()) is required as the second argument, got ${got}` }],
      { context: 'Manager arguments' },
    );
  }
}
