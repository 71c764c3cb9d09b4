export * from './model';
export * from './errors';
export * from './store';
export * from './wire';
export {
  LIMITS,
  HTTP_URL_SCHEMES,
  nameProblem,
  parseRegistration,
  validateRegistration,
  parseServiceInfo,
  ValidatedRegistration,
  type FieldVocabulary,
  type RegistrationField,
} from './validation';
export * from './manager/index';
export * from './transport/index';
export * from './security/index';
