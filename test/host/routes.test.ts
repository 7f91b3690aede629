/**
 * Route matching of the local host: Functions route templates, case-insensitive literals,
 * percent-decoded parameters, and the path taken exactly as sent.
 */
import { compileRoute, matchRoute, requestPath } from '../../src/host/routes';

const routes = [
  compileRoute('clusters', 'list'),
  compileRoute('clusters/{subscriptionId}/{resourceGroup}/{clusterName}', 'get'),
  compileRoute('clusters/{subscriptionId}/{resourceGroup}/{clusterName}/history', 'history'),
  compileRoute('regressions', 'regressions'),
];

describe('matchRoute', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    expect(matchRoute(routes, 'clusters')).toEqual({ target: 'list', params: {} });
    expect(matchRoute(routes, 'CLUSTERS/')).toEqual({ target: 'list', params: {} });
    expect(matchRoute(routes, 'clusters/s/rg%20(x)/n')).toEqual({
      target: 'get',
      params: { subscriptionId: 's', resourceGroup: 'rg (x)', clusterName: 'n' },
    });
    expect(matchRoute(routes, 'Clusters/s/r/n/History')).toEqual({
      target: 'history',
      params: { subscriptionId: 's', resourceGroup: 'r', clusterName: 'n' },
    });
    expect(matchRoute(routes, '%63lusters')).toEqual({ target: 'list', params: {} });
  });

  it('keeps an encoded slash inside its parameter', () => {
    expect(matchRoute(routes, 'clusters/s/r/a%2Fb')).toEqual({
      target: 'get',
      params: { subscriptionId: 's', resourceGroup: 'r', clusterName: 'a/b' },
    });
  });

  it('does not resolve dot segments or collapse empty ones', () => {
    expect(matchRoute(routes, 'clusters/s/r/n/../history')).toBeUndefined();
    expect(matchRoute(routes, 'clusters/s/r/..')).toEqual({
      target: 'get',
      params: { subscriptionId: 's', resourceGroup: 'r', clusterName: '..' },
    });
    expect(matchRoute(routes, 'clusters/s//r/n')).toBeUndefined();
    expect(matchRoute(routes, 'clusters/s/r//history')).toEqual({
      target: 'history',
      params: { subscriptionId: 's', resourceGroup: 'r', clusterName: '' },
    });
  });

  it('reports bad percent-encoding, and no match for unknown paths', () => {
    expect(matchRoute(routes, 'clusters/s/r/%E0%A4%A')).toBe('bad-encoding');
    expect(matchRoute(routes, 'clusters/s/r')).toBeUndefined();
    expect(matchRoute(routes, 'nothing')).toBeUndefined();
    expect(matchRoute(routes, '')).toBeUndefined();
  });
});

describe('requestPath', () => {
  it.each([
    ['/api/clusters?status=pass', '/api/clusters'],
    ['/api/clusters/s/r/%2e%2e/access', '/api/clusters/s/r/%2e%2e/access'],
    ['/api/clusters/s/r/x/../n', '/api/clusters/s/r/x/../n'],
    ['http://localhost:7071/api/health?x=1', '/api/health'],
    ['http://localhost:7071', '/'],
    ['/', '/'],
    ['/api/regressions#frag', '/api/regressions'],
  ])('%s → %s', (target, path) => {
    expect(requestPath(target)).toBe(path);
  });
});
