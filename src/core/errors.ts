import { redactSecrets } from './redaction';

/**
 * A user's mistake (broken export, malformed event, bad setting, hostile query string), as
 * opposed to a bug or an outage. Its message is one line that names what is wrong; the CLI
 * prints it without a stack trace (exit 2) and the HTTP API answers 400 with it.
 */
export class InputError extends Error {
  constructor(
    message: string,
    /** Machine-readable code for the HTTP API's `{ error: { code, message } }`. */
    readonly code: string = 'BadInput',
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/** A dependency (store, ARM, a channel) is unreachable: the HTTP API answers 503. */
export class DependencyError extends Error {
  constructor(
    message: string,
    readonly dependency: string,
  ) {
    super(message);
    this.name = 'DependencyError';
  }
}

/** The addressed thing (a cluster) is not known: the HTTP API answers 404. */
export class NotFoundError extends Error {
  constructor(
    message: string,
    readonly code: string = 'NotFound',
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * The app's own settings are missing or malformed (a deployment mistake, not the caller's):
 * the HTTP API answers 500 with a generic message and the setting's name goes to the log.
 */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/**
 * The message of anything thrown, with secrets redacted (`redactSecrets`): what every error
 * path prints, logs or stores. `firstLine` keeps only its first line (SDK messages can carry a
 * request dump after it).
 */
export function errorMessage(error: unknown, options: { firstLine?: boolean } = {}): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactSecrets(options.firstLine ? message.split(/\r?\n/)[0] : message);
}
