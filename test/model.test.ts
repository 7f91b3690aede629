import { CAPABILITIES, SEVERITIES } from '../src/core/model';

describe('domain model constants', () => {
  it('orders severities from most to least severe', () => {
    expect(SEVERITIES).toEqual(['critical', 'high', 'medium', 'low', 'info']);
  });
  it('lists the four privileged capabilities of docs/access.md', () => {
    expect([...CAPABILITIES].sort()).toEqual([
      'admin-credential',
      'cluster-write',
      'kubernetes-cluster-admin',
      'role-assignment-write',
    ]);
  });
});
