/**
 * One list of routed operations (ROUTED_OPERATIONS, src/core/events.ts) feeds both the router
 * and the deployment's Event Grid filter (infra/modules/routedOperations.json, loaded by
 * armEventsTopic.bicep): the generated file must be current, and every operation the routing
 * table of docs/events.md names must be routed, on its event type, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTED_OPERATIONS } from '../../src/core/events';

const ROOT = join(__dirname, '..', '..');

const { routedOperationsFilter } = require('../../infra/scripts/generate-routed-operations.js') as {
  routedOperationsFilter(
    routed: ReadonlyArray<{ operationName: string; eventType: string }>,
  ): unknown;
};

/** The routing table of docs/events.md: each operation and the event type carrying it. */
const DOCUMENTED_ROUTES: Array<[string, string]> = [
  ['Microsoft.Authorization/roleAssignments/write', 'Write'],
  ['Microsoft.Authorization/roleAssignments/delete', 'Delete'],
  ['Microsoft.Authorization/roleDefinitions/write', 'Write'],
  ['Microsoft.Authorization/roleDefinitions/delete', 'Delete'],
  ['Microsoft.ContainerService/managedClusters/write', 'Write'],
  ['Microsoft.ContainerService/managedClusters/agentPools/write', 'Write'],
  ['Microsoft.ContainerService/managedClusters/delete', 'Delete'],
  ['Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action', 'Action'],
  ['Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action', 'Action'],
  ['Microsoft.ContainerService/managedClusters/listClusterUserCredential/action', 'Action'],
  ['Microsoft.ContainerService/managedClusters/runCommand/action', 'Action'],
  ['Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/write', 'Write'],
  ['Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings/delete', 'Delete'],
  ['Microsoft.Authorization/roleEligibilityScheduleRequests/write', 'Write'],
  ['Microsoft.Authorization/roleAssignmentScheduleRequests/write', 'Write'],
  ['Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write', 'Write'],
  [
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete',
    'Delete',
  ],
  ['Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommand/action', 'Action'],
  ['Microsoft.Compute/virtualMachineScaleSets/extensions/write', 'Write'],
];

const routed = new Map(
  ROUTED_OPERATIONS.map((r) => [r.operationName.toLowerCase(), r.eventType.toLowerCase()]),
);

describe('routed operations: router and Event Grid filter', () => {
  it('infra/modules/routedOperations.json is generated from ROUTED_OPERATIONS (else run `npm run generate:infra`)', () => {
    const committed = JSON.parse(
      readFileSync(join(ROOT, 'infra', 'modules', 'routedOperations.json'), 'utf8'),
    ) as unknown;
    const expected = routedOperationsFilter(ROUTED_OPERATIONS);
    if (JSON.stringify(committed) !== JSON.stringify(expected)) {
      throw new Error(
        'infra/modules/routedOperations.json is stale: run `npm run generate:infra` and commit the result',
      );
    }
  });

  it('armEventsTopic.bicep filters on that file', () => {
    const bicep = readFileSync(join(ROOT, 'infra', 'modules', 'armEventsTopic.bicep'), 'utf8');
    expect(bicep).toContain("loadJsonContent('routedOperations.json')");
    expect(bicep).toContain('includedEventTypes: routed.eventTypes');
    expect(bicep).toContain('values: routed.operationNames');
  });

  it.each(DOCUMENTED_ROUTES)('%s is routed, on %s Success events', (operation, verb) => {
    expect(routed.get(operation.toLowerCase())).toBe(
      `microsoft.resources.resource${verb.toLowerCase()}success`,
    );
  });

  it('routes nothing docs/events.md does not list', () => {
    const documented = new Set(DOCUMENTED_ROUTES.map(([op]) => op.toLowerCase()));
    expect([...routed.keys()].filter((op) => !documented.has(op))).toEqual([]);
  });

  it('all documented routes fit one Event Grid advanced filter (25 values)', () => {
    expect(DOCUMENTED_ROUTES.length).toBeLessThanOrEqual(25);
  });
});
