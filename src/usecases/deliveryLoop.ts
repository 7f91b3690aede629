/**
 * Sending is its own loop (docs/architecture.md "Persistence and alerting"): never on the path
 * of a webhook or trigger response. The local host runs this loop; in Azure the timer-triggered
 * `deliverAlerts` function is the loop. A run goes at start, every `intervalMs` (so an alert
 * that is due — fresh, or its retry time reached — is attempted within that interval, with or
 * without traffic) and whenever `wake()` says new outbox rows were stored (so a page does not
 * wait for the interval). Runs never overlap: a wake during a run asks for one more run after it.
 */

export interface DeliveryLoop {
  /** Outbox rows were stored: run now (or right after the run under way). */
  wake(): void;
  /** Stop the interval and wait for the run under way, if any. */
  stop(): Promise<void>;
}

/** How often the local delivery loop looks at the outbox without being woken. */
export const DEFAULT_DELIVERY_INTERVAL_MS = 10_000;

export function startDeliveryLoop(
  run: () => Promise<unknown>,
  options: { intervalMs?: number; log: (line: string) => void },
): DeliveryLoop {
  const intervalMs = options.intervalMs ?? DEFAULT_DELIVERY_INTERVAL_MS;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const go = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        await run();
      } catch (error) {
        // The rows stay pending; the next run tries again.
        options.log(
          `alerts: delivery run failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    })().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        go();
      }
    });
  };

  const interval = setInterval(go, intervalMs);
  // The loop serves the process (the local host), it does not keep it alive on its own.
  interval.unref();
  go();
  return {
    wake: go,
    stop: async () => {
      stopped = true;
      clearInterval(interval);
      while (running) await running;
    },
  };
}
