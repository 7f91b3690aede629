/**
 * `npm run bench:directory`: the live read of the directory and of workload identity federation
 * at scale, against the local HTTPS fakes of ARM and Microsoft Graph (the real SDK clients and
 * Graph pipeline) with the `directory` table in an in-memory Azurite:
 *
 *   20 subscriptions with one OIDC-issuer cluster each; 2,000 user-assigned managed identities
 *   (100 per subscription) with 4,000 federated credentials (2 each) trusting those issuers, half
 *   of the identities holding Contributor on their cluster's resource group; 500 groups holding
 *   Azure Kubernetes Service Cluster Admin on a cluster, of 1 to 200 users each (10,000 users).
 *
 * Three reads, each timed with its request counts:
 *   1. cold: empty cache, a new source (first run of a process);
 *   2. warm: the same source again within the TTL (the next event or subscription of the night);
 *   3. new process within the TTL: a new source over the same table (identities' credentials are
 *      cached per process, Graph's answers in the table).
 * Targets (issue): Graph calls ≤ ⌈principals/1,000⌉ getByIds batches + one member listing per
 * privileged group when cold, none of those within the TTL; identity credential reads
 * O(identities) when cold and O(changed) = 0 when warm. Not part of `npm test`.
 */
import { DirectoryTable } from '../src/adapters/directoryTable';
import { startEmbeddedAzurite } from '../src/adapters/embeddedAzurite';
import { liveEstateSource } from '../src/composition';
import { BUILTIN_ROLE_GUIDS } from '../src/core/builtinRoles';
import { evaluateEstate } from '../src/core/evaluate';
import { startArmFake, type ArmFake } from '../test/fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from '../test/fakes/credential';
import { startGraphFake, type GraphFake } from '../test/fakes/graph';

const SUBSCRIPTIONS = 20;
const IDENTITIES = 2000;
const CREDENTIALS_PER_IDENTITY = 2;
const GROUPS = 500;
const MAX_MEMBERS = 200;
const USERS = 10_000;

function guid(kind: number, n: number): string {
  return `00000000-0000-4000-${(0xa000 + kind).toString(16)}-${n.toString(16).padStart(12, '0')}`;
}

function populate(arm: ArmFake, graph: GraphFake): { principals: number } {
  const subscriptions = Array.from({ length: SUBSCRIPTIONS }, (_, i) => guid(1, i));
  const issuers: string[] = [];
  const clusterIds: string[] = [];
  for (const sub of subscriptions) {
    arm.addSubscription(sub);
    const cluster = arm.addCluster({ subscriptionId: sub, resourceGroup: 'rg-aks', name: 'aks' });
    issuers.push(String(cluster.properties.oidcIssuerProfile.issuerURL));
    clusterIds.push(String(cluster.id));
  }
  for (let i = 0; i < USERS; i++)
    graph.state.users.push({
      id: guid(2, i),
      displayName: `User ${i}`,
      userPrincipalName: `user${i}@contoso.example`,
      userType: i % 10 === 0 ? 'Guest' : 'Member',
      accountEnabled: i % 17 !== 0,
    });
  for (let i = 0; i < IDENTITIES; i++) {
    const s = i % SUBSCRIPTIONS;
    const identity = arm.addIdentity({
      subscriptionId: subscriptions[s],
      resourceGroup: 'rg-identities',
      name: `id-${i}`,
    });
    const principalId = String(identity.properties.principalId);
    graph.state.servicePrincipals.push({
      id: principalId,
      displayName: `id-${i}`,
      servicePrincipalType: 'ManagedIdentity',
    });
    for (let c = 0; c < CREDENTIALS_PER_IDENTITY; c++)
      arm.addFederatedCredential({
        identityId: String(identity.id),
        name: `fc-${c}`,
        issuer: issuers[s],
        subject: `system:serviceaccount:ns-${i % 50}:sa-${c}`,
      });
    if (i % 2 === 0)
      arm.addRoleAssignment({
        scope: `/subscriptions/${subscriptions[s]}/resourceGroups/rg-aks`,
        principalId,
        principalType: 'ServicePrincipal',
        roleDefinitionId: BUILTIN_ROLE_GUIDS.contributor,
      });
  }
  for (let g = 0; g < GROUPS; g++) {
    const size = (g % MAX_MEMBERS) + 1;
    graph.state.groups.push({
      id: guid(3, g),
      displayName: `grp-${g}`,
      members: Array.from({ length: size }, (_, m) => guid(2, (g * 37 + m) % USERS)),
    });
    arm.addRoleAssignment({
      scope: clusterIds[g % SUBSCRIPTIONS],
      principalId: guid(3, g),
      principalType: 'Group',
      roleDefinitionId: BUILTIN_ROLE_GUIDS.aksClusterAdminRole,
    });
  }
  return { principals: IDENTITIES / 2 + GROUPS };
}

