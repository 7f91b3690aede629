import { buildAccessIndex } from '../src/core/access';
import { CHECKS } from '../src/core/checks';
import { evaluateCluster, evaluateEstate, unreadablePosture } from '../src/core/evaluate';
import type { Estate, SourceFailure } from '../src/core/model';
import { normaliseCluster, normaliseRoleAssignment } from '../src/core/normalise';
import {
  CLUSTER_ID,
  KUBELET_OBJECT_ID,
  SUBSCRIPTION,
  rawCluster,
  rawClusterWithoutProperties,
} from './fixtures/checks/clusters';
import {
  OTHER_SUBSCRIPTION,
  RG_SCOPE,
  ROLES,
  SUB_SCOPE,
  azAssignment,
} from './fixtures/checks/access';

const NOW = new Date('2026-11-22T02:00:00.000Z');
const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const GROUP = '9a000000-0000-4000-8000-000000000001';
const OTHER_CLUSTER_ID = `/subscriptions/${OTHER_SUBSCRIPTION}/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/aks-dev`;
const CATALOGUE_ORDER = CHECKS.map((c) => c.id);

function otherCluster(): Record<string, unknown> {
  const raw = rawCluster('arm', { disableLocalAccounts: false });
  return { ...raw, id: OTHER_CLUSTER_ID, name: 'aks-dev' };
}

function estate(parts: Partial<Estate> = {}): Estate {
  return {
    source: 'snapshot',
    clusters: [
      normaliseCluster(rawCluster('az', { disableLocalAccounts: false }), 'clusters.json[0]'),
      normaliseCluster(otherCluster(), 'clusters.json[1]'),
    ],
    roleAssignments: [
      normaliseRoleAssignment(
        azAssignment({
          principalId: ALICE,
          principalType: 'User',
          role: ROLES.contributor,
          scope: RG_SCOPE,
        }),
        'ra[0]',
        SUBSCRIPTION,
      ),
      normaliseRoleAssignment(
        azAssignment({
          principalId: GROUP,
          principalType: 'Group',
          role: ROLES.owner,
          scope: `/subscriptions/${OTHER_SUBSCRIPTION}`,
        }),
        'ra[1]',
        OTHER_SUBSCRIPTION,
      ),
    ],
    roleDefinitions: [],
    failures: [],
    // No federated credential trusts these clusters' issuers (`workload-identity-federation` passes).
    federatedCredentials: [],
    ...parts,
  };
}

