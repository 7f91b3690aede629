/**
 * Matching of Functions route templates (`clusters/{subscriptionId}/{resourceGroup}/{clusterName}`)
 * for the local host, so it serves the same URLs as Azure. Literal segments compare
 * case-insensitively, as the Functions host does; parameters are percent-decoded.
 */
export interface RouteMatch<T> {
  target: T;
  params: Record<string, string>;
}

export interface CompiledRoute<T> {
  segments: Array<{ literal: string } | { param: string }>;
  target: T;
}

export function compileRoute<T>(template: string, target: T): CompiledRoute<T> {
  const segments = template
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      const param = /^\{([A-Za-z][A-Za-z0-9]*)\}$/.exec(s);
      return param ? { param: param[1] } : { literal: s.toLowerCase() };
    });
  return { segments, target };
}

/** `path` is the part after `/api/`, without the query string. */
export function matchRoute<T>(routes: CompiledRoute<T>[], path: string): RouteMatch<T> | 'bad-encoding' | undefined {
  const parts = path.split('/').filter((s) => s.length > 0);
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < parts.length && matched; i++) {
      const segment = route.segments[i];
      if ('literal' in segment) {
        matched = parts[i].toLowerCase() === segment.literal;
      } else {
        try {
          params[segment.param] = decodeURIComponent(parts[i]);
        } catch {
          return 'bad-encoding';
        }
      }
    }
    if (matched) return { target: route.target, params };
  }
  return undefined;
}
