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

/**
 * `path` is the part after `/api/`, as sent (not dot-segment resolved), without the query
 * string. Every segment is percent-decoded before matching; a leading or trailing `/` is
 * tolerated, an empty segment inside the path is not collapsed (it matches no literal, and as
 * a parameter it reaches the handler's validation as an empty value).
 */
export function matchRoute<T>(
  routes: CompiledRoute<T>[],
  path: string,
): RouteMatch<T> | 'bad-encoding' | undefined {
  const raw = path.split('/');
  if (raw[0] === '') raw.shift();
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const parts: string[] = [];
  for (const part of raw) {
    try {
      parts.push(decodeURIComponent(part));
    } catch {
      return 'bad-encoding';
    }
  }
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < parts.length && matched; i++) {
      const segment = route.segments[i];
      if ('literal' in segment) matched = parts[i].toLowerCase() === segment.literal;
      else params[segment.param] = parts[i];
    }
    if (matched) return { target: route.target, params };
  }
  return undefined;
}

/**
 * The path of a request target exactly as sent, without the query string: origin form
 * (`/api/…`) or absolute form (`http://host/api/…`, scheme and authority dropped). Unlike
 * `new URL(…).pathname` it does not resolve `.` / `..` segments, so what a client sends is what
 * the route parameters (and their validation) see.
 */
export function requestPath(target: string): string {
  const rest = target.startsWith('/')
    ? target
    : target.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '');
  const end = rest.search(/[?#]/);
  const path = end === -1 ? rest : rest.slice(0, end);
  return path.startsWith('/') ? path : `/${path}`;
}
