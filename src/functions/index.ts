/**
 * The Functions app entry point (`main` in package.json), loaded only by the Functions host:
 * registers every function, declared in its own file (`./registry` explains why declaring and
 * registering are apart). The local host imports `./httpFunctions` instead, so it never calls
 * `app.*`.
 */
import { armEventsFunction } from './armEvents';
import { auditSubscriptionFunction } from './auditSubscription';
import { auditSubscriptionPoisonFunction } from './auditSubscriptionPoison';
import { HTTP_FUNCTIONS } from './httpFunctions';
import { nightlyAuditFunction } from './nightlyAudit';
import { registerFunctions, type FunctionDefinition } from './registry';
import { loadAppSettings } from '../runtime';
import { deliverAlertsFunction } from './deliverAlerts';

export const FUNCTIONS: readonly FunctionDefinition[] = [
  ...HTTP_FUNCTIONS,
  armEventsFunction,
  nightlyAuditFunction,
  auditSubscriptionFunction,
  auditSubscriptionPoisonFunction,
  deliverAlertsFunction,
];

registerFunctions(FUNCTIONS);

// Fail start-up, not the first invocation, when an app setting is missing or malformed: the
// host logs the error naming the setting and the app does not come up half-configured.
loadAppSettings();

export { HTTP_FUNCTIONS };
