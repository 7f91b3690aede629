import fc from 'fast-check';
import {
  ancestorScopes,
  isManagementGroupScope,
  normaliseScope,
  scopeCovers,
  scopeKind,
} from '../src/core/scope';

const SUB = '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const RG = `${SUB}/resourceGroups/rg-prod`;
const CLUSTER = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const MG = '/providers/Microsoft.Management/managementGroups/platform';

describe('normaliseScope', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['   ', '/'],
    ['//', '/'],
    [SUB, SUB.toLowerCase()],
    [`${SUB}/`, SUB.toLowerCase()],
    [`${SUB}///`, SUB.toLowerCase()],
    ['subscriptions/ABC', '/subscriptions/abc'],
    ['/subscriptions//abc', '/subscriptions/abc'],
    ['  /Subscriptions/ABC/  ', '/subscriptions/abc'],
    ['/already/normal', '/already/normal'],
    // Real exports: a trailing blank before the slash must not keep the scope from covering the cluster.
    ['/subscriptions/x/resourceGroups/rg-prod /', '/subscriptions/x/resourcegroups/rg-prod'],
    ['/subscriptions/x/ resourceGroups/rg-prod', '/subscriptions/x/resourcegroups/rg-prod'],
  ])('%j -> %j', (input, expected) => {
    expect(normaliseScope(input)).toBe(expected);
  });

  it('lower-cases non-ASCII letters too', () => {
    expect(normaliseScope('/subscriptions/s/resourceGroups/RG-ÄÖ')).toBe(
      '/subscriptions/s/resourcegroups/rg-äö',
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const once = normaliseScope(s);
        expect(normaliseScope(once)).toBe(once);
      }),
    );
  });
});

describe('scopeCovers', () => {
  it('a resource group does not cover a resource group whose name merely starts the same', () => {
    expect(
      scopeCovers(
        `${SUB}/resourceGroups/rg-prod`,
        `${SUB}/resourceGroups/rg-prod2/providers/x/y/z`,
      ),
    ).toBe(false);
    expect(scopeCovers(`${SUB}/resourceGroups/rg-prod`, `${SUB}/resourceGroups/rg-prod2`)).toBe(
      false,
    );
    expect(scopeCovers(`${SUB}/resourceGroups/rg-prod`, CLUSTER)).toBe(true);
  });

  it('a scope exported with a blank before its trailing slash still covers the cluster', () => {
    expect(scopeCovers(`${SUB}/resourceGroups/rg-prod /`, CLUSTER)).toBe(true);
  });

  it('compares case-insensitively (resourcegroups = resourceGroups)', () => {
    expect(scopeCovers(`${SUB.toUpperCase()}/resourcegroups/RG-PROD`, CLUSTER)).toBe(true);
    expect(scopeCovers(RG, CLUSTER.toLowerCase())).toBe(true);
  });

  it('ignores trailing slashes on either side', () => {
    expect(scopeCovers(`${RG}/`, CLUSTER)).toBe(true);
    expect(scopeCovers(RG, `${CLUSTER}/`)).toBe(true);
    expect(scopeCovers(`${CLUSTER}/`, CLUSTER)).toBe(true);
  });

  it('a resource covers itself', () => {
    expect(scopeCovers(CLUSTER, CLUSTER)).toBe(true);
  });

  it('a subscription covers its clusters but not another subscription whose id shares a prefix', () => {
    expect(scopeCovers(SUB, CLUSTER)).toBe(true);
    expect(scopeCovers(SUB.slice(0, -1), CLUSTER)).toBe(false);
    expect(scopeCovers('/subscriptions/other', CLUSTER)).toBe(false);
  });

  it('a child never covers its parent', () => {
    expect(scopeCovers(CLUSTER, RG)).toBe(false);
    expect(scopeCovers(RG, SUB)).toBe(false);
  });

  it('a sibling resource in the same group does not cover the cluster', () => {
    expect(scopeCovers(`${RG}/providers/Microsoft.Storage/storageAccounts/st1`, CLUSTER)).toBe(
      false,
    );
    expect(scopeCovers(`${CLUSTER}-2`, CLUSTER)).toBe(false);
  });

  it('root covers everything', () => {
    expect(scopeCovers('/', CLUSTER)).toBe(true);
    expect(scopeCovers('/', '/')).toBe(true);
    expect(scopeCovers('/', MG)).toBe(true);
  });

  it('nothing but root covers root', () => {
    expect(scopeCovers(SUB, '/')).toBe(false);
  });

  it('a management group scope does not textually cover a subscription (hierarchy is not in ids)', () => {
    expect(scopeCovers(MG, CLUSTER)).toBe(false);
  });

  // Reference model: whole-segment, case-insensitive prefix.
  const segmentsOf = (s: string) =>
    s
      .toLowerCase()
      .split('/')
      .filter((x) => x !== '');
  const isSegmentPrefix = (scope: string, id: string) => {
    const a = segmentsOf(scope);
    const b = segmentsOf(id);
    return a.length <= b.length && a.every((seg, i) => seg === b[i]);
  };
  // A small alphabet so that shared prefixes (rg vs rg2) are frequent.
  const segment = fc.stringMatching(/^[aAbB1-]{1,3}$/);
  const path = fc.array(segment, { maxLength: 5 });
  const render = (segs: string[], leading: boolean, trailing: boolean) =>
    (leading ? '/' : '') + segs.join('/') + (trailing && segs.length > 0 ? '/' : '');

  it('agrees with the whole-segment prefix model (property)', () => {
    fc.assert(
      fc.property(path, path, fc.boolean(), fc.boolean(), (a, b, lead, trail) => {
        const scope = render(a, lead, trail);
        const id = render(b, true, false);
        expect(scopeCovers(scope, id)).toBe(isSegmentPrefix(scope, id));
      }),
      { numRuns: 2000 },
    );
  });

  it('every segment prefix, in any case, covers the id (property)', () => {
    fc.assert(
      fc.property(path, fc.nat(), fc.boolean(), (segs, cut, upper) => {
        const k = segs.length === 0 ? 0 : cut % (segs.length + 1);
        const scope = render(segs.slice(0, k), true, false);
        const id = render(segs, true, false);
        expect(scopeCovers(upper ? scope.toUpperCase() : scope, id)).toBe(true);
      }),
    );
  });

  it('extending the last segment of a scope never covers (property)', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), segment, (segs, extra) => {
        const id = render(segs, true, false);
        expect(scopeCovers(id + extra, id)).toBe(false);
      }),
    );
  });
});

