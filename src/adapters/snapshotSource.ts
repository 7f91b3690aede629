/**
 * The estate read from `az` CLI (or ARM REST / SDK) exports in a folder: docs/contracts.md
 * "Snapshot input". The folder is read again on every `readEstate`, so a user (or the README's
 * regression walk-through) can edit the exports between two audits and see the difference.
 *
 * Broken exports are the user's to fix: every problem is an InputError whose one line names the
 * file (and entry) and what is wrong with it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, InputError } from '../core/errors';
import { normaliseFederatedCredential } from '../core/federation';
import type { Cluster, Estate } from '../core/model';
import {
  normaliseCluster,
  normaliseRoleAssignment,
  normaliseRoleDefinition,
} from '../core/normalise';
import { normaliseDenyAssignment, normaliseEligibility } from '../core/normaliseGrants';
import type { EstateFilter, EstateSource, Health } from '../core/ports';
import { applyDirectory, normaliseDirectoryPrincipal } from '../core/principals';

export const SNAPSHOT_FILES = {
  clusters: { name: 'clusters.json', madeWith: 'az aks list -o json', what: 'managed clusters' },
  roleAssignments: {
    name: 'role-assignments.json',
    madeWith: 'az role assignment list --all --include-inherited -o json',
    what: 'role assignments',
  },
  roleDefinitions: {
    name: 'role-definitions.json',
    madeWith: 'az role definition list --custom-role-only true -o json',
    what: 'role definitions',
  },
  principals: {
    name: 'principals.json',
    madeWith:
      'az ad user show / az ad group show / az ad sp show --id <id>, one object per principal, as a JSON array',
    what: 'directory objects (users, groups, service principals)',
  },
  roleEligibility: {
    name: 'role-eligibility.json',
    madeWith:
      "az rest --url 'https://management.azure.com/subscriptions/<id>/providers/Microsoft.Authorization/roleEligibilityScheduleInstances?api-version=2020-10-01'",
    what: 'role eligibility schedule instances',
  },
  denyAssignments: {
    name: 'deny-assignments.json',
    madeWith:
      "az rest --url 'https://management.azure.com/subscriptions/<id>/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01'",
    what: 'deny assignments',
  },
  federatedCredentials: {
    name: 'federated-credentials.json',
    madeWith:
      "az identity federated-credential list per identity, each entry with the identity's principalId (see the README)",
    what: 'federated identity credentials',
  },
} as const;

type SnapshotFile = (typeof SNAPSHOT_FILES)[keyof typeof SNAPSHOT_FILES];

export class SnapshotSource implements EstateSource {
  readonly kind = 'snapshot' as const;

  constructor(readonly dir: string) {}

  async watchedSubscriptions(): Promise<string[]> {
    const estate = await readSnapshot(this.dir);
    return [...new Set(estate.clusters.map((c) => c.subscriptionId.toLowerCase()))].sort();
  }

  /**
   * Clusters are filtered by subscription; role assignments are all kept, because an assignment
   * listed anywhere (a management group, `/`) may cover a cluster of the filtered subscriptions
   * and the access graph is what decides coverage.
   */
  async readEstate(filter: EstateFilter = {}): Promise<Estate> {
    const estate = await readSnapshot(this.dir);
    if (filter.subscriptionIds === undefined) return estate;
    const wanted = new Set(filter.subscriptionIds.map((s) => s.trim().toLowerCase()));
    return {
      ...estate,
      clusters: estate.clusters.filter((c) => wanted.has(c.subscriptionId.toLowerCase())),
    };
  }

  /**
   * Reads and validates the exports as an audit would: a truncated, unreadable or missing
   * export is not ok (an audit of it would fail), whatever the directory listing says.
   */
  async health(): Promise<Health> {
    try {
      const estate = await readSnapshot(this.dir);
      return {
        ok: true,
        detail: `snapshot directory ${this.dir}: ${estate.clusters.length} cluster(s), ${estate.roleAssignments.length} role assignment(s)`,
      };
    } catch (error) {
      return {
        ok: false,
        detail: `snapshot directory ${this.dir} cannot be audited: ${reason(error)}`,
      };
    }
  }
}

