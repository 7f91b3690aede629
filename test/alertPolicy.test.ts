import fc from 'fast-check';
import {
  decideRecording,
  planTransaction,
  UNVERSIONED_CATALOGUE,
  type RecordingInput,
  type StoredAlertState,
} from '../src/core/alertPolicy';
import { alertsFromRegressions, dedupeKey } from '../src/core/alerts';
import type { Alert, ClusterPosture, FindingStatus, Regression } from '../src/core/model';
import { rememberPosture } from '../src/core/regressions';
import { grant, posture } from './store/postures';

const ALICE = 'aaaaaaaa-0000-0000-0000-000000000001';
const BOB = 'bbbbbbbb-0000-0000-0000-000000000002';
const NOW = new Date('2026-11-26T10:00:00.000Z');
const SEED = process.env.CI ? 20261126 : undefined;

function decide(
  before: ClusterPosture | undefined,
  after: ClusterPosture,
  extra: Partial<RecordingInput> = {},
) {
  return decideRecording({
    stored: { posture: before, memory: before ? rememberPosture(before) : undefined, alerts: [] },
    posture: after,
    now: NOW,
    minAlertSeverity: 'high',
    catalogueVersion: UNVERSIONED_CATALOGUE,
    ...extra,
  });
}

/** The outbox row the policy would have opened for a regression of `p`. */
function rowFor(p: ClusterPosture, regression: Regression, open: boolean): StoredAlertState {
  const [alert] = alertsFromRegressions(p, [regression], { minSeverity: 'info', now: NOW });
  return { alert, open };
}

function adminCredentialAlert(p: ClusterPosture, eventId: string): Alert {
  return {
    dedupeKey: dedupeKey(p.id, 'admin-credential-retrieved', eventId),
    clusterId: p.id,
    clusterName: p.name,
    subscriptionId: p.subscriptionId,
    resourceGroup: p.resourceGroup,
    severity: 'critical',
    kind: 'admin-credential-retrieved',
    checkId: 'admin-credential-access',
    title: 'credentials retrieved',
    before: '',
    after: '',
    remediation: 'az aks update --disable-local-accounts',
    createdAt: NOW.toISOString(),
  };
}

describe('decideRecording: baseline and history', () => {
  it('the first evaluation is the baseline: no regression, no alert, a history row', () => {
    const d = decide(
      undefined,
      posture({ local: 'fail', principals: [grant(ALICE, ['admin-credential'])] }),
    );
    expect(d).toMatchObject({
      baseline: true,
      regressions: [],
      open: [],
      close: [],
      writeHistory: true,
    });
    expect(d.catalogueUpgrade).toBeUndefined();
  });

  it('an unchanged re-evaluation writes no history row; a change (or a change since the first read) does', () => {
    expect(
      decide(posture(), posture({ evaluatedAt: '2026-11-27T00:00:00.000Z' })).writeHistory,
    ).toBe(false);
    expect(decide(posture(), posture({ score: 90 })).writeHistory).toBe(true);
    expect(
      decide(posture(), posture(), { postureFirstRead: posture({ score: 90 }) }).writeHistory,
    ).toBe(true);
  });

  it('the posture to store carries the regressions it found', () => {
    const d = decide(posture(), posture({ local: 'fail' }));
    expect(d.posture.regressions).toEqual(d.regressions);
    expect(d.regressions).toHaveLength(1);
  });
});

