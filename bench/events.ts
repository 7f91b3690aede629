/**
 * Speed of a page (`npm run bench:events`): the local host with the bundled sample estate as a
 * snapshot source, the embedded Azurite in memory and a local HTTPS stand-in for a Teams
 * Workflows webhook. Posts admin-credential events (each one pages) to the Event Grid webhook
 * and times POST → card received:
 *   1. 50 events spaced 2 s apart (target p95 < 1 s);
 *   2. a burst of 200 events at once (target: every card within 5 s, one estate read per window).
 * Also counts estate reads and outgoing HTTP calls (Table Storage and Teams) per event.
 */
import { execFileSync } from 'child_process';
import { subscribe } from 'diagnostics_channel';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import type { ClientRequest } from 'http';
import { Agent, createServer } from 'https';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { findPackageRoot, loadSettings } from '../src/config';
import { startLocalHost } from '../src/host/localHost';
import { createRuntime } from '../src/runtime';

const SPACED = Number(process.env.BENCH_SPACED ?? 50);
const SPACING_MS = 2000;
const BURST = Number(process.env.BENCH_BURST ?? 200);
const SUB = '00000000-0000-4000-a000-000000000001';
const CLUSTERS = [
  `/subscriptions/${SUB}/resourcegroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-checkout-prod`,
  `/subscriptions/${SUB}/resourcegroups/rg-payments-prod/providers/Microsoft.ContainerService/managedClusters/aks-payments-prod`,
];

function certificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aia-bench-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (n: number) => `${Math.round(n)} ms`;

