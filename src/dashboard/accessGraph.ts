/**
 * Layout of the access picture on the cluster page: who reaches the cluster through which role
 * at which scope, as four columns (principal → role → scope → cluster). Pure: it computes
 * positions and labels; the template draws the SVG (escaping every label).
 *
 * A role node stands for one role at one scope, so every path through the picture is a real
 * assignment (a role shared by two scopes appears once per scope).
 */
import { normaliseScope, scopeKind } from '../core/scope';
import type { ReportPrincipal } from './clusterView';

export const GRAPH_WIDTH = 1000;
const COLUMN_X = [0, 290, 570, 840] as const;
const NODE_WIDTH = [250, 240, 230, 160] as const;
const NODE_HEIGHT = 38;
const ROW = 48;
const PAD = 8;
/** Beyond this many principals the picture shows the first ones and says how many it left out (the table lists all). */
export const MAX_GRAPH_PRINCIPALS = 40;
/** Characters of a label that fit a node at the picture's font size. */
const LABEL_CHARS = [32, 30, 29, 20] as const;

export interface GraphNode {
  key: string;
  column: 0 | 1 | 2 | 3;
  x: number;
  y: number;
  width: number;
  height: number;
  /** First line, shortened to fit. */
  label: string;
  /** Second line (id, kind), shortened to fit. */
  sublabel: string;
  /** The full text (tooltip and accessible name). */
  title: string;
  kind: 'principal' | 'role' | 'scope' | 'cluster';
  /** Marks drawn on the node (principal: deleted; role: eligible / condition). */
  marks: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  /** SVG path data (numbers only). */
  d: string;
  /** Eligible (PIM) assignments are drawn dashed: a path that needs activation first. */
  dashed: boolean;
}

export interface AccessGraph {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Principals left out of the picture (MAX_GRAPH_PRINCIPALS). */
  omittedPrincipals: number;
}

/** Shortens to `max` characters with an ellipsis; whole code points only. */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function lastSegment(id: string): string {
  const parts = id.split('/').filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? id;
}

/** A scope in words: its kind and its own name (`resource group rg-prod`). */
export function describeScope(scope: string, clusterId: string): { label: string; kind: string } {
  if (normaliseScope(scope) === normaliseScope(clusterId))
    return { label: 'this cluster', kind: 'cluster' };
  switch (scopeKind(scope)) {
    case 'root':
      return { label: '/', kind: 'root (every subscription)' };
    case 'managementGroup':
      return { label: lastSegment(scope), kind: 'management group' };
    case 'subscription':
      return { label: lastSegment(scope), kind: 'subscription' };
    case 'resourceGroup':
      return { label: lastSegment(scope), kind: 'resource group' };
    default:
      return { label: lastSegment(scope), kind: 'resource' };
  }
}

export function principalLabel(p: Pick<ReportPrincipal, 'displayName' | 'principalId'>): string {
  return p.displayName && p.displayName.trim() ? p.displayName : 'name unknown';
}

function roleMarks(grant: ReportPrincipal): string[] {
  const marks: string[] = [];
  if (grant.eligible === true) marks.push('eligible');
  if (grant.condition === 'constrained') marks.push('condition');
  if (grant.condition === 'not-evaluated') marks.push('condition not evaluated');
  return marks;
}

function edgePath(from: GraphNode, to: GraphNode): string {
  const x1 = from.x + from.width;
  const y1 = from.y + from.height / 2;
  const x2 = to.x;
  const y2 = to.y + to.height / 2;
  const mid = (x1 + x2) / 2;
  return `M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}`;
}

