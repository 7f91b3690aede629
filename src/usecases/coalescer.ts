/**
 * Coalescing (docs/events.md): bursts are normal — a cluster update emits several writes, a
 * deployment dozens of role assignments — so requests are run together, and every caller of one
 * run shares its result promise.
 *
 * Leading edge: the first request after a quiet spell runs at once (in the next tick, so the
 * requests of one batch or one tick share it): a lone event pages as fast as it can be
 * evaluated. Requests arriving while a run is under way are folded into ONE follow-up run, which
 * starts when the run settles and at least `windowMs` after it started. So a burst costs at most
 * one run per window, and "always reading the current state" holds: a change that happened
 * after a read began is always read again.
 */

/** The timer runs wait on; injectable so tests step time instead of sleeping. */
export interface WindowTimer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

export const systemTimer: WindowTimer = {
  // Not unref()'d: a pending run is work a process (the CLI's `event`) must finish before it exits.
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** The shortest time between the starts of two runs (the coalescing window, docs/events.md). */
export const DEFAULT_WINDOW_MS = 1500;

export interface CoalescerOptions {
  /** Shortest time between the starts of two runs (ms). Default 1500; 0 = runs back to back. */
  windowMs?: number;
  timer?: WindowTimer;
}

interface Window<TRequest, TResult> {
  requests: TRequest[];
  promise: Promise<TResult>;
  resolve: (result: TResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs `run(requests)` with every request that arrived since the previous run started, one run
 * at a time, at most one run start per `windowMs`.
 */
export class Coalescer<TRequest, TResult> {
  private readonly windowMs: number;
  private readonly timer: WindowTimer;
  private open: Window<TRequest, TResult> | undefined;
  private handle: unknown;
  private scheduled = false;
  /** flush() asked for the waiting run to start without waiting for the window. */
  private urgent = false;
  private running: Promise<unknown> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private runs = 0;

  constructor(
    private readonly run: (requests: TRequest[]) => Promise<TResult>,
    options: CoalescerOptions = {},
  ) {
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    if (!Number.isFinite(windowMs) || windowMs < 0)
      throw new RangeError(`windowMs must be a non-negative number, got ${windowMs}`);
    this.windowMs = windowMs;
    this.timer = options.timer ?? systemTimer;
  }

  /** Add requests to the next run (opening it if none is waiting) and get that run's shared result. */
  submit(...requests: TRequest[]): Promise<TResult> {
    if (!this.open) {
      let resolve!: (result: TResult) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<TResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.open = { requests: [], promise, resolve, reject };
    }
    this.open.requests.push(...requests);
    this.schedule();
    return this.open.promise;
  }

  /** Requests waiting for the next run. */
  get pending(): number {
    return this.open?.requests.length ?? 0;
  }

  /** How many runs have started (for tests and logs). */
  get runCount(): number {
    return this.runs;
  }

  /** Start the waiting run as soon as the one under way (if any) settles, ignoring the window (e.g. on shutdown). */
  flush(): Promise<TResult> | undefined {
    const window = this.open;
    if (!window) return undefined;
    if (this.scheduled) this.timer.clear(this.handle);
    this.scheduled = false;
    this.urgent = true;
    this.startWhenFree(window);
    return window.promise;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return; // a settling run schedules the follow-up
    this.scheduled = true;
    const wait = this.urgent ? 0 : Math.max(0, this.lastStart + this.windowMs - this.timer.now());
    // Even at 0 the start is a tick away, so the requests of one batch or tick share the run.
    this.handle = this.timer.set(() => {
      this.scheduled = false;
      if (this.open) this.startWhenFree(this.open);
    }, wait);
  }

  private startWhenFree(window: Window<TRequest, TResult>): void {
    if (this.running) return; // the run under way starts the follow-up when it settles
    if (this.open !== window) return;
    this.open = undefined;
    this.urgent = false;
    this.runs++;
    this.lastStart = this.timer.now();
    const started = (async () => this.run(window.requests))();
    const settled = started.then(window.resolve, window.reject);
    this.running = settled;
    void settled.then(() => {
      this.running = undefined;
      if (this.open && this.urgent) this.startWhenFree(this.open);
      else if (this.open) this.schedule();
    });
  }
}
