/**
 * Every function the app entry point registers, sorted: one list for the tests that check the
 * registrations through the host module (hostMetadata) and through @azure/functions' test mode
 * (e2e/cli), so adding a function means adding it here once.
 */
export const REGISTERED_FUNCTIONS = [
  'armEvents',
  'auditSubscription',
  'auditSubscriptionPoison',
  'createExemption',
  'dashboard',
  'dashboardAsset',
  'dashboardCluster',
  'dashboardExemptions',
  'dashboardRegressions',
  'deliverAlerts',
  'evaluateCluster',
  'getCluster',
  'getClusterAccess',
  'getClusterHistory',
  'health',
  'listClusters',
  'listExemptions',
  'listRegressions',
  'nightlyAudit',
  'openApi',
  'revokeExemption',
] as const;
