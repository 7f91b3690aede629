#!/usr/bin/env node
'use strict';
/**
 * Makes the two changes the README's walk-throughs audit, in a COPY of the sample estate, the
 * way a user's next `az` export would show them:
 *   --local-accounts  someone re-enabled local accounts on aks-payments-prod
 *   --grant           someone made dave (a User) Contributor at rg-payments-prod
 *                     (the assignment samples/events/role-assignment-write.json announces)
 * Without a flag, both. Usage: node samples/make-regression.js DIR [--local-accounts] [--grant]
 */
const fs = require('fs');
const path = require('path');

const [dir, ...flags] = process.argv.slice(2);
if (!dir || flags.some((f) => f !== '--local-accounts' && f !== '--grant')) {
  console.error('usage: node samples/make-regression.js DIR [--local-accounts] [--grant]');
  process.exit(2);
}
if (path.resolve(dir) === path.resolve(__dirname, 'estate')) {
  console.error('refusing to edit the bundled sample estate: copy it first (cp -r samples/estate my-estate)');
  process.exit(2);
}
const all = flags.length === 0;
const read = (file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
const write = (file, value) => fs.writeFileSync(path.join(dir, file), `${JSON.stringify(value, null, 2)}\n`);

if (all || flags.includes('--local-accounts')) {
  const clusters = read('clusters.json');
  const cluster = clusters.find((c) => c.name === 'aks-payments-prod');
  cluster.disableLocalAccounts = false;
  write('clusters.json', clusters);
  console.log('aks-payments-prod: local accounts re-enabled (disableLocalAccounts: false)');
}

if (all || flags.includes('--grant')) {
  const assignments = read('role-assignments.json');
  const scope = '/subscriptions/00000000-0000-4000-a000-000000000001/resourceGroups/rg-payments-prod';
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-000000000011`;
  if (!assignments.some((a) => a.id === id)) {
    assignments.push({
      condition: null,
      conditionVersion: null,
      createdBy: '00000000-0000-4000-b000-000000000005',
      createdOn: '2026-11-22T09:30:12.000000+00:00',
      delegatedManagedIdentityResourceId: null,
      description: null,
      id,
      name: '00000000-0000-4000-9000-000000000011',
      principalId: '00000000-0000-4000-b000-000000000004',
      principalName: 'dave@contoso.example',
      principalType: 'User',
      resourceGroup: 'rg-payments-prod',
      roleDefinitionId: '/subscriptions/00000000-0000-4000-a000-000000000001/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c',
      roleDefinitionName: 'Contributor',
      scope,
      type: 'Microsoft.Authorization/roleAssignments',
      updatedBy: '00000000-0000-4000-b000-000000000005',
      updatedOn: '2026-11-22T09:30:12.000000+00:00',
    });
    write('role-assignments.json', assignments);
  }
  console.log('rg-payments-prod: dave@contoso.example (User) is now Contributor');
}