/** Reads and normalises the exports in `dir`. Throws InputError naming the file for any problem. */
export async function readSnapshot(dir: string): Promise<Estate> {
  // Read together, reported in file order: the first broken file named is always the same one.
  const reads = await Promise.allSettled([
    readArray(dir, SNAPSHOT_FILES.clusters, true),
    readArray(dir, SNAPSHOT_FILES.roleAssignments, true),
    readArray(dir, SNAPSHOT_FILES.roleDefinitions, false),
    readArray(dir, SNAPSHOT_FILES.principals, false),
    readArray(dir, SNAPSHOT_FILES.roleEligibility, false),
    readArray(dir, SNAPSHOT_FILES.denyAssignments, false),
    readArray(dir, SNAPSHOT_FILES.federatedCredentials, false),
  ]);
  const [
    rawClusters,
    rawAssignments,
    rawDefinitions,
    rawPrincipals,
    rawEligibility,
    rawDenies,
    rawCredentials,
  ] = reads.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });

  const clusters: Cluster[] = [];
  const clusterIndex = new Map<string, number>();
  const clustersPath = join(dir, SNAPSHOT_FILES.clusters.name);
  rawClusters!.forEach((raw, i) => {
    const cluster = normaliseCluster(raw, `${clustersPath}[${i}]`);
    // Two entries for one cluster (two exports concatenated) would give two postures for one id.
    const key = cluster.id.trim().toLowerCase();
    const first = clusterIndex.get(key);
    if (first !== undefined)
      throw new InputError(`${clustersPath}[${i}]: duplicate cluster id, already at [${first}]`);
    clusterIndex.set(key, i);
    clusters.push(cluster);
  });

  const assignmentsPath = join(dir, SNAPSHOT_FILES.roleAssignments.name);
  // A snapshot does not say which subscription's listing returned an assignment, so
  // `listedInSubscriptionId` stays unknown (model.ts explains what the access graph does then).
  const roleAssignments = dedupeById(
    rawAssignments!.map((raw, i) => normaliseRoleAssignment(raw, `${assignmentsPath}[${i}]`)),
  );
  // PIM eligibilities count like assignments for "who can", marked `eligible`.
  const eligibilityPath = join(dir, SNAPSHOT_FILES.roleEligibility.name);
  roleAssignments.push(
    ...dedupeById(
      (rawEligibility ?? []).map((raw, i) => normaliseEligibility(raw, `${eligibilityPath}[${i}]`)),
    ),
  );

  const definitionsPath = join(dir, SNAPSHOT_FILES.roleDefinitions.name);
  const roleDefinitions = dedupeById(
    (rawDefinitions ?? []).map((raw, i) =>
      normaliseRoleDefinition(raw, `${definitionsPath}[${i}]`),
    ),
  );

  const estate: Estate = {
    source: 'snapshot',
    clusters,
    roleAssignments,
    roleDefinitions,
    failures: [],
  };
  // Every cluster has at least its own RBAC and admin grants somewhere up its scopes: an empty
  // export next to clusters is a failed or truncated export, "not known", never "nobody" (its
  // access checks become `error`, which neither pages nor forgets who held access).
  if (rawAssignments!.length === 0 && clusters.length > 0) {
    estate.failures.push({
      subscriptionId: '*',
      part: 'roleAssignments',
      message: `${SNAPSHOT_FILES.roleAssignments.name} is empty while ${SNAPSHOT_FILES.clusters.name} lists ${clusters.length} cluster(s): who holds access is not known`,
    });
  }
  if (rawCredentials !== undefined) {
    const credentialsPath = join(dir, SNAPSHOT_FILES.federatedCredentials.name);
    estate.federatedCredentials = rawCredentials.map((raw, i) =>
      normaliseFederatedCredential(raw, `${credentialsPath}[${i}]`),
    );
  }
  if (rawPrincipals !== undefined) {
    const principalsPath = join(dir, SNAPSHOT_FILES.principals.name);
    const principals = rawPrincipals.map((raw, i) =>
      normaliseDirectoryPrincipal(raw, `${principalsPath}[${i}]`),
    );
    // docs/contracts.md: when present it lists every principal the estate names (one it omits is deleted).
    estate.directory = { source: SNAPSHOT_FILES.principals.name, principals, complete: true };
  }
  if (rawDenies !== undefined) {
    const deniesPath = join(dir, SNAPSHOT_FILES.denyAssignments.name);
    estate.denyAssignments = dedupeById(
      rawDenies.map((raw, i) => normaliseDenyAssignment(raw, `${deniesPath}[${i}]`)),
    );
  }
  return applyDirectory(estate);
}

/**
 * `--all --include-inherited` over several subscriptions lists an inherited assignment once per
 * subscription; the same id is the same assignment, so it is kept once.
 */
function dedupeById<T extends { id: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.id.trim().toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function readArray(
  dir: string,
  file: SnapshotFile,
  required: boolean,
): Promise<unknown[] | undefined> {
  const path = join(dir, file.name);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (!required) return undefined;
      throw new InputError(
        `${path}: file not found (export it with: ${file.madeWith} > ${file.name})`,
      );
    }
    if (code === 'EISDIR') throw new InputError(`${path}: is a directory, expected a JSON file`);
    throw new InputError(`${path}: cannot be read (${reason(error)})`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(decode(bytes));
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${reason(error)})`);
  }

  if (Array.isArray(parsed)) return parsed;
  // An ARM REST list response (`az rest --url …`) wraps the array in `value`; one page of it is
  // accepted, a page that points to more (`nextLink`) is not: the estate would be cut short.
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    Array.isArray((parsed as { value?: unknown }).value)
  ) {
    if ((parsed as { nextLink?: unknown }).nextLink) {
      throw new InputError(
        `${path}: is one page of a longer ARM listing ("nextLink" is set); export every page`,
      );
    }
    return (parsed as { value: unknown[] }).value;
  }
  const got =
    parsed === null ? 'null' : typeof parsed === 'object' ? 'an object' : `a ${typeof parsed}`;
  throw new InputError(`${path}: expected a JSON array of ${file.what}, got ${got}`);
}

/**
 * Exports made on Windows are not always UTF-8: PowerShell 5's `>` writes UTF-16LE with a byte
 * order mark, and some editors add a UTF-8 BOM, which JSON.parse rejects.
 */
function decode(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return bytes.subarray(2).toString('utf16le');
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2, bytes.length - ((bytes.length - 2) % 2)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The short reason of an error, on one line (JSON.parse messages may quote the input). */
function reason(error: unknown): string {
  const flat = errorMessage(error).replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}
