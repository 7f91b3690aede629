/**
 * A channel whose setting could not be used (docs/contracts.md "Settings"): it stays in the
 * channel list so that every alert records it as `failed`, with the setting and the problem as
 * the error, instead of the channel silently vanishing. Nothing is sent; the other channels are
 * unaffected. The alert is retried like any failure, so a restart with a fixed setting (or a
 * Key Vault reference App Service resolves later) still delivers what is within the budget.
 */
import type { Alert, ChannelName } from '../../core/model';
import type { Notifier } from '../../core/ports';

export class DisabledNotifier implements Notifier {
  constructor(
    readonly channel: ChannelName,
    /** Why: one line naming the setting, never its value. */
    readonly reason: string,
  ) {}

  async send(_alerts: Alert[], _options: { digest: boolean }): Promise<void> {
    throw new Error(`${this.channel}: channel disabled at start-up: ${this.reason}`);
  }
}