interface Measure {
  label: string;
  ms: number;
  arm: Record<string, number>;
  graph: Record<string, number>;
  failures: number;
  failing: number;
}

async function measure(
  label: string,
  source: ReturnType<typeof liveEstateSource>,
  arm: ArmFake,
  graph: GraphFake,
): Promise<Measure> {
  arm.requests.reset();
  graph.requests.splice(0);
  const start = process.hrtime.bigint();
  const estate = await source.readEstate();
  const postures = evaluateEstate(estate, { now: new Date() });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return {
    label,
    ms,
    arm: {
      identities: arm.requests.count('identities.listBySubscription'),
      credentials: arm.requests.count('federatedCredentials.list'),
      total: arm.requests.total(),
    },
    graph: {
      getByIds: graph.count('getByIds'),
      transitiveMembers: graph.count('transitiveMembers'),
      applications: graph.count('applications'),
      total: graph.requests.length,
    },
    failures: estate.failures.length,
    failing: postures.filter((p) => p.status === 'fail').length,
  };
}

async function main(): Promise<void> {
  const [arm, graph, azurite] = await Promise.all([
    startArmFake({ expectedToken: STATIC_TEST_TOKEN }),
    startGraphFake(),
    startEmbeddedAzurite({ inMemory: true }),
  ]);
  try {
    graph.pageSize = 999;
    const { principals } = populate(arm, graph);
    const cache = await DirectoryTable.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
    });
    const subscriptionIds = arm.state.subscriptions.map((s) => s.subscriptionId);
    const newSource = () =>
      liveEstateSource(
        { subscriptionIds, sourceMode: 'arm', directory: 'graph', directoryCacheMinutes: 60 },
        {
          credential: staticTestCredential(),
          armEndpoint: arm.endpoint,
          graphEndpoint: graph.endpoint,
          agent: arm.agent,
          directoryCache: cache,
          log: (line) => console.log(`  log: ${line}`),
        },
      );
    console.log(
      `${SUBSCRIPTIONS} subscriptions, ${IDENTITIES.toLocaleString('en')} managed identities with ${(IDENTITIES * CREDENTIALS_PER_IDENTITY).toLocaleString('en')} federated credentials, ` +
        `${GROUPS} privileged groups of 1–${MAX_MEMBERS} users (${USERS.toLocaleString('en')} users); ` +
        `principals named by assignments and admin groups: about ${principals.toLocaleString('en')}`,
    );
    const source = newSource();
    const results = [
      await measure('cold (empty cache, new process)', source, arm, graph),
      await measure('warm (same process, within the TTL)', source, arm, graph),
      await measure('new process within the TTL (cache in the table)', newSource(), arm, graph),
    ];
    for (const r of results) {
      console.log(
        `${r.label}: ${(r.ms / 1000).toFixed(2)} s (read + evaluate); ` +
          `ARM ${r.arm.total} requests (${r.arm.identities} identity listings, ${r.arm.credentials} credential listings); ` +
          `Graph ${r.graph.total} requests (${r.graph.getByIds} getByIds, ${r.graph.transitiveMembers} member listings, ${r.graph.applications} app-registration queries); ` +
          `${r.failing} clusters failing, ${r.failures} read failures`,
      );
    }
    const [cold, warm, next] = results;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const batches = Math.ceil(principals / 1000) + 1;
    console.log(
      `targets: cold Graph ≤ ${batches} getByIds + ${GROUPS} member listings: ${verdict(cold.graph.getByIds <= batches && cold.graph.transitiveMembers <= GROUPS)}; ` +
        `within the TTL no getByIds or member listing: ${verdict(warm.graph.getByIds + warm.graph.transitiveMembers + next.graph.getByIds + next.graph.transitiveMembers === 0)}; ` +
        `credential listings cold = ${IDENTITIES}: ${verdict(cold.arm.credentials === IDENTITIES)}, warm = 0: ${verdict(warm.arm.credentials === 0)}`,
    );
  } finally {
    await Promise.all([arm.stop(), graph.stop(), azurite.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
