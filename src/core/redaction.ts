/**
 * The one redaction every error path goes through before text leaves the process (CLI stderr,
 * the Functions and local-host logs, channel errors stored with an alert): secrets that Azure
 * SDKs and HTTP clients echo in messages are replaced by `[redacted]`.
 *
 * Covered, in every encoding they turn up in (plain, JSON `\u0026`, HTML `&amp;`, percent-encoded
 * once or twice):
 * - SAS signatures `sig=…` (storage SAS URLs, Teams Workflows / Logic Apps webhook URLs),
 *   and a connection string's whole `SharedAccessSignature=…`;
 * - keys in connection strings: `AccountKey=`, `AccessKey=` (ACS), `SharedAccessKey=`, `Password=`;
 * - Azure Functions keys: the `code=` query parameter and the `x-functions-key` header;
 * - bearer tokens (`Authorization: Bearer …`);
 * - any secret the caller knows verbatim (a configured webhook URL), wherever it appears.
 */

export const REDACTED = '[redacted]';

/** A query-string separator before a parameter name: `?`, `&`, JSON `\u0026`, HTML `&amp;`, percent-encoded `%26` / `%3F` (also double-encoded). */
const QUERY_SEPARATOR = String.raw`(?:[?&]|\\u0026|&amp;|%(?:25)?26|%(?:25)?3[Ff])`;
/** `=` as it appears after a parameter name, plain or percent-encoded (once or twice). */
const EQUALS = String.raw`(?:=|%(?:25)?3[Dd])`;
/**
 * A parameter value: up to the next separator, quote, space or `;`. Percent escapes are kept
 * inside the value except an encoded `&` (`%26`), which starts the next parameter.
 */
const VALUE = String.raw`(?:%(?!(?:25)?26)[0-9A-Fa-f]{2}|[^&\s"'<>;,\\%])+`;

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A connection string's SAS token holds `&` between its parameters: it goes whole, to the `;`.
  [/(SharedAccessSignature\s*=\s*)[^;\s"']+/gi, `$1${REDACTED}`],
  [
    /((?<![A-Za-z])(?:AccountKey|AccessKey|SharedAccessKey|Password)\s*=\s*)[^;\s"']+/gi,
    `$1${REDACTED}`,
  ],
  // `sig` is distinctive enough to be caught after any non-letter or percent escape (`%3Fsig`).
  [
    new RegExp(String.raw`((?:(?<![A-Za-z])|(?<=%[0-9A-Fa-f]{2}))sig${EQUALS})${VALUE}`, 'gi'),
    `$1${REDACTED}`,
  ],
  [new RegExp(String.raw`(${QUERY_SEPARATOR}code${EQUALS})${VALUE}`, 'gi'), `$1${REDACTED}`],
  [/(x-functions-key["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, `$1${REDACTED}`],
  [/(\bBearer\s+)[A-Za-z0-9\-._~+/]{16,}=*/g, `$1${REDACTED}`],
];

/**
 * `text` with every secret form above replaced by `[redacted]`, and every occurrence of the
 * `known` secrets (at least 8 characters, so a short value cannot blank ordinary words) too.
 */
export function redactSecrets(text: string, known: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const secret of known) {
    if (secret && secret.length >= 8) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
