import { shareConcurrentCalls } from '../../src/usecases/sharedCall';

describe('shareConcurrentCalls', () => {
  it('concurrent callers share the call under way; a caller after it settles starts a new one', async () => {
    let calls = 0;
    let release: (value: number) => void = () => undefined;
    const read = shareConcurrentCalls(
      () =>
        new Promise<number>((resolve) => {
          calls++;
          release = resolve;
        }),
    );
    const first = [read(), read(), read()];
    expect(calls).toBe(1);
    release(7);
    expect(await Promise.all(first)).toEqual([7, 7, 7]);
    const next = read();
    expect(calls).toBe(2);
    release(8);
    expect(await next).toBe(8);
  });

  it('a failure reaches every caller that shared it, and the next call tries again', async () => {
    let calls = 0;
    const read = shareConcurrentCalls(async () => {
      calls++;
      if (calls === 1) throw new Error('store down');
      return 'ok';
    });
    const shared = [read(), read()];
    await expect(shared[0]).rejects.toThrow('store down');
    await expect(shared[1]).rejects.toThrow('store down');
    expect(await read()).toBe('ok');
    expect(calls).toBe(2);
  });
});
