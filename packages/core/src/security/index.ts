export { TokenAuthenticator, constantTimeEqual, type AuthorizeRejection } from './token-auth';
export { resolveApiTokens, type ApiToken, type ApiTokenInput } from './api-tokens';
export {
  NOTIFICATION_SIGNATURE_HEADER,
  NOTIFICATION_TIMESTAMP_HEADER,
  createNotificationSigner,
  type NotificationSigner,
} from './notification-signer';
export { TARGET_POLICY_ERROR_CODE, TargetPolicyError, TargetPolicyGuard, type TargetPolicy } from './target-policy';