describe('decideRecording: which check transitions page', () => {
  const statuses: FindingStatus[] = ['pass', 'not-applicable', 'fail', 'error'];
  // Every (before, after) pair, with and without an open alert row for the check.
  const cases = statuses.flatMap((before) =>
    statuses.flatMap((after) => [false, true].map((openRow) => ({ before, after, openRow }))),
  );

  it.each(cases)(
    'local-accounts-disabled $before → $after (open row: $openRow)',
    ({ before, after, openRow }) => {
      const old = posture({ local: before });
      const now = posture({ local: after });
      const regression: Regression = {
        kind: 'check-failed',
        checkId: 'local-accounts-disabled',
        before: 'pass',
        after: 'fail',
        severity: 'high',
      };
      const alerts = openRow ? [rowFor(old, regression, true)] : [];
      const d = decideRecording({
        stored: { posture: old, memory: rememberPosture(old), alerts },
        posture: now,
        now: NOW,
        minAlertSeverity: 'high',
        catalogueVersion: UNVERSIONED_CATALOGUE,
      });
      const regresses = (before === 'pass' || before === 'not-applicable') && after === 'fail';
      expect(d.regressions.map((r) => r.kind)).toEqual(regresses ? ['check-failed'] : []);
      // The open row guard: a regression whose key has an open row pages nobody.
      expect(d.open.map((a) => a.dedupeKey)).toEqual(
        regresses && !openRow ? [dedupeKey(now.id, 'local-accounts-disabled')] : [],
      );
      const clears = after === 'pass' || after === 'not-applicable';
      expect(d.close).toEqual(
        openRow && clears ? [dedupeKey(now.id, 'local-accounts-disabled')] : [],
      );
    },
  );

  it('a fail remembered through an error does not page again when the check fails once more', () => {
    const first = posture({ local: 'fail' });
    const memory = rememberPosture(posture({ local: 'error' }), rememberPosture(first));
    const d = decideRecording({
      stored: { posture: posture({ local: 'error' }), memory, alerts: [] },
      posture: first,
      now: NOW,
      minAlertSeverity: 'high',
      catalogueVersion: 1,
    });
    expect(d.regressions).toEqual([]);
  });

  it('a pass remembered through an error pages when the check then fails', () => {
    const memory = rememberPosture(
      posture({ local: 'error' }),
      rememberPosture(posture({ local: 'pass' })),
    );
    const d = decideRecording({
      stored: { posture: posture({ local: 'error' }), memory, alerts: [] },
      posture: posture({ local: 'fail' }),
      now: NOW,
      minAlertSeverity: 'high',
      catalogueVersion: 1,
    });
    expect(d.regressions.map((r) => r.checkId)).toEqual(['local-accounts-disabled']);
    expect(d.open).toHaveLength(1);
  });

  it('a regression below the minimum severity is recorded but opens no alert', () => {
    const d = decide(posture(), posture({ defender: 'fail' }));
    expect(d.regressions.map((r) => r.checkId)).toEqual(['defender-enabled']);
    expect(d.open).toEqual([]);
    expect(
      decide(posture(), posture({ defender: 'fail' }), { minAlertSeverity: 'low' }).open,
    ).toHaveLength(1);
  });

  it('a closed row for the same key is reopened (fixed, then back again pages again)', () => {
    const old = posture();
    const regression: Regression = {
      kind: 'check-failed',
      checkId: 'local-accounts-disabled',
      before: 'pass',
      after: 'fail',
      severity: 'high',
    };
    const d = decideRecording({
      stored: {
        posture: old,
        memory: rememberPosture(old),
        alerts: [rowFor(old, regression, false)],
      },
      posture: posture({ local: 'fail' }),
      now: NOW,
      minAlertSeverity: 'high',
      catalogueVersion: 1,
    });
    expect(d.open.map((a) => a.dedupeKey)).toEqual([dedupeKey(old.id, 'local-accounts-disabled')]);
  });
});

