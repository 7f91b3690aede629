/**
 * The Functions app entry point (`main` in package.json), loaded only by the Functions host:
 * registers the HTTP functions, and importing a trigger file registers that trigger. The local
 * host imports `./httpFunctions` instead, so it never calls `app.*` (outside the Functions host
 * each call prints a "test mode" WARNING from @azure/functions).
 */
import { registerHttpFunctions } from './http';
import { HTTP_FUNCTIONS } from './httpFunctions';
import './armEvents';
import './auditSubscription';
import './auditSubscriptionPoison';
import './nightlyAudit';

registerHttpFunctions(HTTP_FUNCTIONS);

export { HTTP_FUNCTIONS };
