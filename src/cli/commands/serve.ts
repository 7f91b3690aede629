/**
 * `aks-identity-auditor serve [--port 7071]` (what `npm start` runs): embedded Azurite unless
 * storage is configured, one audit at start, then the HTTP API, the Event Grid webhook and the
 * nightly schedule on the local Functions-compatible host, until SIGINT/SIGTERM.
 */
import { loadSettings } from '../../config';
import { startLocalHost } from '../../host/localHost';
import { createRuntime, setRuntime } from '../../runtime';
import type { CommandContext } from '../main';

export interface ServeOptions {
  /** 0 = any free port (tests; the URL is logged and handed to `untilListening`). */
  port?: number;
  /** Tests: resolve once listening instead of waiting for a signal. */
  untilListening?: (url: string, stop: () => Promise<void>) => void;
}

export async function serveCommand(options: ServeOptions, ctx: CommandContext): Promise<number> {
  // PORT is 1–65535; port 0 (a free port chosen by the OS) exists only as an option.
  // Long-running, like the Functions app: a bad channel setting disables only that channel.
  const settings = loadSettings(
    ctx.env,
    { PORT: options.port ? String(options.port) : undefined },
    { onChannelProblem: 'disable' },
  );
  const port = options.port ?? settings.port;
  const log = (line: string) => ctx.warn(line);
  const runtime = await createRuntime(settings, {
    log,
    clock: ctx.clock,
    packageRoot: ctx.packageRoot,
    consoleAlerts: true,
    consoleStream: ctx.stderr,
  });
  setRuntime(runtime);
  log(runtime.sourceDescription);
  log(`posture store: ${runtime.storeDescription}`);

  let host: Awaited<ReturnType<typeof startLocalHost>> | undefined;
  let stopped: Promise<void> | undefined;
  // Idempotent: a signal, a test's stop and a failed start may all ask.
  const stop = () =>
    (stopped ??= (async () => {
      try {
        await host?.close();
      } finally {
        setRuntime(undefined);
        await runtime.close();
      }
    })());
  try {
    const report = await runtime.auditNow();
    log(`start-up audit: ${report.summary.clusters} cluster(s), ${report.summary.failing} failing`);
    host = await startLocalHost({
      runtime,
      port,
      schedule: settings.schedule,
      log,
      localKey: settings.localKey,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  log(
    `listening on ${host.url}/api (Event Grid webhook: ${host.url}/runtime/webhooks/eventgrid?functionName=armEvents); nightly audit "${settings.schedule}" UTC`,
  );
  if (options.untilListening) {
    options.untilListening(host.url, stop);
    return 0;
  }
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  log('stopping');
  await stop();
  return 0;
}
