/**
 * The public API of `@governance/core`: what a host application (the manager, its config and
 * events, the HTTP handler) and a store author (the `RegistryStore` contract, the model, errors,
 * validation and the wire format) need. Everything else is internal; the package's own tests
 * import it by relative path. Adapters live at `@governance/core/express`, `/koa` and `/node`;
 * the store conformance suite at `@governance/core/testing`.
 */

// The model and the registry key.
export {
  EVENT_TYPES,
  KEY_SEPARATOR,
  PROTOCOLS,
  SERVICE_STATUSES,
  cloneService,
  keyOf,
  serviceKey,
  type EventType,
  type NotificationPayload,
  type NotificationPod,
  type Protocol,
  type Provider,
  type ServiceInfo,
  type ServiceRegistration,
  type ServiceStatus,
} from './model';

// Errors.
export {
  ClusterError,
  GovernanceError,
  WatchLimitError,
  ManagerStoppedError,
  NotFoundError,
  QueueFullError,
  StoreError,
  ValidationError,
  formatFieldErrors,
  isGovernanceError,
  type FieldError,
  type GovernanceErrorCode,
  type StoreOperation,
} from './errors';

// The storage contract.
export {
  applyMutationsSequentially,
  type RegistryStore,
  type StoreCallOptions,
  type StoreMutation,
  type StoreMutationResult,
  type StoreStats,
} from './store';

// Coordination capabilities a store may offer (cluster mode; see docs/cluster.md).
export type * from './coordination';

// Validation and the wire format.
export {
  LIMITS,
  parseRegistration,
  parseServiceInfo,
  validateRegistration,
  type FieldVocabulary,
  type RegistrationField,
  type ValidatedRegistration,
} from './validation';
export {
  fromWireRegistration,
  fromWireService,
  toWireRegistration,
  toWireService,
  type GoServiceInfo,
  type WireProfile,
  type WireProvider,
  type WireRegistration,
  type WireServiceInfo,
} from './wire';

// The manager.
export {
  Manager,
  type ClusterStats,
  type CommitSummary,
  type ManagerEvents,
  type ManagerHealth,
  type ManagerStats,
  type NotificationDelivery,
  type NotificationFailure,
  type RequestFailure,
  type SelfPreservationState,
} from './manager/manager';
export type { RegisterOutcome, RegisterResult } from './manager/batch-plan';
export {
  DEFAULT_MANAGER_CONFIG,
  type DurationSetting,
  type ManagerConfig,
  type ManagerConfigInput,
  type StoreRetryConfig,
} from './manager/config';
export { formatDuration, parseDuration, type Duration } from './duration';
export type { ProbeResult } from './manager/probe';
export type { NotifierStats, SubscriberBacklog, SubscriberRecovered, SubscriberUnreachable } from './manager/notifier';
export type { WatchEvent, WatchListener } from './manager/group-watchers';
export { silentLogger, type Logger } from './manager/logger';
export type { ApiToken, ApiTokenInput } from './security/api-tokens';
export { TARGET_POLICY_ERROR_CODE, type TargetPolicy } from './security/target-policy';

// The HTTP handler (the adapters are subpath exports).
export { createGovernanceHandler, isGovernanceRoute } from './transport/handler';
export { BodyReadError } from './transport/body-reader';
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
  MetricsSource,
  StatusPageHandler,
  TransportLogger,
} from './transport/handler-types';