describe('decideRecording: the open-alert guard (one page per open condition)', () => {
  it('a severity that rises while the check-failed alert is open does not page again', () => {
    const failingMedium = posture({ local: 'fail' });
    failingMedium.findings.find((f) => f.checkId === 'local-accounts-disabled')!.severity =
      'medium';
    const failingHigh = posture({ local: 'fail' });
    const opened: Regression = {
      kind: 'check-failed',
      checkId: 'local-accounts-disabled',
      before: 'pass',
      after: 'fail',
      severity: 'medium',
    };
    const stored = {
      posture: failingMedium,
      memory: rememberPosture(failingMedium),
      alerts: [rowFor(failingMedium, opened, true)],
    };
    const d = decideRecording({
      stored,
      posture: failingHigh,
      now: NOW,
      minAlertSeverity: 'medium',
      catalogueVersion: 1,
    });
    expect(d.regressions.map((r) => r.kind)).toEqual(['severity-rose']);
    expect(d.open).toEqual([]);
    // Without the open row the same rise pages.
    expect(
      decideRecording({
        ...{ stored: { ...stored, alerts: [] } },
        posture: failingHigh,
        now: NOW,
        minAlertSeverity: 'medium',
        catalogueVersion: 1,
      }).open,
    ).toHaveLength(1);
  });

  it('a principal gaining a second capability filed under the same check does not page again while that alert is open', () => {
    const before = posture({ principals: [grant(ALICE, ['cluster-write'])] });
    const after = posture({
      principals: [grant(ALICE, ['cluster-write', 'role-assignment-write'])],
    });
    const baseline = posture({ principals: [] });
    const gained: Regression = {
      kind: 'privilege-gained',
      checkId: 'privileged-access-via-groups',
      principalId: ALICE,
      before: 'none',
      after: 'cluster-write',
      severity: 'critical',
    };
    const memory = rememberPosture(before, rememberPosture(baseline));
    const d = decideRecording({
      stored: { posture: before, memory, alerts: [rowFor(before, gained, true)] },
      posture: after,
      now: NOW,
      minAlertSeverity: 'high',
      catalogueVersion: 1,
    });
    expect(d.regressions.map((r) => r.principalId)).toEqual([ALICE]);
    expect(d.open).toEqual([]);
  });

  it('an extra alert (real-time signal) whose key is open is not written again; a new one is, once, even when given twice', () => {
    const p = posture();
    const signal = adminCredentialAlert(p, 'evt-1');
    const open = decide(p, p, {
      stored: { posture: p, memory: rememberPosture(p), alerts: [{ alert: signal, open: true }] },
      extraAlerts: [signal],
    });
    expect(open.open).toEqual([]);
    const fresh = decide(p, p, { extraAlerts: [signal, { ...signal }] });
    expect(fresh.open.map((a) => a.dedupeKey)).toEqual([signal.dedupeKey]);
  });
});

describe('decideRecording: who granted it', () => {
  it('a privilege alert names the caller of the grant its principal gained by (any spelling of the id); others do not', () => {
    const caller = { name: 'alice@contoso.example', ipAddress: '203.0.113.24' };
    const d = decide(
      posture(),
      posture({ local: 'fail', principals: [grant(BOB.toUpperCase(), ['admin-credential'])] }),
      { grantedBy: { [BOB]: caller } },
    );
    const privilege = d.open.find((a) => a.kind === 'privilege-gained');
    expect(privilege?.caller).toEqual(caller);
    expect(d.open.find((a) => a.kind === 'check-failed')?.caller).toBeUndefined();
    expect(
      decide(posture(), posture({ principals: [grant(ALICE, ['admin-credential'])] }), {
        grantedBy: { [BOB]: caller },
      }).open[0].caller,
    ).toBeUndefined();
  });
});

describe('decideRecording: closing', () => {
  const baseline = posture({ principals: [] });
  const withAlice = posture({ principals: [grant(ALICE, ['admin-credential', 'cluster-write'])] });
  const gained: Regression = {
    kind: 'privilege-gained',
    checkId: 'admin-credential-access',
    principalId: ALICE,
    before: 'none',
    after: 'admin-credential, cluster-write',
    severity: 'critical',
  };
  const stored = {
    posture: withAlice,
    memory: rememberPosture(withAlice, rememberPosture(baseline)),
    alerts: [rowFor(withAlice, gained, true)],
  };
  const key = dedupeKey(withAlice.id, 'admin-credential-access', ALICE);

  it('a privilege alert closes when the principal loses the capability it is filed under', () => {
    const d = decideRecording({
      stored,
      posture: posture({ principals: [grant(ALICE, ['cluster-write'])] }),
      now: NOW,
      minAlertSeverity: 'high',
      catalogueVersion: 1,
    });
    expect(d.close).toEqual([key]);
  });

  it('nor while it still holds it, nor while access is unreadable', () => {
    expect(
      decideRecording({
        stored,
        posture: withAlice,
        now: NOW,
        minAlertSeverity: 'high',
        catalogueVersion: 1,
      }).close,
    ).toEqual([]);
    const unreadable = posture({ principals: [], adminAccess: 'error' });
    expect(
      decideRecording({
        stored,
        posture: unreadable,
        now: NOW,
        minAlertSeverity: 'high',
        catalogueVersion: 1,
      }).close,
    ).toEqual([]);
  });

  it('an admin-credential-retrieved alert never closes by evaluation; closed rows are not closed again', () => {
    const signal = adminCredentialAlert(withAlice, 'evt-9');
    const alerts = [{ alert: signal, open: true }, { ...rowFor(withAlice, gained, false) }];
    const d = decideRecording({
      stored: { ...stored, alerts },
      posture: baseline,
      now: NOW,
      minAlertSeverity: 'high',
      catalogueVersion: 1,
    });
    expect(d.close).toEqual([]);
  });
});

