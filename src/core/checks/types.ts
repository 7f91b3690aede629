/**
 * The shape every check module declares (docs/architecture.md "Checks"): metadata a person reads
 * (title, rationale, remediation, references) and a pure `evaluate`. Check ids are a public
 * contract (docs/access.md): never rename one.
 */
import type { AccessIndex, ClusterAccess } from '../access';
import type { Cluster, Estate, FindingStatus, PrincipalAccess, Severity } from '../model';

export type CheckCategory = 'configuration' | 'access';

/** What a check sees of one cluster: its configuration and who can do what over it. */
export interface CheckInput {
  cluster: Cluster;
  access: ClusterAccess;
  index: AccessIndex;
  /**
   * The estate the cluster was read with (its other clusters, federated credentials, directory,
   * failures), for the checks that look beyond one cluster's access. Absent when a cluster is
   * evaluated on its own: such checks then say what they could not see.
   */
  estate?: Readonly<Estate>;
  /** Principals approved to hold cluster-admin paths (`AUDIT_APPROVED_ADMINS`), lower-cased object ids. */
  approvedAdmins?: ReadonlySet<string>;
  /**
   * Per check id, the principals (lower-cased object ids) that an active exemption covering this
   * cluster names for that check: `cluster-admin-paths` counts them as approved.
   */
  exemptedPrincipals?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface CheckOutcome {
  status: FindingStatus;
  /** One or two sentences a person acts on: what was found, naming the offending values. */
  detail: string;
  /** Access checks: every principal holding a capability the check looks at, pass or fail. */
  principals?: PrincipalAccess[];
  /** Role assignments whose removal would fix the finding (fills the remediation command). */
  assignmentIds?: string[];
}

/** What the evaluation knows beyond the cluster when it renders a remediation command. */
export interface RemediationContext {
  /** Role assignments to remove, from the outcome; a placeholder is used when absent. */
  assignmentIds?: string[];
}

/** The fix as people apply it in their own tooling (the `az` form is `remediation`). */
export interface InfrastructureAsCodeFix {
  /** The property of `Microsoft.ContainerService/managedClusters` in Bicep. */
  readonly bicep?: string;
  /** The argument of Terraform's `azurerm_kubernetes_cluster`. */
  readonly terraform?: string;
}

export interface CheckDefinition {
  /** Public contract: CLI JSON, HTTP API, stored findings and alert dedupe keys use it. */
  readonly id: string;
  readonly title: string;
  /** The severity of a failure. */
  readonly severity: Severity;
  readonly category: CheckCategory;
  readonly rationale: string;
  /** A runnable `az` command with the cluster's resource group and name filled in. */
  remediation(cluster: Cluster, context?: RemediationContext): string;
  /** learn.microsoft.com pages explaining the setting and the fix. */
  readonly references: readonly string[];
  /** When the check fails, in one sentence (the generated reference, docs/checks.md, shows it). */
  readonly failsWhen: string;
  /** The same fix in infrastructure as code, where it is a property of the cluster resource. */
  readonly infrastructureAsCode?: InfrastructureAsCodeFix;
  evaluate(input: CheckInput): CheckOutcome;
}
