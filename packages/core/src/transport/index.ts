export { createGovernanceHandler, isGovernanceRoute, DEFAULT_BODY_LIMIT } from './handler';
export { BodyReadError, readBody } from './body-reader';
export type {
  AuthorizeRejection,
  AuthorizeRequest,
  AuthorizeResult,
  GovernanceHandler,
  GovernanceHandlerManager,
  GovernanceHandlerOptions,
  GovernanceHeaders,
  GovernanceRequest,
  GovernanceResponse,
  TransportLogger,
} from './handler-types';
