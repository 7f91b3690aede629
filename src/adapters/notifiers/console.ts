/**
 * The local channel: prints the plain-text rendering, so `npm start` and the CLI show what would
 * page someone without any Azure resource. Writes to stderr by default: stdout carries reports.
 */
import type { Writable } from 'stream';
import { renderText } from '../../core/alertRendering';
import type { Alert } from '../../core/model';
import type { Notifier } from '../../core/ports';

export class ConsoleNotifier implements Notifier {
  readonly channel = 'console' as const;

  constructor(private readonly out: Pick<Writable, 'write'> = process.stderr) {}

  async send(alerts: Alert[], options: { digest: boolean }): Promise<void> {
    if (alerts.length === 0) return;
    const batches = options.digest ? [alerts] : alerts.map((a) => [a]);
    for (const batch of batches) {
      const text = `\n=== ALERT ===\n${renderText(batch)}`;
      await new Promise<void>((resolve, reject) => {
        this.out.write(text, (error?: Error | null) =>
          error
            ? reject(new Error(`console: could not write the alert: ${error.message}`))
            : resolve(),
        );
      });
    }
  }
}
