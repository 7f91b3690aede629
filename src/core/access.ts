/**
 * The access graph (ARCHITECTURE.md step 2, CHECKS.md "Access"): which role assignments cover a
 * cluster, what their roles effectively allow, and which privileged capabilities each principal
 * holds through which role and scope. Pure.
 *
 * TYPES ARE FIXED (the checks code against them); the implementation is being written.
 */
import type { Capability, Cluster, PrincipalAccess, RoleAssignment, RoleDefinition } from './model';

/** One role assignment, with its role definition resolved (or not) and what it grants. */
export interface ResolvedAssignment {
  assignment: RoleAssignment;
  /** undefined when the role definition could not be resolved (neither built-in nor exported). */
  role: RoleDefinition | undefined;
  /** Privileged capabilities this assignment grants over the cluster it is evaluated for. */
  capabilities: Capability[];
}

/** Everything the access checks need about one cluster. */
export interface ClusterAccess {
  clusterId: string;
  /** Set when the role assignments covering this cluster could not be read: access checks are `error`. */
  unavailable?: string;
  /** Assignments whose scope covers the cluster (cluster, RG, subscription, management group, `/`). */
  assignments: ResolvedAssignment[];
  /** One entry per (assignment granting ≥ 1 capability), with role name, scope and capabilities. */
  privileged: PrincipalAccess[];
  /** Assignments over the cluster whose role definition could not be resolved. */
  unresolved: RoleAssignment[];
}

/** Built once per estate; each cluster's lookups touch only its own ancestor scopes. */
export interface AccessIndex {
  forCluster(cluster: Cluster): ClusterAccess;
  /** Every assignment of a principal at any scope (kubelet / control-plane identity checks). */
  assignmentsOfPrincipal(principalId: string): ResolvedAssignment[];
  /** Role definition by guid (built-ins merged with the estate's custom roles). */
  roleByGuid(guid: string): RoleDefinition | undefined;
}
