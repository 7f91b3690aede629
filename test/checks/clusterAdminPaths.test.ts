import type { Estate } from '../../src/core/model';
import {
  ADMIN_GROUP_ID,
  SHAPES,
  SUBSCRIPTION,
  rawCluster,
  rawClusterWithoutProperties,
  type Shape,
} from '../fixtures/checks/clusters';
import {
  RG_SCOPE,
  ROLES,
  SUB_SCOPE,
  assignmentIn,
  azAssignment,
  azCustomRole,
  type AssignmentSpec,
} from '../fixtures/checks/access';
import { evaluateCheck, type AccessFixture } from '../fixtures/checks/harness';

const CHECK = 'cluster-admin-paths';
const ALICE = 'a1000000-0000-4000-8000-000000000001';
const BOB = 'b1000000-0000-4000-8000-000000000002';
const NODE_RG = 'MC_rg-prod_aks-prod_westeurope';
const NODE_RG_SCOPE = `${SUB_SCOPE}/resourceGroups/${NODE_RG}`;
const SCALE_SET = `${NODE_RG_SCOPE}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-system-vmss`;

/** The hardened cluster (run command disabled) with its node resource group named. */
const cluster = (shape: Shape, changes: Parameters<typeof rawCluster>[1] = {}) =>
  rawCluster(shape, { nodeResourceGroup: NODE_RG, ...changes });

function run(
  shape: Shape,
  specs: AssignmentSpec[],
  options: {
    changes?: Parameters<typeof rawCluster>[1];
    definitions?: AccessFixture['definitions'];
    extra?: Parameters<typeof evaluateCheck>[3];
  } = {},
) {
  return evaluateCheck(
    CHECK,
    cluster(shape, options.changes),
    { assignments: specs.map(assignmentIn(shape)), definitions: options.definitions },
    options.extra,
  );
}

