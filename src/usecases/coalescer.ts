/**
 * Coalescing (EVENTS.md): bursts are normal — a cluster update emits several writes, a
 * deployment dozens of role assignments — so requests arriving within a short window are run
 * once, together, and every caller of that window shares the one result promise.
 *
 * "Always reading the current state": a window closes when its run starts. A request arriving
 * while a run is under way joins the NEXT window, whose run starts only after the current one
 * settles, so a change that happened after a read began is always read again.
 */

/** The timer the window waits on; injectable so tests step time instead of sleeping. */
export interface WindowTimer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimer: WindowTimer = {
  set: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A pending window must not keep a CLI process alive on its own.
    handle.unref?.();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const DEFAULT_WINDOW_MS = 1500;

export interface CoalescerOptions {
  /** How long the first request of a window waits for others (ms). Default 1500; 0 = same tick. */
  windowMs?: number;
  timer?: WindowTimer;
}

interface Window<TRequest, TResult> {
  requests: TRequest[];
  promise: Promise<TResult>;
  resolve: (result: TResult) => void;
  reject: (error: unknown) => void;
  timerDue: boolean;
}

/**
 * Runs `run(requests)` once per window with every request of the window. The window opens with
 * its first request and is not extended by later ones, so latency is bounded by `windowMs` plus
 * the run before it.
 */
export class Coalescer<TRequest, TResult> {
  private readonly windowMs: number;
  private readonly timer: WindowTimer;
  private open: Window<TRequest, TResult> | undefined;
  private handle: unknown;
  private running: Promise<unknown> | undefined;
  private runs = 0;

  constructor(
    private readonly run: (requests: TRequest[]) => Promise<TResult>,
    options: CoalescerOptions = {},
  ) {
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    if (!Number.isFinite(windowMs) || windowMs < 0) throw new RangeError(`windowMs must be a non-negative number, got ${windowMs}`);
    this.windowMs = windowMs;
    this.timer = options.timer ?? systemTimer;
  }

  /** Add requests to the open window (opening one if none) and get the window's shared result. */
  submit(...requests: TRequest[]): Promise<TResult> {
    if (!this.open) {
      let resolve!: (result: TResult) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<TResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const window: Window<TRequest, TResult> = { requests: [], promise, resolve, reject, timerDue: false };
      this.open = window;
      this.handle = this.timer.set(() => {
        window.timerDue = true;
        this.startWhenFree(window);
      }, this.windowMs);
    }
    this.open.requests.push(...requests);
    return this.open.promise;
  }

  /** Requests waiting in the open window. */
  get pending(): number {
    return this.open?.requests.length ?? 0;
  }

  /** How many runs have started (for tests and logs). */
  get runCount(): number {
    return this.runs;
  }

  /** Start the open window now instead of waiting for its timer (e.g. on shutdown). */
  flush(): Promise<TResult> | undefined {
    const window = this.open;
    if (!window) return undefined;
    this.timer.clear(this.handle);
    window.timerDue = true;
    this.startWhenFree(window);
    return window.promise;
  }

  private startWhenFree(window: Window<TRequest, TResult>): void {
    if (this.running) {
      // Serialised: this window's read must begin after the previous run's read finished.
      void this.running.then(() => this.startWhenFree(window));
      return;
    }
    if (this.open !== window || !window.timerDue) return;
    this.open = undefined;
    this.runs++;
    const started = (async () => this.run(window.requests))();
    const settled = started.then(window.resolve, window.reject);
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = undefined;
    });
  }
}
