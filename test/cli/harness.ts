/** Runs `main()` in-process with captured streams, a fixed clock and injectable sources. */
import type { AuditCommandDeps, SourceFactory } from '../../src/cli/commands/audit';
import { main } from '../../src/cli/main';
import type { Cluster, Estate } from '../../src/core/model';
import type { EstateSource } from '../../src/core/ports';
import { Readable } from 'node:stream';

export class Capture {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((line) => line.length > 0);
  }
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
  auditDeps?: Partial<AuditCommandDeps>;
}

export interface RunResult {
  code: number;
  stdout: Capture;
  stderr: Capture;
}

export const NOW = new Date('2026-11-22T02:00:00.000Z');

export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout = new Capture(options.stdoutTTY ?? false, options.stdoutTTY ? 120 : undefined);
  const stderr = new Capture(options.stderrTTY ?? false);
  const code = await main(argv, {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    clock: { now: () => NOW },
    auditDeps: options.auditDeps,
  });
  return { code, stdout, stderr };
}

export const SUB = '6f1c3a52-0b7e-4d0a-9f1e-2c4b5a6d7e8f';

export function cluster(name: string, overrides: Partial<Cluster> = {}): Cluster {
  return {
    id: `/subscriptions/${SUB}/resourceGroups/rg-${name}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    name,
    subscriptionId: SUB,
    resourceGroup: `rg-${name}`,
    location: 'westeurope',
    aadProfile: {
      managed: true,
      enableAzureRbac: true,
      adminGroupObjectIds: ['0a0a0a0a-0000-0000-0000-000000000001'],
    },
    disableLocalAccounts: true,
    enableRbac: true,
    identity: {
      type: 'UserAssigned',
      userAssignedIdentities: [
        {
          resourceId:
            '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id',
          principalId: '0b0b0b0b-0000-0000-0000-000000000002',
        },
      ],
    },
    kubeletIdentity: { objectId: '0c0c0c0c-0000-0000-0000-000000000003' },
    oidcIssuerEnabled: true,
    oidcIssuerUrl: `https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/${name}/`,
    workloadIdentityEnabled: true,
    podIdentityEnabled: false,
    apiServerAccess: { enablePrivateCluster: true, disableRunCommand: true },
    defenderSecurityMonitoringEnabled: true,
    addons: { azurepolicy: { enabled: true, config: {} } },
    ...overrides,
  };
}

/** A hardened cluster and one with local accounts on (high) and no Defender (low). */
export function fakeEstate(
  clusters: Cluster[] = [
    cluster('aks-good'),
    cluster('aks-weak', { disableLocalAccounts: false, defenderSecurityMonitoringEnabled: false }),
  ],
): Estate {
  // Everything read (no federated credential exists): a finding is `error` only when a test makes it so.
  return {
    source: 'snapshot',
    clusters,
    roleAssignments: [],
    roleDefinitions: [],
    failures: [],
    federatedCredentials: [],
  };
}

export function memorySource(estate: Estate): EstateSource {
  return {
    kind: estate.source,
    watchedSubscriptions: async () => [SUB],
    readEstate: async () => structuredClone(estate),
    health: async () => ({ ok: true, detail: 'memory' }),
  };
}

/** Sources that record what they were asked for and serve `estate`. */
export function recordingSources(
  estate: Estate = fakeEstate(),
): SourceFactory & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    snapshot: (dir) => {
      calls.push(`snapshot:${dir}`);
      return memorySource(estate);
    },
    azure: ({ subscriptionIds }) => {
      calls.push(`azure:${subscriptionIds.join(',')}`);
      return memorySource({ ...estate, source: 'azure' });
    },
  };
}

export const ANSI = /\u001b\[[0-9;]*m/;