async function main(): Promise<void> {
  const root = findPackageRoot(__dirname);
  const estate = mkdtempSync(join(tmpdir(), 'aia-bench-estate-'));
  cpSync(join(root, 'samples', 'estate'), estate, { recursive: true });
  const [template] = JSON.parse(
    readFileSync(join(root, 'samples', 'events', 'admin-credential.json'), 'utf8'),
  ) as Array<Record<string, any>>;

  // The Teams stand-in: records when each card arrived, by the event id it names.
  const { key, cert } = certificate();
  const arrived = new Map<string, number>();
  const teams = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const text = Buffer.concat(chunks).toString('utf8');
      for (const id of text.match(/bench-[a-z]+-\d+/g) ?? [])
        if (!arrived.has(id)) arrived.set(id, at);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => teams.listen(0, '127.0.0.1', resolve));
  const teamsUrl = `https://127.0.0.1:${(teams.address() as AddressInfo).port}/workflows/bench/triggers/manual/paths/invoke?sig=bench`;

  // Outgoing HTTP calls (Table Storage on the embedded Azurite, Teams).
  let storeCalls = 0;
  let teamsCalls = 0;
  subscribe('http.client.request.start', (message) => {
    const request = (message as { request: ClientRequest }).request;
    if (request.host === '127.0.0.1' && request.path.startsWith('/workflows/')) teamsCalls++;
    else storeCalls++;
  });

  const settings = loadSettings(
    {},
    { AUDIT_SNAPSHOT_DIR: estate, ALERT_TEAMS_WEBHOOK_URL: teamsUrl, ALERT_MIN_SEVERITY: 'high' },
  );
  const runtime = await createRuntime(settings, {
    log: () => undefined,
    packageRoot: root,
    inMemoryStorage: true,
    consoleAlerts: false,
    agent: new Agent({ ca: cert, keepAlive: true }),
  });
  let estateReads = 0;
  const readEstate = runtime.source.readEstate.bind(runtime.source);
  runtime.source.readEstate = (filter) => {
    estateReads++;
    return readEstate(filter);
  };
  await runtime.auditNow({ notify: false });
  const host = await startLocalHost({ runtime, port: 0, log: () => undefined });

  const post = async (ids: string[]): Promise<void> => {
    const body = ids.map((id, i) => {
      const cluster = CLUSTERS[i % CLUSTERS.length];
      return {
        ...template,
        id,
        subject: cluster,
        data: {
          ...template.data,
          resourceUri: cluster,
          authorization: { ...template.data.authorization, scope: cluster },
        },
      };
    });
    const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=armEvents`, {
      method: 'POST',
      headers: {
        'content-type': 'application/cloudevents-batch+json',
        'aeg-event-type': 'Notification',
      },
      body: JSON.stringify(body),
    });
    if (response.status !== 200)
      throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  const waitFor = async (ids: string[], timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (ids.some((id) => !arrived.has(id)) && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
  };

  try {
    // 1. Spaced events, one per POST.
    const before = { reads: estateReads, store: storeCalls, teams: teamsCalls };
    const spaced: number[] = [];
    for (let i = 0; i < SPACED; i++) {
      const id = `bench-spaced-${i}`;
      const sent = performance.now();
      await post([id]);
      await waitFor([id], 30_000);
      spaced.push((arrived.get(id) ?? Number.NaN) - sent);
      if (i < SPACED - 1)
        await new Promise((r) =>
          setTimeout(r, Math.max(0, SPACING_MS - (performance.now() - sent))),
        );
    }
    const spacedCounts = {
      reads: estateReads - before.reads,
      store: storeCalls - before.store,
      teams: teamsCalls - before.teams,
    };

    // 2. A burst: every event posted at once, one per POST (the Functions trigger's shape).
    await new Promise((r) => setTimeout(r, SPACING_MS));
    const burstIds = Array.from({ length: BURST }, (_, i) => `bench-burst-${i}`);
    const mid = { reads: estateReads, store: storeCalls, teams: teamsCalls };
    const start = performance.now();
    const sentAt = new Map<string, number>();
    await Promise.all(burstIds.map((id) => (sentAt.set(id, performance.now()), post([id]))));
    const answered = performance.now() - start;
    await waitFor(burstIds, 60_000);
    const firstCard = Math.min(...burstIds.map((id) => arrived.get(id) ?? Number.NaN)) - start;
    const burst = burstIds.map((id) => (arrived.get(id) ?? Number.NaN) - sentAt.get(id)!);
    const lastCard = Math.max(...burstIds.map((id) => arrived.get(id) ?? Number.NaN)) - start;
    const burstCounts = {
      reads: estateReads - mid.reads,
      store: storeCalls - mid.store,
      teams: teamsCalls - mid.teams,
    };

    const missing = [
      ...burstIds,
      ...Array.from({ length: SPACED }, (_, i) => `bench-spaced-${i}`),
    ].filter((id) => !arrived.has(id));
    console.log(
      `events bench (${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node})`,
    );
    console.log(
      `spaced: ${SPACED} events ${SPACING_MS} ms apart: p50 ${ms(percentile(spaced, 50))}, p95 ${ms(percentile(spaced, 95))}, max ${ms(Math.max(...spaced))} (target p95 < 1000 ms)`,
    );
    console.log(
      `  per event: ${(spacedCounts.reads / SPACED).toFixed(2)} estate reads, ${(spacedCounts.store / SPACED).toFixed(1)} Table Storage calls, ${(spacedCounts.teams / SPACED).toFixed(2)} Teams calls`,
    );
    console.log(
      `burst: ${BURST} events at once: every card within ${ms(lastCard)} (target < 5000 ms); p50 ${ms(percentile(burst, 50))}, p95 ${ms(percentile(burst, 95))}`,
    );
    console.log(`  every POST answered within ${ms(answered)}; first card after ${ms(firstCard)}`);
    console.log(
      `  ${burstCounts.reads} estate reads for the burst (one per coalescing window); per event: ${(burstCounts.store / BURST).toFixed(1)} Table Storage calls, ${(burstCounts.teams / BURST).toFixed(2)} Teams calls`,
    );
    if (missing.length)
      console.log(`MISSING cards: ${missing.length} (${missing.slice(0, 5).join(', ')}…)`);
    const met = percentile(spaced, 95) < 1000 && lastCard < 5000 && missing.length === 0;
    console.log(met ? 'targets met' : 'TARGETS NOT MET');
    process.exitCode = met ? 0 : 1;
  } finally {
    await host.close();
    await runtime.close();
    await new Promise<void>((resolve) => teams.close(() => resolve()));
    rmSync(estate, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
