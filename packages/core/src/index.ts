export * from './model';
export * from './errors';
export * from './store';
export type * from './coordination';
export * from './wire';
export {
  LIMITS,
  HTTP_URL_SCHEMES,
  nameProblem,
  parseRegistration,
  validateRegistration,
  parseServiceInfo,
  formatFieldErrors,
} from './validation';
export * from './manager/index';
export * from './transport/index';
export * from './security/index';
