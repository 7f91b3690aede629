/** A local host over a real test runtime (sample estate audited once), and a GET of its pages. */
import { startLocalHost, type LocalHost } from '../../src/host/localHost';
import { startTestRuntime, type TestRuntime, type TestRuntimeOptions } from '../helpers/runtime';

export interface ServedPages {
  t: TestRuntime;
  host: LocalHost;
  get(path: string): Promise<{ status: number; headers: Headers; html: string }>;
  close(): Promise<void>;
}

/** Starts the runtime, audits the estate, runs `prepare`, then starts the host. */
export async function servePages(
  options: TestRuntimeOptions = {},
  prepare: (t: TestRuntime) => Promise<void> = async () => undefined,
): Promise<ServedPages> {
  const t = await startTestRuntime(options);
  await t.runtime.auditNow({ notify: false });
  await prepare(t);
  const host = await startLocalHost({ runtime: t.runtime, port: 0, log: () => undefined });
  return {
    t,
    host,
    async get(path) {
      const response = await fetch(`${host.url}${path}`);
      return { status: response.status, headers: response.headers, html: await response.text() };
    },
    async close() {
      await host.close();
      await t.close();
    },
  };
}