describe('evaluateEstate', () => {
  it('evaluates every check exactly once per cluster, in catalogue order', () => {
    const postures = evaluateEstate(estate(), { now: NOW });
    expect(postures.map((p) => p.id)).toEqual([CLUSTER_ID, OTHER_CLUSTER_ID]);
    for (const posture of postures) {
      expect(posture.findings.map((f) => f.checkId)).toEqual(CATALOGUE_ORDER);
      expect(posture.evaluatedAt).toBe(NOW.toISOString());
    }
  });

  it('copies each check’s severity and title into its finding, and principals only on access checks', () => {
    const [posture] = evaluateEstate(estate(), { now: NOW });
    for (const [i, check] of CHECKS.entries()) {
      const finding = posture.findings[i];
      expect(finding.severity).toBe(check.severity);
      expect(finding.title).toBe(check.title);
      expect(finding.remediation).toMatch(/^az /);
      if (check.category === 'access') expect(Array.isArray(finding.principals)).toBe(true);
      else expect(finding).not.toHaveProperty('principals');
    }
  });

  it('keeps each cluster’s access to its own scopes', () => {
    const [prod, dev] = evaluateEstate(estate(), { now: NOW });
    const prodAdmin = prod.findings.find((f) => f.checkId === 'admin-credential-access')!;
    const devAdmin = dev.findings.find((f) => f.checkId === 'admin-credential-access')!;
    expect(prodAdmin.status).toBe('fail');
    expect(prodAdmin.principals!.map((p) => p.principalId)).toEqual([ALICE]);
    expect(devAdmin.status).toBe('fail');
    expect(devAdmin.principals!.map((p) => p.principalId)).toEqual([GROUP]);
    expect(prod.privilegedPrincipals.map((p) => p.principalId)).toEqual([ALICE]);
    expect(dev.privilegedPrincipals.map((p) => p.principalId)).toEqual([GROUP]);
  });

  it('computes status and score from the findings', () => {
    const [prod] = evaluateEstate(estate(), { now: NOW });
    // local-accounts-disabled (high), admin-credential-access (critical), cluster-admin-paths
    // (high: Alice's Owner grant is cluster-write and role-assignment-write, and she is not
    // approved), privileged-access-via-groups (medium).
    expect(prod.findings.filter((f) => f.status === 'fail').map((f) => f.checkId)).toEqual([
      'local-accounts-disabled',
      'admin-credential-access',
      'cluster-admin-paths',
      'privileged-access-via-groups',
    ]);
    expect(prod.status).toBe('fail');
    expect(prod.score).toBe(10);
  });

  it('a hardened cluster with no privileged access scores 100 and passes', () => {
    const hardened = normaliseCluster(rawCluster('arm'), 'clusters.json[0]');
    // An empty directory answers for every principal (there are none): nothing is orphaned.
    const [posture] = evaluateEstate(
      estate({
        clusters: [hardened],
        roleAssignments: [],
        directory: { source: 'principals.json', principals: [], complete: true },
      }),
      { now: NOW },
    );
    expect(posture.status).toBe('pass');
    expect(posture.score).toBe(100);
    // The fixture attaches no identity to its add-ons: the add-on identity check has nothing to judge.
    expect(
      posture.findings.filter((f) => f.status !== 'pass').map((f) => [f.checkId, f.status]),
    ).toEqual([['addon-identity-least-privilege', 'not-applicable']]);
  });

  it('restricts evaluation to the given cluster ids, compared case-insensitively', () => {
    const postures = evaluateEstate(estate(), {
      now: NOW,
      clusterIds: [OTHER_CLUSTER_ID.toUpperCase()],
    });
    expect(postures.map((p) => p.id)).toEqual([OTHER_CLUSTER_ID]);
    expect(evaluateEstate(estate(), { now: NOW, clusterIds: [] })).toEqual([]);
  });

  it('evaluates a cluster listed twice once', () => {
    const e = estate();
    e.clusters.push({ ...e.clusters[0], id: e.clusters[0].id.toUpperCase() });
    expect(evaluateEstate(e, { now: NOW }).map((p) => p.id)).toEqual([
      CLUSTER_ID,
      OTHER_CLUSTER_ID,
    ]);
  });

  it('a roleAssignments failure for one subscription makes only its clusters’ access checks error', () => {
    const failures: SourceFailure[] = [
      {
        subscriptionId: OTHER_SUBSCRIPTION,
        part: 'roleAssignments',
        message: 'AuthorizationFailed',
      },
    ];
    const [prod, dev] = evaluateEstate(estate({ failures }), { now: NOW });
    const accessIds = CHECKS.filter((c) => c.category === 'access').map((c) => c.id);
    for (const f of dev.findings) {
      if (accessIds.includes(f.checkId)) {
        expect([f.checkId, f.status]).toEqual([f.checkId, 'error']);
        expect(f.detail).toContain('AuthorizationFailed');
      }
    }
    expect(dev.findings.find((f) => f.checkId === 'local-accounts-disabled')!.status).toBe('fail');
    expect(dev.status).toBe('fail');
    expect(prod.findings.find((f) => f.checkId === 'admin-credential-access')!.status).toBe('fail');
  });

  it('a clusters failure leaves nothing to evaluate in that subscription and does not disturb the others', () => {
    const failures: SourceFailure[] = [
      { subscriptionId: OTHER_SUBSCRIPTION, part: 'clusters', message: 'timeout' },
    ];
    const e = estate({ failures });
    e.clusters = e.clusters.slice(0, 1);
    const postures = evaluateEstate(e, { now: NOW });
    expect(postures.map((p) => p.id)).toEqual([CLUSTER_ID]);
    expect(postures[0].findings.find((f) => f.checkId === 'admin-credential-access')!.status).toBe(
      'fail',
    );
  });

  it('a cluster without configuration is error, not pass, on every configuration check', () => {
    const incomplete = normaliseCluster(rawClusterWithoutProperties(), 'clusters.json[0]');
    const [posture] = evaluateEstate(estate({ clusters: [incomplete], roleAssignments: [] }), {
      now: NOW,
    });
    for (const f of posture.findings) {
      if (CHECKS.find((c) => c.id === f.checkId)!.category === 'configuration')
        expect([f.checkId, f.status]).toEqual([f.checkId, 'error']);
    }
    expect(posture.status).toBe('error');
    expect(posture.score).toBe(0);
  });
});

