/**
 * Concurrent callers of `read` share the call under way instead of each starting their own;
 * once it settles, the next caller starts a fresh one. For reads that every concurrent
 * invocation needs (the Functions trigger hands one event per invocation, so a burst of 200
 * events is 200 invocations asking for the same routing context at once).
 */
export function shareConcurrentCalls<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
