/**
 * Errors of Azure SDK calls in one line a person can act on: a credential that could not get a
 * token says to run `az login` or set `AZURE_CLIENT_ID` (DefaultAzureCredential's own message,
 * `ChainedTokenCredential authentication failed.`, says neither), a 401 or 403 says which right
 * is missing. Never request headers: they carry the token; secrets an SDK echoes are redacted.
 */
import { redactSecrets } from '../core/redaction';

/** What to do when no credential could get a token; shared by every live read (ARM, Graph). */
export const CREDENTIAL_HINT =
  'no Azure credential could get a token: run `az login` (`az login --identity` on an Azure VM), ' +
  'or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) for a service principal; ' +
  'in Azure, give the app a managed identity (AZURE_CLIENT_ID selects a user-assigned one)';

const CREDENTIAL_ERROR_NAMES = new Set([
  'AggregateAuthenticationError',
  'CredentialUnavailableError',
  'AuthenticationError',
  'AuthenticationRequiredError',
]);
const CREDENTIAL_MESSAGES =
  /ChainedTokenCredential authentication failed|DefaultAzureCredential|CredentialUnavailableError|Please run 'az login'|AADSTS\d+/i;

interface ErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Whether the error is a credential's failure to get a token (not Azure refusing one). */
export function isCredentialError(error: unknown): boolean {
  const e = error as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.statusCode === 'number') return false;
  return CREDENTIAL_ERROR_NAMES.has(e.name ?? '') || CREDENTIAL_MESSAGES.test(e.message ?? '');
}

const READER_HINT =
  'the auditing identity needs Reader on the subscription (az role assignment create --assignee <its object id> --role Reader --scope /subscriptions/<subscription-id>)';

/**
 * Status, ARM error code and first line of the message, with what to do for auth failures.
 * `forbiddenHint` is what a 403 means for this read (default: Reader on the subscription; empty
 * when the caller names the permission itself).
 */
export function describeAzureError(error: unknown, forbiddenHint = READER_HINT): string {
  const e = error as ErrorLike | undefined;
  const firstLine = e?.message?.split('\n')[0]?.trim();
  if (isCredentialError(error))
    return firstLine ? `${CREDENTIAL_HINT} (${redactSecrets(firstLine)})` : CREDENTIAL_HINT;
  const parts = [e?.statusCode ? `HTTP ${e.statusCode}` : undefined, e?.code, firstLine].filter(
    Boolean,
  );
  let text = redactSecrets(parts.join(' ') || String(error));
  if (text.length > 400) text = `${text.slice(0, 400)}…`;
  if (e?.statusCode === 401)
    return `${text}: the token was refused (run \`az login --tenant <tenant-id>\`, or check AZURE_TENANT_ID)`;
  if (e?.statusCode === 403 && forbiddenHint !== '') return `${text}: ${forbiddenHint}`;
  return text;
}
