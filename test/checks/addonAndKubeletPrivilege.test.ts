/**
 * The wider kubelet role list and `addon-identity-least-privilege` (docs/checks.md "Access
 * checks"): the identities every pod on the nodes can use.
 */
import { KUBELET_OBJECT_ID, SHAPES, rawCluster, type Shape } from '../fixtures/checks/clusters';
import {
  MANAGEMENT_GROUP_SCOPE,
  RG_SCOPE,
  ROLES,
  SUB_SCOPE,
  assignmentIn,
  azCustomRole,
  type AssignmentSpec,
} from '../fixtures/checks/access';
import { evaluateCheck } from '../fixtures/checks/harness';

const SP = 'ServicePrincipal';
const KV_IDENTITY = 'e1000000-0000-4000-8000-000000000001';
const ROUTING_IDENTITY = 'e1000000-0000-4000-8000-000000000002';
const CUSTOM = 'cc000000-0000-4000-8000-0000000000b1';

/** The hardened cluster with the Key Vault provider's identity and (optionally) web app routing's. */
function withAddonIdentities(shape: Shape, routing = false) {
  const kv = { clientId: 'e2000000-0000-4000-8000-000000000001', objectId: KV_IDENTITY };
  return rawCluster(shape, {
    addonProfiles: {
      azureKeyvaultSecretsProvider: {
        enabled: true,
        config: { enableSecretRotation: 'true' },
        identity: kv,
      },
      azurepolicy: { enabled: true, config: null, identity: null },
    },
    ...(routing
      ? { webAppRouting: { enabled: true, identity: { objectId: ROUTING_IDENTITY } } }
      : {}),
  });
}

describe.each(SHAPES)(
  'kubelet-identity-least-privilege: the wider role list (%s shape)',
  (shape) => {
    const check = (
      role: string,
      extra: Partial<AssignmentSpec> = {},
      definitions = [] as Record<string, unknown>[],
    ) =>
      evaluateCheck('kubelet-identity-least-privilege', rawCluster(shape), {
        assignments: [
          assignmentIn(shape)({
            principalId: KUBELET_OBJECT_ID,
            principalType: SP,
            role,
            scope: RG_SCOPE,
            ...extra,
          }),
        ],
        definitions,
      }).outcome;

    it.each([
      ['Role Based Access Control Administrator', ROLES.roleBasedAccessControlAdministrator],
      ['Virtual Machine Contributor', ROLES.virtualMachineContributor],
      ['Managed Identity Operator', ROLES.managedIdentityOperator],
    ])('fails for %s at a resource group', (name, role) => {
      const outcome = check(role);
      expect(outcome.status).toBe('fail');
      expect(outcome.detail).toContain(name);
    });

    it('fails for a custom role that may assign user-assigned identities (…/*/assign/action)', () => {
      const outcome = check(CUSTOM, {}, [
        azCustomRole({
          guid: CUSTOM,
          roleName: 'Identity attacher',
          actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action'],
        }),
      ]);
      expect(outcome.status).toBe('fail');
      expect(outcome.detail).toContain('userAssignedIdentities/*/assign/action');
    });

    it('passes for a custom role that only reads identities', () => {
      const outcome = check(CUSTOM, {}, [
        azCustomRole({
          guid: CUSTOM,
          roleName: 'Identity reader',
          actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/read'],
        }),
      ]);
      expect(outcome.status).toBe('pass');
    });
  },
);

describe.each(SHAPES)('addon-identity-least-privilege (%s shape)', (shape) => {
  const check = (specs: AssignmentSpec[], routing = false) =>
    evaluateCheck('addon-identity-least-privilege', withAddonIdentities(shape, routing), {
      assignments: specs.map(assignmentIn(shape)),
    });

  it('is not applicable when no add-on reports an identity', () => {
    const { outcome } = evaluateCheck('addon-identity-least-privilege', rawCluster(shape), {});
    expect(outcome.status).toBe('not-applicable');
  });

  it('passes when the add-on identity holds narrow roles, or broad ones below the subscription', () => {
    const { outcome } = check([
      { principalId: KV_IDENTITY, principalType: SP, role: ROLES.reader, scope: SUB_SCOPE },
      { principalId: KV_IDENTITY, principalType: SP, role: ROLES.contributor, scope: RG_SCOPE },
    ]);
    expect(outcome.status).toBe('pass');
    expect(outcome.detail).toContain(KV_IDENTITY);
  });

  it.each([
    ['Contributor at the subscription', ROLES.contributor, SUB_SCOPE],
    ['Owner at a management group', ROLES.owner, MANAGEMENT_GROUP_SCOPE],
    ['User Access Administrator at the root', ROLES.userAccessAdministrator, '/'],
    ['Managed Identity Operator at the subscription', ROLES.managedIdentityOperator, SUB_SCOPE],
  ])('fails for %s, naming the add-on and the assignment to remove', (_what, role, scope) => {
    const { outcome, remediation } = check([
      { principalId: KV_IDENTITY.toUpperCase(), principalType: SP, role, scope, name: 'ra-kv' },
    ]);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('add-on azurekeyvaultsecretsprovider');
    expect(remediation).toContain('roleAssignments/ra-kv');
  });

  it('judges the web app routing identity too', () => {
    const { outcome } = check(
      [
        {
          principalId: ROUTING_IDENTITY,
          principalType: SP,
          role: ROLES.contributor,
          scope: SUB_SCOPE,
        },
      ],
      true,
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('web app routing identity');
  });

  it('ignores the kubelet identity (its own check judges it)', () => {
    const { outcome } = check([
      { principalId: KUBELET_OBJECT_ID, principalType: SP, role: ROLES.owner, scope: SUB_SCOPE },
    ]);
    expect(outcome.status).toBe('pass');
  });

  it('is error when an assignment of an add-on identity at the subscription cannot be resolved', () => {
    const { outcome } = check([
      {
        principalId: KV_IDENTITY,
        principalType: SP,
        role: 'dd000000-0000-4000-8000-000000000009',
        scope: SUB_SCOPE,
      },
    ]);
    expect(outcome.status).toBe('error');
  });
});
