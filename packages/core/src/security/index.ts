export { TokenAuthenticator, constantTimeEqual } from './token-auth';
export {
  NOTIFICATION_SIGNATURE_HEADER,
  NOTIFICATION_TIMESTAMP_HEADER,
  createNotificationSigner,
  type NotificationSigner,
} from './notification-signer';
export { TARGET_POLICY_ERROR_CODE, TargetPolicyError, TargetPolicyGuard } from './target-policy';
export type { ApiToken, TargetPolicy } from '../manager/config';
