import { Coalescer, DEFAULT_WINDOW_MS, type WindowTimer } from '../../src/usecases/coalescer';

/** A timer the test advances by hand: no sleeps, no real time. */
class ManualTimer implements WindowTimer {
  private nextHandle = 1;
  private readonly due = new Map<number, { at: number; callback: () => void }>();
  at = 0;

  now(): number {
    return this.at;
  }

  set(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.due.set(handle, { at: this.at + ms, callback });
    return handle;
  }

  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get scheduled(): number {
    return this.due.size;
  }

  advance(ms: number): void {
    this.at += ms;
    for (const [handle, entry] of [...this.due.entries()].sort((a, b) => a[1].at - b[1].at)) {
      if (entry.at <= this.at) {
        this.due.delete(handle);
        entry.callback();
      }
    }
  }
}

/** Let promise callbacks run (microtasks only). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Coalescer', () => {
  it('leading edge: the first request after a quiet spell runs at once (next tick), sharing the run with its tick', async () => {
    const timer = new ManualTimer();
    const runs: string[][] = [];
    const coalescer = new Coalescer(
      async (requests: string[]) => {
        runs.push(requests);
        return `evaluated ${[...new Set(requests)].sort().join(',')}`;
      },
      { windowMs: 1500, timer },
    );

    const a = coalescer.submit('c1');
    const b = coalescer.submit('c2', 'c1');
    expect(coalescer.pending).toBe(3);
    timer.advance(0);
    expect(await a).toBe('evaluated c1,c2');
    expect(a).toBe(b);
    expect(runs).toEqual([['c1', 'c2', 'c1']]);
    expect(coalescer.runCount).toBe(1);
  });

  it('requests arriving during a run fold into ONE follow-up, started when the run settles and a window after it started', async () => {
    const timer = new ManualTimer();
    const gates = [deferred<string>(), deferred<string>()];
    const runs: string[][] = [];
    const coalescer = new Coalescer(
      async (requests: string[]) => {
        runs.push(requests);
        return gates[runs.length - 1].promise;
      },
      { windowMs: 1500, timer },
    );

    const first = coalescer.submit('c1');
    timer.advance(0);
    await settle();
    expect(runs).toEqual([['c1']]);

    // c1 changes again while the first read is under way: it must be read again.
    const second = coalescer.submit('c1');
    expect(second).not.toBe(first);
    const burst = Array.from({ length: 50 }, (_, i) => coalescer.submit(`c${i % 3}`));
    expect(burst.every((p) => p === second)).toBe(true);
    timer.advance(100);
    gates[0].resolve('one');
    expect(await first).toBe('one');
    await settle();
    expect(runs).toHaveLength(1); // settled at 100 ms: the follow-up waits for the window (1500 ms after the first start)
    timer.advance(1399);
    await settle();
    expect(runs).toHaveLength(1);
    timer.advance(1);
    await settle();
    expect(runs).toHaveLength(2);
    expect(runs[1]).toHaveLength(51);
    gates[1].resolve('two');
    expect(await second).toBe('two');
    expect(coalescer.runCount).toBe(2);
  });

  it('a run that outlasts the window is followed at once when it settles', async () => {
    const timer = new ManualTimer();
    const gate = deferred<number>();
    const runs: number[][] = [];
    const coalescer = new Coalescer(
      async (r: number[]) => {
        runs.push(r);
        return runs.length === 1 ? gate.promise : r.length;
      },
      { windowMs: 100, timer },
    );
    void coalescer.submit(1);
    timer.advance(0);
    await settle();
    const next = coalescer.submit(2);
    timer.advance(5000);
    await settle();
    expect(runs).toEqual([[1]]); // serialised: never two runs at once
    gate.resolve(1);
    await settle();
    timer.advance(0);
    expect(await next).toBe(1);
    expect(runs).toEqual([[1], [2]]);
  });

  it('requests spaced wider than the window each run at once', async () => {
    const timer = new ManualTimer();
    const coalescer = new Coalescer(async (r: number[]) => r, { windowMs: 1500, timer });
    for (let i = 0; i < 5; i++) {
      await settle();
      const result = coalescer.submit(i);
      timer.advance(0);
      expect(await result).toEqual([i]);
      timer.advance(2000);
    }
    expect(coalescer.runCount).toBe(5);
  });

  it('a failed run rejects every caller of its run, and the next run goes afresh', async () => {
    const timer = new ManualTimer();
    let calls = 0;
    const coalescer = new Coalescer(
      async () => {
        calls++;
        if (calls === 1) throw new Error('store down');
        return 'ok';
      },
      { windowMs: 5, timer },
    );
    const a = coalescer.submit('x');
    const b = coalescer.submit('y');
    timer.advance(0);
    await expect(a).rejects.toThrow('store down');
    await expect(b).rejects.toThrow('store down');
    const c = coalescer.submit('z');
    timer.advance(5);
    expect(await c).toBe('ok');
  });

  it('flush starts the waiting run without waiting for the window', async () => {
    const timer = new ManualTimer();
    const coalescer = new Coalescer(async (r: string[]) => r.join(), { windowMs: 60_000, timer });
    const first = coalescer.submit('first');
    timer.advance(0);
    await first;
    await settle();
    const a = coalescer.submit('a');
    expect(timer.scheduled).toBe(1); // the window after the first run
    expect(coalescer.flush()).toBe(a);
    expect(await a).toBe('a');
    expect(timer.scheduled).toBe(0);
    expect(coalescer.flush()).toBeUndefined();
  });

  it('the documented default window is 1500 ms', async () => {
    expect(DEFAULT_WINDOW_MS).toBe(1500);
    const timer = new ManualTimer();
    const coalescer = new Coalescer(async (r: string[]) => r, { timer });
    const a = coalescer.submit('a');
    timer.advance(0);
    await a;
    await settle();
    const b = coalescer.submit('b');
    timer.advance(1499);
    await settle();
    expect(coalescer.runCount).toBe(1);
    timer.advance(1);
    expect(await b).toEqual(['b']);
  });

  it('with the system timer, requests of the same tick share one run and the process waits for it', async () => {
    const runs: string[][] = [];
    const coalescer = new Coalescer(
      async (r: string[]) => {
        runs.push(r);
        return r.length;
      },
      { windowMs: 0 },
    );
    const results = await Promise.all([
      coalescer.submit('a'),
      coalescer.submit('b'),
      coalescer.submit('c'),
    ]);
    expect(results).toEqual([3, 3, 3]);
    expect(runs).toEqual([['a', 'b', 'c']]);
  });

  it('refuses a negative window', () => {
    expect(() => new Coalescer(async () => 0, { windowMs: -1 })).toThrow(RangeError);
  });
});
