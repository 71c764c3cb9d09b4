export { GovernanceClient } from './governance-client.js';
export type {
  CallOptions,
  GovernanceClientOptions,
  KeepRegisteredHandle,
  KeepRegisteredOptions,
  RegistrationOutcome,
  RegistrationResult,
} from './governance-client.js';
export {
  GovernanceClientError,
  ManagerUnavailableError,
  NotFoundError,
  RegistrationRejectedError,
  UnauthorizedError,
} from './errors.js';
export type { GovernanceClientErrorCode } from './errors.js';
export { createNotificationHandler } from './notification-handler.js';
export type {
  KoaLikeContext,
  NotificationCallback,
  NotificationHandler,
  NotificationHandlerOptions,
} from './notification-handler.js';
export { NotificationServer } from './notification-server.js';
export type { NotificationServerOptions } from './notification-server.js';
export { DiscoveryCache } from './discovery-cache.js';
export type { WatchEvent, WatchOptions } from './watch.js';
export type { DiscoveredPod, DiscoveryCacheEvents, DiscoveryCacheOptions, Endpoint } from './discovery-cache.js';
export {
  SIGNATURE_HEADER,
  TARGET_HEADER,
  TIMESTAMP_HEADER,
  signNotification,
  subscriberKey,
  verifyNotificationSignature,
} from './signature.js';
export type { NotificationSignatureHeaders, Subscriber, VerifyOptions } from './signature.js';
export { backoffDelay, parseRetryAfter } from './retry.js';
export type { BackoffOptions } from './retry.js';
export { EVENT_TYPES, PROTOCOLS, REVISION_HEADER, SERVICE_STATUSES, parseNotificationPayload } from './wire.js';
export type {
  EventType,
  FieldError,
  NotificationPayload,
  NotificationPod,
  Protocol,
  Provider,
  RegisteredService,
  RegistrationInput,
  ServiceRegistration,
  ServiceStatus,
} from './wire.js';