describe('evaluateCluster', () => {
  it('deduplicates privileged principals seen through repeated listings, uniting capabilities', () => {
    const cluster = normaliseCluster(rawCluster('az'), 'clusters.json[0]');
    const index = buildAccessIndex({ roleAssignments: [], roleDefinitions: [], failures: [] });
    const entry = {
      principalId: GROUP,
      principalType: 'Group',
      roleName: 'Owner',
      roleDefinitionId: `x/${ROLES.owner}`,
      scope: SUB_SCOPE,
    };
    const access = {
      clusterId: cluster.id,
      assignments: [],
      unresolved: [],
      privileged: [
        { ...entry, capabilities: ['admin-credential' as const] },
        {
          ...entry,
          scope: SUB_SCOPE.toUpperCase(),
          capabilities: ['role-assignment-write' as const, 'admin-credential' as const],
        },
      ],
    };
    const posture = evaluateCluster(cluster, access, index, NOW);
    expect(posture.privilegedPrincipals).toEqual([
      { ...entry, capabilities: ['admin-credential', 'role-assignment-write'] },
    ]);
  });

  it('runs kubelet and control-plane checks against the whole estate index', () => {
    const cluster = normaliseCluster(rawCluster('az'), 'clusters.json[0]');
    const index = buildAccessIndex({
      roleAssignments: [
        normaliseRoleAssignment(
          azAssignment({
            principalId: KUBELET_OBJECT_ID,
            principalType: 'ServicePrincipal',
            role: ROLES.contributor,
            scope: SUB_SCOPE,
          }),
          'ra[0]',
          SUBSCRIPTION,
        ),
      ],
      roleDefinitions: [],
      failures: [],
    });
    const posture = evaluateCluster(cluster, index.forCluster(cluster), index, NOW, {
      ...estate({ clusters: [cluster] }),
      federatedCredentials: [],
    });
    const kubelet = posture.findings.find((f) => f.checkId === 'kubelet-identity-least-privilege')!;
    expect(kubelet.status).toBe('fail');
    expect(kubelet.remediation).toMatch(/^az role assignment delete --ids \/subscriptions\//);
    // A Contributor at the subscription is also a path to cluster-admin (cluster-write, node-access
    // through the node resource group), held by an identity nobody approved.
    expect(posture.findings.filter((f) => f.status === 'fail').map((f) => f.checkId)).toEqual([
      'cluster-admin-paths',
      'kubelet-identity-least-privilege',
    ]);
    expect(
      posture.findings.filter((f) => f.status === 'error').map((f) => [f.checkId, f.detail]),
    ).toEqual([]);
    expect(posture.score).toBe(60);
  });
});

describe('unreadablePosture', () => {
  it('turns every check into error with the reason, keeping the last known principals', () => {
    const [stored] = evaluateEstate(estate(), { now: NOW });
    const later = new Date('2026-11-23T02:00:00.000Z');
    const posture = unreadablePosture(
      stored,
      'the clusters of subscription x could not be read: timeout',
      later,
    );
    expect(posture.findings.map((f) => f.checkId)).toEqual(CATALOGUE_ORDER);
    expect(
      posture.findings.every((f) => f.status === 'error' && f.detail.includes('timeout')),
    ).toBe(true);
    expect(posture.status).toBe('error');
    expect(posture.score).toBe(0);
    expect(posture.evaluatedAt).toBe(later.toISOString());
    expect(posture.privilegedPrincipals).toEqual(stored.privilegedPrincipals);
    expect(posture.findings.find((f) => f.checkId === 'local-accounts-disabled')!.remediation).toBe(
      'az aks update -g rg-prod -n aks-prod --disable-local-accounts',
    );
  });
});
