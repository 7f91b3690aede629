import { Coalescer, type WindowTimer } from '../../src/usecases/coalescer';

/** A timer the test advances by hand: no sleeps, no real time. */
class ManualTimer implements WindowTimer {
  private nextHandle = 1;
  private readonly due = new Map<number, { at: number; callback: () => void }>();
  now = 0;

  set(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.due.set(handle, { at: this.now + ms, callback });
    return handle;
  }

  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get scheduled(): number {
    return this.due.size;
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [handle, entry] of [...this.due.entries()].sort((a, b) => a[1].at - b[1].at)) {
      if (entry.at <= this.now) {
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
  it('runs once for every request of a window and shares the result promise', async () => {
    const timer = new ManualTimer();
    const runs: string[][] = [];
    const coalescer = new Coalescer(async (requests: string[]) => {
      runs.push(requests);
      return `evaluated ${[...new Set(requests)].sort().join(',')}`;
    }, { windowMs: 1500, timer });

    const a = coalescer.submit('c1');
    timer.advance(1000);
    const b = coalescer.submit('c2', 'c1');
    expect(coalescer.pending).toBe(3);
    await settle();
    expect(runs).toEqual([]);

    timer.advance(500);
    expect(await a).toBe('evaluated c1,c2');
    expect(await b).toBe('evaluated c1,c2');
    expect(a).toBe(b);
    expect(runs).toEqual([['c1', 'c2', 'c1']]);
    expect(coalescer.runCount).toBe(1);
  });

  it('the window is not extended by later requests (bounded latency)', async () => {
    const timer = new ManualTimer();
    const coalescer = new Coalescer(async (r: number[]) => r.length, { windowMs: 100, timer });
    const first = coalescer.submit(1);
    timer.advance(99);
    coalescer.submit(2);
    timer.advance(1);
    expect(await first).toBe(2);
  });

  it('a request arriving while a run reads state joins the NEXT window, which starts after the run', async () => {
    const timer = new ManualTimer();
    const gates = [deferred<string>(), deferred<string>()];
    const runs: string[][] = [];
    const coalescer = new Coalescer(async (requests: string[]) => {
      runs.push(requests);
      return gates[runs.length - 1].promise;
    }, { windowMs: 10, timer });

    const first = coalescer.submit('c1');
    timer.advance(10);
    await settle();
    expect(runs).toEqual([['c1']]);

    // c1 changes again while the first read is under way: it must be read again.
    const second = coalescer.submit('c1');
    expect(second).not.toBe(first);
    timer.advance(10);
    await settle();
    expect(runs).toHaveLength(1); // serialised: waits for the first run

    const third = coalescer.submit('c3'); // still in the waiting window
    expect(third).toBe(second);
    gates[0].resolve('one');
    expect(await first).toBe('one');
    await settle();
    expect(runs).toEqual([['c1'], ['c1', 'c3']]);
    gates[1].resolve('two');
    expect(await second).toBe('two');
  });

  it('a failed run rejects every caller of its window, and the next window runs afresh', async () => {
    const timer = new ManualTimer();
    let calls = 0;
    const coalescer = new Coalescer(async () => {
      calls++;
      if (calls === 1) throw new Error('store down');
      return 'ok';
    }, { windowMs: 5, timer });
    const a = coalescer.submit('x');
    const b = coalescer.submit('y');
    timer.advance(5);
    await expect(a).rejects.toThrow('store down');
    await expect(b).rejects.toThrow('store down');
    const c = coalescer.submit('z');
    timer.advance(5);
    expect(await c).toBe('ok');
  });

  it('flush starts the open window now', async () => {
    const timer = new ManualTimer();
    const coalescer = new Coalescer(async (r: string[]) => r.join(), { windowMs: 60_000, timer });
    const a = coalescer.submit('a');
    expect(coalescer.flush()).toBe(a);
    expect(await a).toBe('a');
    expect(timer.scheduled).toBe(0);
    expect(coalescer.flush()).toBeUndefined();
  });

  it('window 0 with the system timer coalesces requests of the same tick', async () => {
    const runs: string[][] = [];
    const coalescer = new Coalescer(async (r: string[]) => {
      runs.push(r);
      return r.length;
    }, { windowMs: 0 });
    const results = await Promise.all([coalescer.submit('a'), coalescer.submit('b'), coalescer.submit('c')]);
    expect(results).toEqual([3, 3, 3]);
    expect(runs).toEqual([['a', 'b', 'c']]);
  });

  it('refuses a negative window', () => {
    expect(() => new Coalescer(async () => 0, { windowMs: -1 })).toThrow(RangeError);
  });
});
