/**
 * The configured alert channels, from plain options (the config loader maps ALERT_EMAIL_CONNECTION
 * / ALERT_EMAIL_ENDPOINT / ALERT_EMAIL_SENDER / ALERT_EMAIL_TO / ALERT_TEAMS_WEBHOOK_URL into
 * these). Order is email, Teams, console.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Agent } from 'https';
import type { Writable } from 'stream';
import { InputError } from '../../core/errors';
import type { Notifier } from '../../core/ports';
import { AcsEmailNotifier, type AcsEmailNotifierOptions } from './acsEmail';
import { ConsoleNotifier } from './console';
import { TeamsWebhookNotifier, type TeamsWebhookNotifierOptions } from './teamsWebhook';

export {
  AcsEmailNotifier,
  emailEndpointHost,
  type AcsEmailConnection,
  type AcsEmailNotifierOptions,
} from './acsEmail';
export { ConsoleNotifier } from './console';
export { DisabledNotifier } from './disabled';
export {
  TeamsWebhookNotifier,
  parseRetryAfter,
  webhookHost,
  type TeamsWebhookNotifierOptions,
} from './teamsWebhook';

export interface NotifierSettings {
  email?: { connectionString: string } | { endpoint: string; credential: TokenCredential };
  emailSender?: string;
  emailTo?: string[];
  teamsWebhookUrl?: string;
  /** Print alerts locally (the local host and the CLI). */
  console?: boolean;
  /** Where the console channel writes; default stderr. */
  consoleStream?: Pick<Writable, 'write'>;
  /** Tests: an agent trusting the local fakes' certificate, used by both HTTPS channels. */
  agent?: Agent;
  /** Tests: fast polling / no real waiting. */
  emailOptions?: Pick<AcsEmailNotifierOptions, 'pollIntervalMs' | 'timeoutMs' | 'clientOptions'>;
  teamsOptions?: Omit<TeamsWebhookNotifierOptions, 'webhookUrl' | 'agent'>;
}

export function createNotifiers(settings: NotifierSettings): Notifier[] {
  const notifiers: Notifier[] = [];
  if (settings.email) {
    if (!settings.emailSender) {
      throw new InputError(
        'ALERT_EMAIL_SENDER: required when email alerts are configured (e.g. DoNotReply@<domain>.azurecomm.net)',
      );
    }
    const recipients = (settings.emailTo ?? []).map((a) => a.trim()).filter(Boolean);
    if (recipients.length === 0) {
      throw new InputError(
        'ALERT_EMAIL_TO: required when email alerts are configured (comma-separated addresses)',
      );
    }
    notifiers.push(
      new AcsEmailNotifier({
        connection: settings.email,
        sender: settings.emailSender,
        recipients,
        agent: settings.agent,
        ...settings.emailOptions,
      }),
    );
  }
  if (settings.teamsWebhookUrl) {
    let teams: TeamsWebhookNotifier;
    try {
      teams = new TeamsWebhookNotifier({
        ...settings.teamsOptions,
        webhookUrl: settings.teamsWebhookUrl,
        agent: settings.agent,
      });
    } catch (error) {
      // The notifier's message names the host at most, never the URL.
      throw new InputError(
        `ALERT_TEAMS_WEBHOOK_URL: ${(error as Error).message.replace(/^teams: /, '')}`,
      );
    }
    notifiers.push(teams);
  }
  if (settings.console) notifiers.push(new ConsoleNotifier(settings.consoleStream));
  return notifiers;
}
