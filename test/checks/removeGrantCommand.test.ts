/**
 * The one form of "remove this grant" (core/checks/common deleteAssignmentsCommand), used by the
 * checks' fixes (assignment ids known) and by alerts (rendered from a stored posture, no ids).
 */
import { deleteAssignmentsCommand } from '../../src/core/checks/common';

const ID =
  '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-prod/providers/Microsoft.Authorization/roleAssignments/22222222-2222-2222-2222-222222222222';
const grant = {
  principalId: '33333333-3333-3333-3333-333333333333',
  role: 'Owner',
  scope: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg (prod)',
};

describe('deleteAssignmentsCommand', () => {
  it.each([
    ['ids', { assignmentIds: [ID] }, undefined, `az role assignment delete --ids ${ID}`],
    [
      'ids win over the grant',
      { assignmentIds: [ID, ` ${ID}2 `] },
      grant,
      `az role assignment delete --ids ${ID} ' ${ID}2 '`,
    ],
    [
      'blank ids are dropped',
      { assignmentIds: ['', '  '] },
      undefined,
      'az role assignment delete --ids <role-assignment-id>',
    ],
    ['nothing known', undefined, undefined, 'az role assignment delete --ids <role-assignment-id>'],
    [
      'a grant without ids: by assignee, role and scope, each one shell word',
      undefined,
      grant,
      `az role assignment delete --assignee ${grant.principalId} --role Owner --scope '${grant.scope}'`,
    ],
    [
      'a role name with a space and an empty scope (the root)',
      { assignmentIds: [] },
      { principalId: grant.principalId, role: 'AKS Cluster Admin', scope: '' },
      `az role assignment delete --assignee ${grant.principalId} --role 'AKS Cluster Admin' --scope /`,
    ],
  ])('%s', (_what, context, g, expected) => {
    expect(deleteAssignmentsCommand(context, g)).toBe(expected);
  });
});