/** The picture for the grants of one cluster; an empty picture (only the cluster) when nobody holds a capability. */
export function layoutAccessGraph(
  grants: readonly ReportPrincipal[],
  cluster: { id: string; name: string },
): AccessGraph {
  const principalOrder: string[] = [];
  const principals = new Map<string, ReportPrincipal>();
  for (const grant of grants) {
    const key = grant.principalId.toLowerCase();
    if (!principals.has(key)) {
      principals.set(key, grant);
      principalOrder.push(key);
    }
  }
  principalOrder.sort(
    (a, b) =>
      principalLabel(principals.get(a)!).localeCompare(principalLabel(principals.get(b)!)) ||
      a.localeCompare(b),
  );
  const shown = new Set(principalOrder.slice(0, MAX_GRAPH_PRINCIPALS));
  const kept = grants.filter((g) => shown.has(g.principalId.toLowerCase()));

  const columns: Array<Array<Omit<GraphNode, 'x' | 'y' | 'width' | 'height'>>> = [[], [], [], []];
  const seen = new Set<string>();
  const add = (node: Omit<GraphNode, 'x' | 'y' | 'width' | 'height'>) => {
    if (seen.has(node.key)) return;
    seen.add(node.key);
    columns[node.column].push(node);
  };
  const edges: Array<{ from: string; to: string; dashed: boolean }> = [];
  const edgeKeys = new Set<string>();
  const link = (from: string, to: string, dashed: boolean) => {
    const key = `${from}>${to}`;
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push({ from, to, dashed });
  };

  for (const key of principalOrder.filter((k) => shown.has(k))) {
    const p = principals.get(key)!;
    const name = principalLabel(p);
    add({
      key: `p:${key}`,
      column: 0,
      kind: 'principal',
      label: shorten(name, LABEL_CHARS[0]),
      sublabel: shorten(
        `${p.deleted === true ? 'deleted · ' : ''}${p.principalType || 'Principal'} · ${p.principalId}`,
        LABEL_CHARS[0] + 6,
      ),
      title: `${name} — ${p.principalType || 'Principal'} ${p.principalId}${p.userPrincipalName ? ` (${p.userPrincipalName})` : ''}`,
      marks: p.deleted === true ? ['deleted'] : [],
    });
  }
  const scopeNodes = new Map<string, string>();
  for (const grant of [...kept].sort(
    (a, b) => a.roleName.localeCompare(b.roleName) || a.scope.localeCompare(b.scope),
  )) {
    const scopeKey = `s:${normaliseScope(grant.scope)}`;
    const roleKey = `r:${(grant.roleDefinitionId || grant.roleName).toLowerCase()}@${normaliseScope(grant.scope)}`;
    const scope = describeScope(grant.scope, cluster.id);
    const roleName = grant.roleName || grant.roleDefinitionId || 'unnamed role';
    add({
      key: roleKey,
      column: 1,
      kind: 'role',
      label: shorten(roleName, LABEL_CHARS[1]),
      sublabel: shorten(
        [...roleMarks(grant), `at ${scope.kind} ${scope.label}`].join(' · '),
        LABEL_CHARS[1] + 6,
      ),
      title: `${roleName} at ${grant.scope}`,
      marks: roleMarks(grant),
    });
    if (!scopeNodes.has(scopeKey)) {
      scopeNodes.set(scopeKey, scopeKey);
      add({
        key: scopeKey,
        column: 2,
        kind: 'scope',
        label: shorten(scope.label, LABEL_CHARS[2]),
        sublabel: scope.kind,
        title: `${scope.kind}: ${grant.scope}`,
        marks: [],
      });
    }
    link(`p:${grant.principalId.toLowerCase()}`, roleKey, grant.eligible === true);
    link(roleKey, scopeKey, grant.eligible === true);
    link(scopeKey, 'c:cluster', false);
  }
  add({
    key: 'c:cluster',
    column: 3,
    kind: 'cluster',
    label: shorten(cluster.name, LABEL_CHARS[3]),
    sublabel: 'cluster',
    title: cluster.id,
    marks: [],
  });

  const rows = Math.max(...columns.map((c) => c.length), 1);
  const height = rows * ROW + 2 * PAD;
  const placed = new Map<string, GraphNode>();
  columns.forEach((column, index) => {
    const top = (height - column.length * ROW) / 2;
    column.forEach((node, row) => {
      placed.set(node.key, {
        ...node,
        x: COLUMN_X[index],
        y: Math.round(top + row * ROW + (ROW - NODE_HEIGHT) / 2),
        width: NODE_WIDTH[index],
        height: NODE_HEIGHT,
      });
    });
  });
  return {
    width: GRAPH_WIDTH,
    height,
    nodes: [...placed.values()],
    edges: edges.map((e) => ({ ...e, d: edgePath(placed.get(e.from)!, placed.get(e.to)!) })),
    omittedPrincipals: principalOrder.length - shown.size,
  };
}
