/**
 * The HTTP functions, declared but not registered: what the local host serves (importing this
 * module never calls `app.*`). The Functions entry point (`./index`) registers this same list.
 */
import { DASHBOARD_FUNCTIONS } from './dashboard';
import { evaluateClusterFunction } from './evaluateCluster';
import {
  createExemptionFunction,
  listExemptionsFunction,
  revokeExemptionFunction,
} from './exemptions';
import { getClusterFunction } from './getCluster';
import { getClusterAccessFunction } from './getClusterAccess';
import { getClusterHistoryFunction } from './getClusterHistory';
import { healthFunction } from './health';
import type { HttpFunctionDefinition } from './registry';
import { listClustersFunction } from './listClusters';
import { listRegressionsFunction } from './listRegressions';
import { openApiFunction } from './openApi';

export const HTTP_FUNCTIONS: readonly HttpFunctionDefinition[] = [
  listClustersFunction,
  getClusterFunction,
  getClusterHistoryFunction,
  getClusterAccessFunction,
  listRegressionsFunction,
  evaluateClusterFunction,
  healthFunction,
  openApiFunction,
  listExemptionsFunction,
  createExemptionFunction,
  revokeExemptionFunction,
  ...DASHBOARD_FUNCTIONS,
];