describe('scopeKind', () => {
  it.each([
    ['/', 'root'],
    ['', 'root'],
    [MG, 'managementGroup'],
    [MG.toLowerCase() + '/', 'managementGroup'],
    [SUB, 'subscription'],
    [`${SUB}/`, 'subscription'],
    [RG, 'resourceGroup'],
    [`${SUB}/resourcegroups/rg`, 'resourceGroup'],
    [CLUSTER, 'resource'],
    ['/providers/Microsoft.Capacity', 'resource'],
    [`${SUB}/providers/Microsoft.Network/networkWatchers/nw`, 'resource'],
  ] as const)('%j is %s', (scope, kind) => {
    expect(scopeKind(scope)).toBe(kind);
  });
});

describe('isManagementGroupScope', () => {
  it('recognises management groups whatever the case', () => {
    expect(isManagementGroupScope(MG)).toBe(true);
    expect(isManagementGroupScope(MG.toUpperCase())).toBe(true);
    expect(isManagementGroupScope('/providers/Microsoft.Management/managementGroups')).toBe(false);
    expect(isManagementGroupScope(SUB)).toBe(false);
    expect(isManagementGroupScope('/')).toBe(false);
  });
});

describe('ancestorScopes', () => {
  it('lists the cluster, its resource group, its subscription and root, normalised, most specific first', () => {
    expect(ancestorScopes(CLUSTER)).toEqual([
      CLUSTER.toLowerCase(),
      RG.toLowerCase(),
      SUB.toLowerCase(),
      '/',
    ]);
  });

  it('normalises the input id (case, trailing slash)', () => {
    expect(ancestorScopes(`${CLUSTER.toUpperCase()}/`)).toEqual(ancestorScopes(CLUSTER));
  });

  it('includes parent resources of a nested resource', () => {
    const pool = `${CLUSTER}/agentPools/nodepool1`;
    expect(ancestorScopes(pool)).toEqual([
      pool.toLowerCase(),
      CLUSTER.toLowerCase(),
      RG.toLowerCase(),
      SUB.toLowerCase(),
      '/',
    ]);
  });

  it('handles extension resources (a second providers segment)', () => {
    const ext = `${CLUSTER}/providers/Microsoft.KubernetesConfiguration/extensions/flux`;
    expect(ancestorScopes(ext)).toEqual([
      ext.toLowerCase(),
      CLUSTER.toLowerCase(),
      RG.toLowerCase(),
      SUB.toLowerCase(),
      '/',
    ]);
  });

  it('handles subscription-level resources without a resource group', () => {
    const res = `${SUB}/providers/Microsoft.Security/pricings/default`;
    expect(ancestorScopes(res)).toEqual([res.toLowerCase(), SUB.toLowerCase(), '/']);
  });

  it('handles a resource group and a subscription id', () => {
    expect(ancestorScopes(RG)).toEqual([RG.toLowerCase(), SUB.toLowerCase(), '/']);
    expect(ancestorScopes(SUB)).toEqual([SUB.toLowerCase(), '/']);
  });

  it('root has only itself', () => {
    expect(ancestorScopes('/')).toEqual(['/']);
    expect(ancestorScopes('')).toEqual(['/']);
  });

  it('an unrecognised id still yields itself and root', () => {
    expect(ancestorScopes('/weird/Thing')).toEqual(['/weird/thing', '/']);
  });

  it('a management group yields itself and root (no hierarchy is guessed)', () => {
    expect(ancestorScopes(MG)).toEqual([MG.toLowerCase(), '/']);
  });

  it('every ancestor covers the id; the list is normalised, distinct and ends at root (property)', () => {
    const name = fc.stringMatching(/^[a-zA-Z0-9-]{1,6}$/);
    fc.assert(
      fc.property(
        name,
        name,
        name,
        fc.array(name, { maxLength: 2 }),
        (sub, rg, cluster, children) => {
          let id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${cluster}`;
          for (const child of children) id += `/agentPools/${child}`;
          const ancestors = ancestorScopes(id);
          for (const scope of ancestors) expect(scopeCovers(scope, id)).toBe(true);
          expect(ancestors[0]).toBe(normaliseScope(id));
          expect(ancestors[ancestors.length - 1]).toBe('/');
          expect(new Set(ancestors).size).toBe(ancestors.length);
          expect(ancestors).not.toContain(
            `/subscriptions/${sub}/resourcegroups/${rg}2`.toLowerCase(),
          );
        },
      ),
    );
  });
});