describe.each(SHAPES)('cluster-admin-paths (%s shape)', (shape) => {
  it('passes with only readers, listing nobody', () => {
    const { outcome } = run(shape, [{ principalId: ALICE, role: ROLES.reader, scope: RG_SCOPE }]);
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([]);
  });

  it('fails for a Contributor at the resource group, naming the paths and the assignment to remove', () => {
    const { outcome, remediation } = run(shape, [
      {
        principalId: ALICE,
        principalType: 'User',
        role: ROLES.contributor,
        scope: RG_SCOPE,
        name: 'ra-alice',
      },
    ]);
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('cluster-write');
    expect(outcome.detail).toContain('Contributor at');
    expect(outcome.detail).not.toContain('run-command'); // the fixture disables run command
    expect(outcome.principals).toEqual([
      expect.objectContaining({
        principalId: ALICE,
        capabilities: ['admin-credential', 'cluster-write', 'trusted-access-write'],
      }),
    ]);
    expect(remediation).toBe(
      `az role assignment delete --ids ${RG_SCOPE}/providers/Microsoft.Authorization/roleAssignments/ra-alice`,
    );
  });

  it('passes when the holder is one of the cluster admin groups, marking it approved', () => {
    const { outcome } = run(shape, [
      { principalId: ADMIN_GROUP_ID.toUpperCase(), role: ROLES.owner, scope: RG_SCOPE },
    ]);
    expect(outcome.status).toBe('pass');
    expect(outcome.principals).toEqual([expect.objectContaining({ approved: true })]);
  });

  it('passes when AUDIT_APPROVED_ADMINS names the holder; others still fail', () => {
    const specs = [
      { principalId: ALICE, role: ROLES.owner, scope: SUB_SCOPE },
      { principalId: BOB, role: ROLES.contributor, scope: RG_SCOPE },
    ];
    const approvedAlice = run(shape, specs.slice(0, 1), {
      extra: { approvedAdmins: new Set([ALICE]) },
    });
    expect(approvedAlice.outcome.status).toBe('pass');
    expect(approvedAlice.outcome.principals?.[0]).toMatchObject({
      principalId: ALICE,
      approved: true,
    });
    const both = run(shape, specs, { extra: { approvedAdmins: new Set([ALICE]) } });
    expect(both.outcome.status).toBe('fail');
    expect(both.outcome.detail).toContain(BOB);
    expect(both.outcome.detail).not.toContain(`${ALICE}@`);
    expect(both.outcome.assignmentIds).toHaveLength(1);
  });

  it('treats a principal an active exemption names for this check as approved (not marked approved)', () => {
    const { outcome } = run(shape, [{ principalId: BOB, role: ROLES.owner, scope: RG_SCOPE }], {
      extra: { exemptedPrincipals: new Map([[CHECK, new Set([BOB])]]) },
    });
    expect(outcome.status).toBe('pass');
    expect(outcome.principals?.[0]?.approved).toBeUndefined();
    // An exemption for another check approves nothing here.
    const other = run(shape, [{ principalId: BOB, role: ROLES.owner, scope: RG_SCOPE }], {
      extra: { exemptedPrincipals: new Map([['admin-credential-access', new Set([BOB])]]) },
    });
    expect(other.outcome.status).toBe('fail');
  });

  it('approves the known members of an approved group, not the members of an unknown one', () => {
    const directory = (members?: string[]): Estate['directory'] => ({
      source: 'principals.json',
      complete: true,
      principals: [
        { id: ADMIN_GROUP_ID, principalType: 'Group', displayName: 'aks-admins', members },
        { id: ALICE, principalType: 'User', displayName: 'Alice' },
      ],
    });
    const specs = [
      { principalId: ALICE, principalType: 'User', role: ROLES.owner, scope: RG_SCOPE },
    ];
    const member = run(shape, specs, {
      extra: { estate: { directory: directory([ALICE]) } as Estate },
    });
    expect(member.outcome.status).toBe('pass');
    const unknown = run(shape, specs, { extra: { estate: { directory: directory() } as Estate } });
    expect(unknown.outcome.status).toBe('fail');
  });

  it('does not judge admin-credential alone: AKS Cluster Admin Role passes while run command is off', () => {
    const specs = [{ principalId: BOB, role: ROLES.aksClusterAdminRole, scope: RG_SCOPE }];
    const off = run(shape, specs);
    expect(off.outcome.status).toBe('pass');
    expect(off.outcome.principals).toEqual([]);
    const on = run(shape, specs, { changes: { disableRunCommand: false } });
    expect(on.outcome.status).toBe('fail');
    expect(on.outcome.detail).toContain('run-command');
  });

  it('fails for Virtual Machine Contributor at the node resource group and at one of its scale sets', () => {
    for (const scope of [NODE_RG_SCOPE, SCALE_SET]) {
      const { outcome } = run(shape, [
        { principalId: BOB, role: ROLES.virtualMachineContributor, scope },
      ]);
      expect(outcome.status).toBe('fail');
      expect(outcome.principals).toEqual([
        expect.objectContaining({ principalId: BOB, capabilities: ['node-access'] }),
      ]);
    }
  });

  it('passes for Virtual Machine Contributor at the cluster resource group (no scale sets there)', () => {
    const { outcome } = run(shape, [
      { principalId: BOB, role: ROLES.virtualMachineContributor, scope: RG_SCOPE },
    ]);
    expect(outcome.status).toBe('pass');
  });

  it('fails for Kubernetes cluster-admin through Azure RBAC, and for trusted access bindings', () => {
    expect(
      run(shape, [{ principalId: BOB, role: ROLES.aksRbacClusterAdmin, scope: RG_SCOPE }]).outcome
        .status,
    ).toBe('fail');
    const trusted = run(
      shape,
      [{ principalId: BOB, role: 'cc000000-0000-4000-8000-0000000000aa', scope: RG_SCOPE }],
      {
        definitions: [
          azCustomRole({
            guid: 'cc000000-0000-4000-8000-0000000000aa',
            roleName: 'Trusted access binder',
            actions: ['Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write'],
          }),
        ],
      },
    );
    expect(trusted.outcome.status).toBe('fail');
    expect(trusted.outcome.detail).toContain('trusted-access-write');
  });

  it('is error when a role held by an unapproved principal cannot be resolved, and says how to export it', () => {
    const unknownRole = 'dd000000-0000-4000-8000-000000000001';
    const { outcome } = run(shape, [{ principalId: BOB, role: unknownRole, scope: RG_SCOPE }]);
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain(`az role definition list --name ${unknownRole}`);
    const approved = run(shape, [{ principalId: BOB, role: unknownRole, scope: RG_SCOPE }], {
      extra: { approvedAdmins: new Set([BOB]) },
    });
    expect(approved.outcome.status).toBe('pass');
  });
});

describe('cluster-admin-paths: what cannot be judged', () => {
  it('is error for a cluster document without configuration', () => {
    const { outcome } = evaluateCheck(CHECK, rawClusterWithoutProperties(), {
      assignments: [azAssignment({ principalId: BOB, role: ROLES.owner, scope: RG_SCOPE })],
    });
    expect(outcome.status).toBe('error');
    expect(outcome.detail).toContain('admin groups is unknown');
  });

  it('is error when the role assignments could not be read', () => {
    const { outcome } = evaluateCheck(CHECK, rawCluster('az'), {
      failures: [{ subscriptionId: SUBSCRIPTION, part: 'roleAssignments', message: 'HTTP 403' }],
    });
    expect(outcome.status).toBe('error');
  });
});