describe('decideRecording: catalogue upgrades re-baseline silently', () => {
  const before = posture({ principals: [grant(ALICE, ['cluster-write'])] });
  // What a new catalogue sees: a capability newly counted for Alice, Bob newly counted at all, a rule now failing.
  const after = posture({
    local: 'fail',
    principals: [
      grant(ALICE, ['cluster-write', 'admin-credential']),
      grant(BOB, ['kubernetes-cluster-admin']),
    ],
  });
  const stored = {
    posture: before,
    memory: rememberPosture(before, rememberPosture(posture())),
    alerts: [],
  };

  it('pages nobody, records what only the new catalogue sees, and moves the memory to the new version', () => {
    const d = decideRecording({
      stored,
      posture: after,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    expect(d.regressions).toEqual([]);
    expect(d.open).toEqual([]);
    expect(d.writeHistory).toBe(true);
    expect(d.catalogueUpgrade).toEqual({
      from: UNVERSIONED_CATALOGUE,
      to: 2,
      unpaged: expect.arrayContaining([
        expect.objectContaining({ kind: 'check-failed', checkId: 'local-accounts-disabled' }),
        expect.objectContaining({ kind: 'privilege-gained', principalId: ALICE }),
        expect.objectContaining({ kind: 'privilege-gained', principalId: BOB }),
      ]),
    });
    expect(d.memory.catalogueVersion).toBe(2);
    // The next evaluation under the same catalogue compares with the re-baselined memory: nothing gained.
    const next = decideRecording({
      stored: { posture: d.posture, memory: d.memory, alerts: [] },
      posture: after,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    expect(next.regressions).toEqual([]);
    expect(next.catalogueUpgrade).toBeUndefined();
  });

  it('a real regression after the upgrade pages again', () => {
    const d = decideRecording({
      stored,
      posture: after,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    const worse = posture({
      local: 'fail',
      defender: 'fail',
      principals: after.privilegedPrincipals,
    });
    const next = decideRecording({
      stored: { posture: d.posture, memory: d.memory, alerts: [] },
      posture: worse,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    expect(next.regressions.map((r) => r.checkId)).toEqual(['defender-enabled']);
    expect(next.open).toHaveLength(1);
  });

  it('until access is read in full under the new catalogue, the memory keeps the old version (the next evaluation re-baselines too)', () => {
    const unreadable = posture({ adminAccess: 'error', principals: [] });
    const d = decideRecording({
      stored,
      posture: unreadable,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    expect(d.memory.catalogueVersion).toBe(UNVERSIONED_CATALOGUE);
    const next = decideRecording({
      stored: { posture: d.posture, memory: d.memory, alerts: [] },
      posture: after,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    expect(next.regressions).toEqual([]);
    expect(next.catalogueUpgrade?.to).toBe(2);
  });

  it('open alerts keep their dedupe keys: a regression open before the upgrade is neither re-opened nor closed while it holds', () => {
    const failing = posture({ local: 'fail' });
    const regression: Regression = {
      kind: 'check-failed',
      checkId: 'local-accounts-disabled',
      before: 'pass',
      after: 'fail',
      severity: 'high',
    };
    const d = decideRecording({
      stored: {
        posture: failing,
        memory: rememberPosture(failing, rememberPosture(posture())),
        alerts: [rowFor(failing, regression, true)],
      },
      posture: failing,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    expect(d.open).toEqual([]);
    expect(d.close).toEqual([]);
  });

  it('a first evaluation under a new catalogue is a plain baseline', () => {
    const d = decideRecording({
      stored: { alerts: [] },
      posture: after,
      now: NOW,
      minAlertSeverity: 'info',
      catalogueVersion: 2,
    });
    expect(d.baseline).toBe(true);
    expect(d.catalogueUpgrade).toBeUndefined();
    expect(d.memory.catalogueVersion).toBe(2);
  });
});

describe('decideRecording: properties', () => {
  const status = fc.constantFrom<FindingStatus>('pass', 'fail', 'not-applicable', 'error');
  const capabilities = fc.subarray([
    'admin-credential',
    'cluster-write',
    'role-assignment-write',
    'kubernetes-cluster-admin',
  ] as const);
  const principals = fc
    .record({ alice: capabilities, bob: capabilities })
    .map(({ alice, bob }) =>
      [
        alice.length ? grant(ALICE, [...alice]) : undefined,
        bob.length ? grant(BOB, [...bob]) : undefined,
      ].filter((g) => g !== undefined),
    );
  const postureArb = fc
    .record({ local: status, defender: status, adminAccess: status, principals })
    .map((spec) => posture(spec));

  it('never opens a key that has an open row, never both opens and closes a key, and opens every paging regression without one', () => {
    fc.assert(
      fc.property(
        postureArb,
        postureArb,
        postureArb,
        fc.array(fc.boolean(), { maxLength: 6 }),
        (first, before, after, openFlags) => {
          const memory = rememberPosture(before, rememberPosture(first));
          const possible = alertsFromRegressions(
            before,
            [
              {
                kind: 'check-failed',
                checkId: 'local-accounts-disabled',
                before: 'pass',
                after: 'fail',
                severity: 'high',
              },
              {
                kind: 'check-failed',
                checkId: 'defender-enabled',
                before: 'pass',
                after: 'fail',
                severity: 'low',
              },
              {
                kind: 'privilege-gained',
                checkId: 'admin-credential-access',
                principalId: ALICE,
                before: 'none',
                after: 'admin-credential',
                severity: 'critical',
              },
              {
                kind: 'privilege-gained',
                checkId: 'privileged-access-via-groups',
                principalId: BOB,
                before: 'none',
                after: 'cluster-write',
                severity: 'critical',
              },
            ],
            { minSeverity: 'info', now: NOW },
          );
          const alerts = possible
            .slice(0, openFlags.length)
            .map((alert, i) => ({ alert, open: openFlags[i] }));
          const d = decideRecording({
            stored: { posture: before, memory, alerts },
            posture: after,
            now: NOW,
            minAlertSeverity: 'low',
            catalogueVersion: 1,
          });
          const openKeys = new Set(alerts.filter((a) => a.open).map((a) => a.alert.dedupeKey));
          const opened = d.open.map((a) => a.dedupeKey);
          expect(opened.filter((k) => openKeys.has(k))).toEqual([]);
          expect(opened.filter((k) => d.close.includes(k))).toEqual([]);
          expect(d.close.every((k) => openKeys.has(k))).toBe(true);
          const expected = alertsFromRegressions(after, d.regressions, {
            minSeverity: 'low',
            now: NOW,
          })
            .map((a) => a.dedupeKey)
            .filter((k) => !openKeys.has(k));
          expect(opened.sort()).toEqual([...new Set(expected)].sort());
          // Only regressions against what was known: an error finding is never one.
          for (const r of d.regressions) {
            if (r.kind !== 'privilege-gained')
              expect(after.findings.find((f) => f.checkId === r.checkId)?.status).toBe('fail');
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('planTransaction', () => {
  it('keeps posture and history in the transaction, openings before closings, and places every write once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.nat({ max: 150 }),
        fc.nat({ max: 150 }),
        (fixed, nOpen, nClose) => {
          const opens = Array.from({ length: nOpen }, (_, i) => `o${i}`);
          const closes = Array.from({ length: nClose }, (_, i) => `c${i}`);
          const plan = planTransaction(fixed, opens, closes, 100);
          expect(
            fixed + plan.opensInTransaction.length + plan.closesInTransaction.length,
          ).toBeLessThanOrEqual(Math.max(100, fixed));
          expect([...plan.opensInTransaction, ...plan.opensBefore]).toEqual(opens);
          expect([...plan.closesInTransaction, ...plan.closesAfter]).toEqual(closes);
          if (plan.opensBefore.length > 0) expect(plan.closesInTransaction).toEqual([]);
          if (fixed + nOpen + nClose <= 100)
            expect(plan.opensBefore.length + plan.closesAfter.length).toBe(0);
        },
      ),
      { seed: SEED },
    );
  });
});
