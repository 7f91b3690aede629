/**
 * A TokenCredential test double for SDK clients pointed at the local HTTPS fakes. The token is
 * obviously not a real one, so nothing that logs or echoes it can leak anything.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export const STATIC_TEST_TOKEN = 'fake-token-for-local-tests-only';

export interface StaticTestCredential extends TokenCredential {
  /** Scopes requested so far, in order (tests may assert the audience an SDK asked for). */
  readonly scopesRequested: string[];
}

/** Always returns the same fake token, valid for a year: the SDK never needs to refresh it. */
export function staticTestCredential(token: string = STATIC_TEST_TOKEN): StaticTestCredential {
  const scopesRequested: string[] = [];
  return {
    scopesRequested,
    async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      scopesRequested.push(...(Array.isArray(scopes) ? scopes : [scopes]));
      return {
        token,
        expiresOnTimestamp: Date.now() + 365 * 24 * 3600 * 1000,
        tokenType: 'Bearer',
      };
    },
  };
}
