/**
 * The nightly accepted-risk digest end to end: the runtime's audit dependencies (Table Storage
 * on Azurite, a copy of samples/estate), exemptions in the real exemption table, and the
 * console channel writing what it would send. The findings listed are the ones the night's
 * evaluation marked exempted.
 */
import { ConsoleNotifier } from '../../src/adapters/notifiers/console';
import { CHECKS } from '../../src/core/checks';
import { addExemption, revokeExemption } from '../../src/usecases/exemptions';
import { runNightlyAudit } from '../../src/usecases/fanOut';
import { SteppedClock } from '../helpers/clock';
import {
  clusterIdOf,
  CLUSTERS,
  NONPROD_SUB,
  startTestRuntime,
  type TestRuntime,
} from '../helpers/runtime';

const NOW = new Date('2026-11-26T02:00:00.000Z');
const DAY = 24 * 3600 * 1000;

let t: TestRuntime;
const clock = new SteppedClock(NOW);

beforeAll(async () => {
  t = await startTestRuntime({ runtimeOptions: { clock } });
});
afterAll(() => t?.close());

async function nightly(): Promise<string> {
  let text = '';
  const console = new ConsoleNotifier({
    write: (chunk: string, callback?: (error?: Error | null) => void) => {
      text += chunk;
      callback?.();
      return true;
    },
  } as never);
  await runNightlyAudit({
    ...t.runtime.auditDeps(),
    notifiers: [console],
    historyDays: t.runtime.settings.historyDays,
    exemptionStore: t.runtime.exemptionStore,
  });
  return text;
}

describe('the nightly accepted-risk digest', () => {
  it('sends nothing while no exemption is active', async () => {
    expect(await nightly()).not.toContain('accepted risk');
  });

  it('lists the findings the night exempted, and the exemption expiring within 14 days first', async () => {
    const deps = { store: t.runtime.exemptionStore, clock, checkIds: CHECKS.map((c) => c.id) };
    const add = (id: string, checkId: string, scope: string, days: number, reason: string) =>
      addExemption(
        deps,
        {
          id,
          checkId,
          scope,
          reason,
          owner: 'platform@contoso.example',
          expiresOn: new Date(NOW.getTime() + days * DAY).toISOString(),
        },
        'alice@contoso.example',
      );
    const nonprod = `/subscriptions/${NONPROD_SUB}`;
    // Defender is off on the four non-production clusters: accepted there for ten more days.
    await add(
      'nonprod-defender',
      'defender-enabled',
      nonprod,
      10,
      'Non-production: Defender plan not bought',
    );
    await add(
      'checkout-identity',
      'user-assigned-control-plane-identity',
      clusterIdOf(CLUSTERS.checkoutProd),
      90,
      'Migrating in Q1',
    );
    await add('withdrawn', 'azure-policy-addon', nonprod, 5, 'r');
    await revokeExemption(deps, 'withdrawn', 'bob@contoso.example');

    const text = await nightly();
    expect(text).toContain(
      '[INFO] accepted risk: 5 exempted findings on 5 clusters, 1 exemption expiring within 14 days',
    );
    const lines = text.split('\n').map((line) => line.trim());
    // The list keeps one entry per line, under the "Now:" label.
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^Now: +Expiring within 14 days \(their findings count and page again after\):$/,
      ),
    );
    // Not about one cluster: no cluster fields.
    expect(text).not.toMatch(/^Cluster/m);
    const entries = lines.filter((l) => l.startsWith('- '));
    expect(entries[0]).toMatch(
      /^- nonprod-defender: defender-enabled at \/subscriptions\/.*, expires .* \(in 10 days\); exempts it on aks-data-dev, aks-dev-shared, aks-legacy-batch, aks-sandbox-pods — Non-production: Defender plan not bought$/,
    );
    expect(entries.slice(1)).toEqual([
      expect.stringMatching(
        /^- \[low\] aks-checkout-prod \(rg-prod\): user-assigned-control-plane-identity, exempted by checkout-identity until \d{4}-\d\d-\d\d$/,
      ),
      ...['aks-data-dev', 'aks-dev-shared', 'aks-legacy-batch', 'aks-sandbox-pods'].map((name) =>
        expect.stringMatching(
          new RegExp(
            `^- \\[low\\] ${name} \\(rg-[a-z-]+\\): defender-enabled, exempted by nonprod-defender until \\d{4}-\\d\\d-\\d\\d \\(expiring soon\\)$`,
          ),
        ),
      ),
    ]);
    // A revoked exemption is not accepted risk any more.
    expect(text).not.toContain('withdrawn');
  });

  it('once the exemption expired, lists only what is still accepted', async () => {
    clock.advance(11 * DAY);
    const text = await nightly();
    expect(text).toContain('1 exempted finding on 1 cluster, 0 exemptions expiring within 14 days');
    expect(text).not.toContain('nonprod-defender');
  });
});
