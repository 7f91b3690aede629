/**
 * The Functions app entry point (`main` in package.json): importing a function file registers
 * it with the host. The local host imports the same list to serve the same handlers.
 */
import type { HttpFunctionDefinition } from './http';
import { evaluateClusterFunction } from './evaluateCluster';
import { getClusterFunction } from './getCluster';
import { getClusterAccessFunction } from './getClusterAccess';
import { getClusterHistoryFunction } from './getClusterHistory';
import { healthFunction } from './health';
import { listClustersFunction } from './listClusters';
import { listRegressionsFunction } from './listRegressions';
import './armEvents';
import './auditSubscription';
import './auditSubscriptionPoison';
import './nightlyAudit';

export const HTTP_FUNCTIONS: readonly HttpFunctionDefinition[] = [
  listClustersFunction,
  getClusterFunction,
  getClusterHistoryFunction,
  getClusterAccessFunction,
  listRegressionsFunction,
  evaluateClusterFunction,
  healthFunction,
];
