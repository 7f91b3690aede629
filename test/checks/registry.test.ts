import {
  CHECKS,
  PLACEHOLDER_CLUSTER,
  catalogueRemediation,
  checkById,
} from '../../src/core/checks';
import type { Cluster } from '../../src/core/model';

/** docs/access.md, in catalogue order, with severities and categories: a public contract. */
const CATALOGUE: Array<[id: string, severity: string, category: string]> = [
  ['entra-id-integration', 'high', 'configuration'],
  ['local-accounts-disabled', 'high', 'configuration'],
  ['azure-rbac-authorization', 'medium', 'configuration'],
  ['kubernetes-rbac-enabled', 'critical', 'configuration'],
  ['admin-group-configured', 'low', 'configuration'],
  ['managed-identity', 'medium', 'configuration'],
  ['user-assigned-control-plane-identity', 'low', 'configuration'],
  ['oidc-issuer-enabled', 'medium', 'configuration'],
  ['workload-identity-enabled', 'medium', 'configuration'],
  ['pod-identity-disabled', 'high', 'configuration'],
  ['api-server-access-restricted', 'medium', 'configuration'],
  ['run-command-disabled', 'medium', 'configuration'],
  ['defender-enabled', 'low', 'configuration'],
  ['azure-policy-addon', 'low', 'configuration'],
  ['keyvault-secret-rotation', 'low', 'configuration'],
  ['admin-credential-access', 'critical', 'access'],
  ['cluster-admin-paths', 'high', 'access'],
  ['privileged-access-via-groups', 'medium', 'access'],
  ['custom-role-wildcards', 'medium', 'access'],
  ['kubelet-identity-least-privilege', 'high', 'access'],
  ['addon-identity-least-privilege', 'medium', 'access'],
  ['control-plane-identity-least-privilege', 'medium', 'access'],
  ['orphaned-role-assignments', 'low', 'access'],
  ['workload-identity-federation', 'high', 'access'],
];

describe('check registry', () => {
  it('lists every check of docs/access.md once, in catalogue order, with its severity and category', () => {
    expect(CHECKS.map((c) => [c.id, c.severity, c.category])).toEqual(CATALOGUE);
  });

  it('finds checks by exact id', () => {
    for (const check of CHECKS) expect(checkById(check.id)).toBe(check);
    expect(checkById('no-such-check')).toBeUndefined();
    expect(checkById('LOCAL-ACCOUNTS-DISABLED')).toBeUndefined();
  });

  it.each(CATALOGUE.map(([id]) => id))(
    '%s has a title, rationale and learn.microsoft.com references',
    (id) => {
      const check = checkById(id)!;
      expect(check.title.length).toBeGreaterThan(10);
      expect(check.rationale.length).toBeGreaterThan(30);
      expect(check.references.length).toBeGreaterThan(0);
      for (const ref of check.references)
        expect(ref).toMatch(/^https:\/\/learn\.microsoft\.com\/azure\//);
    },
  );

  it('catalogue remediations are az commands with placeholders for the cluster', () => {
    for (const check of CHECKS) {
      const text = catalogueRemediation(check);
      expect(text).toMatch(/^az /);
      if (check.category === 'configuration') expect(text).toContain('-g <resource-group>');
    }
    expect(catalogueRemediation(checkById('local-accounts-disabled')!)).toBe(
      'az aks update -g <resource-group> -n <cluster-name> --disable-local-accounts',
    );
    expect(catalogueRemediation(checkById('kubelet-identity-least-privilege')!)).toBe(
      'az role assignment delete --ids <role-assignment-id>',
    );
  });

  it('quotes resource group and cluster names the shell would otherwise interpret', () => {
    const cluster: Cluster = {
      ...PLACEHOLDER_CLUSTER,
      resourceGroup: "rg (prod) team's",
      name: 'aks-prod',
    };
    expect(checkById('local-accounts-disabled')!.remediation(cluster)).toBe(
      `az aks update -g 'rg (prod) team'\\''s' -n aks-prod --disable-local-accounts`,
    );
  });

  it('deletes several assignments in one command', () => {
    const ids = [
      '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a',
      '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/b',
    ];
    expect(
      checkById('control-plane-identity-least-privilege')!.remediation(PLACEHOLDER_CLUSTER, {
        assignmentIds: ids,
      }),
    ).toBe(`az role assignment delete --ids ${ids.join(' ')}`);
  });

  it('is frozen: the catalogue cannot be altered at run time', () => {
    expect(Object.isFrozen(CHECKS)).toBe(true);
    expect(Object.isFrozen(CHECKS[0])).toBe(true);
  });
});
