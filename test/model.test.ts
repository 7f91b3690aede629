import { CAPABILITIES, SEVERITIES } from '../src/core/model';

describe('domain model constants', () => {
  it('orders severities from most to least severe', () => {
    expect(SEVERITIES).toEqual(['critical', 'high', 'medium', 'low', 'info']);
  });
  it('lists the seven paths to cluster-admin of docs/checks.md, the older four first', () => {
    expect([...CAPABILITIES]).toEqual([
      'admin-credential',
      'cluster-write',
      'role-assignment-write',
      'kubernetes-cluster-admin',
      'run-command',
      'trusted-access-write',
      'node-access',
    ]);
  });
});
