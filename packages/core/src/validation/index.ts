export { LIMITS, HTTP_URL_SCHEMES, nameProblem } from './rules';
export { parseServiceInfo } from './schema';
export type { RegistrationTargets } from './fast-path';
export {
  ValidatedRegistration,
  parseRegistration,
  validateRegistration,
  type FieldVocabulary,
  type RegistrationField,
} from './hand-off';
