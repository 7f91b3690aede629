/**
 * The Functions app entry point (`main` in package.json), loaded only by the Functions host:
 * registers the HTTP functions, and importing a trigger file registers that trigger. The local
 * host imports `./httpFunctions` instead, so it never calls `app.*` (outside the Functions host
 * each call prints a "test mode" WARNING from @azure/functions).
 */
import { registerHttpFunctions } from './http';
import { HTTP_FUNCTIONS } from './httpFunctions';
import { loadAppSettings } from '../runtime';
import './armEvents';
import './auditSubscription';
import './auditSubscriptionPoison';
import './nightlyAudit';

registerHttpFunctions(HTTP_FUNCTIONS);

// Fail start-up, not the first invocation, when an app setting is missing or malformed: the
// host logs the error naming the setting and the app does not come up half-configured.
loadAppSettings();

export { HTTP_FUNCTIONS };
