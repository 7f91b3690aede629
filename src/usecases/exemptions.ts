/**
 * Managing exemptions (docs/contracts.md "Exemptions"): add, revoke, list, export and import a
 * reviewed YAML file. Every door (CLI, HTTP) calls these. Input is validated whole before anything
 * is written: a file with one bad entry writes nothing.
 */
import { parse, stringify } from 'yaml';
import { InputError } from '../core/errors';
import {
  EXEMPTION_FIELDS,
  exemptionCoverage,
  exemptionCovers,
  exemptionState,
  validateExemption,
  type Exemption,
  type ExemptionState,
} from '../core/exemptions';
import { acceptedRiskDigest, exemptedFindings } from '../core/acceptedRisk';
import type { Alert, ClusterPosture } from '../core/model';
import type { Clock, ExemptionStore, Notifier, PostureStore } from '../core/ports';

export interface ExemptionDeps {
  store: ExemptionStore;
  clock: Clock;
  /** Public check ids, for validation. */
  checkIds: readonly string[];
}

function sameContent(a: Exemption, b: Exemption): boolean {
  return EXEMPTION_FIELDS.every(
    (field) => JSON.stringify(a[field] ?? null) === JSON.stringify(b[field] ?? null),
  );
}

export async function addExemption(
  deps: ExemptionDeps,
  input: unknown,
  by: string,
): Promise<Exemption> {
  const now = deps.clock.now();
  const exemption = validateExemption(input, { now, checkIds: deps.checkIds });
  if (exemption.createdAt || exemption.revokedAt)
    throw new InputError(
      `exemption ${JSON.stringify(exemption.id)}: createdAt and revokedAt are set by the auditor`,
    );
  const stored: Exemption = { ...exemption, createdBy: by, createdAt: now.toISOString() };
  return deps.store.insert(stored, { action: 'created', by, at: now.toISOString() });
}

export async function revokeExemption(
  deps: ExemptionDeps,
  id: string,
  by: string,
  reason?: string,
): Promise<Exemption> {
  const now = deps.clock.now().toISOString();
  return deps.store.update(id, (current) => {
    if (current.revokedAt)
      throw new InputError(
        `exemption ${JSON.stringify(id)} was already revoked at ${current.revokedAt} by ${current.revokedBy ?? 'unknown'}`,
      );
    const exemption: Exemption = {
      ...current,
      revokedAt: now,
      revokedBy: by,
      ...(reason ? { revokeReason: reason } : {}),
    };
    return {
      exemption,
      change: { action: 'revoked', by, at: now, ...(reason ? { detail: reason } : {}) },
    };
  });
}

export interface ExemptionListFilter {
  clusterId?: string;
  checkId?: string;
  expiringWithinDays?: number;
  /** Revoked and expired ones too (default: active only). */
  all?: boolean;
}

export type ListedExemption = Exemption & {
  state: ExemptionState;
  /**
   * Listed for a cluster (`clusterId`) through a management-group scope that the listing cannot
   * check (the store holds no subscription ancestry): shown, and marked, rather than left out.
   */
  managementGroupUnverified?: true;
};

export async function listExemptions(
  deps: ExemptionDeps,
  filter: ExemptionListFilter = {},
): Promise<ListedExemption[]> {
  const now = deps.clock.now();
  const until =
    filter.expiringWithinDays !== undefined
      ? now.getTime() + filter.expiringWithinDays * 24 * 3600 * 1000
      : undefined;
  return (await deps.store.list())
    .map((e) => ({ ...e, state: exemptionState(e, now) }))
    .filter((e) => filter.all || e.state === 'active')
    .filter((e) => !filter.checkId || e.checkId === filter.checkId)
    .filter((e) => !filter.clusterId || exemptionCovers(e, filter.clusterId))
    .map((e): ListedExemption =>
      filter.clusterId && exemptionCoverage(e, filter.clusterId) === 'assumed'
        ? { ...e, managementGroupUnverified: true }
        : e,
    )
    .filter(
      (e) =>
        until === undefined || (e.state === 'active' && new Date(e.expiresOn).getTime() <= until),
    );
}

/** The HTTP listing: query values validated here (an unknown name is refused, never ignored). */
export async function listExemptionsQuery(
  deps: ExemptionDeps,
  query: Record<string, string | undefined>,
): Promise<ListedExemption[]> {
  const allowed = ['clusterId', 'checkId', 'expiringWithinDays', 'all', 'code'];
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name))
      throw new InputError(
        `unknown query parameter ${JSON.stringify(name.slice(0, 40))} (accepted: clusterId, checkId, expiringWithinDays, all)`,
      );
  }
  const days = query.expiringWithinDays;
  if (days !== undefined && (!/^\d{1,3}$/.test(days) || Number(days) > 365))
    throw new InputError('expiringWithinDays must be a whole number of days from 0 to 365');
  if (query.all !== undefined && query.all !== 'true' && query.all !== 'false')
    throw new InputError('all must be true or false');
  return listExemptions(deps, {
    clusterId: query.clusterId,
    checkId: query.checkId,
    expiringWithinDays: days === undefined ? undefined : Number(days),
    all: query.all === 'true',
  });
}

/** Active exemptions, for evaluations. */
export async function activeExemptions(
  deps: Pick<ExemptionDeps, 'store' | 'clock'>,
): Promise<Exemption[]> {
  const now = deps.clock.now();
  return (await deps.store.list()).filter((e) => exemptionState(e, now) === 'active');
}

/** Every exemption as a YAML file that `importExemptions` takes back unchanged, expired ones included. */
export async function exportExemptions(deps: ExemptionDeps): Promise<string> {
  const exemptions = (await deps.store.list()).map((e) => {
    const entry: Record<string, unknown> = {};
    for (const field of [
      ...EXEMPTION_FIELDS,
      'createdBy',
      'createdAt',
      'revokedAt',
      'revokedBy',
      'revokeReason',
    ] as const) {
      if (e[field] !== undefined) entry[field] = e[field];
    }
    return entry;
  });
  return stringify({ exemptions }, { lineWidth: 0 });
}

/** The entries of an exemptions file (YAML, or JSON with the same structure). */
export function parseExemptionsFile(text: string, where: string): unknown[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new InputError(`${where}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const list = (document as { exemptions?: unknown })?.exemptions;
  if (!Array.isArray(list)) throw new InputError(`${where}: must have an "exemptions" list`);
  return list;
}

export interface ImportPlan {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/**
 * Import a reviewed file, idempotently by id: a new id is created, a changed entry updated, an
 * entry identical to the stored one left alone (even after it expired, so an exported file always
 * re-imports). Everything is validated first; `dryRun` returns the plan without writing.
 */
export async function importExemptions(
  deps: ExemptionDeps,
  text: string,
  options: { where: string; by: string; dryRun?: boolean },
): Promise<ImportPlan> {
  const now = deps.clock.now();
  const entries = parseExemptionsFile(text, options.where);
  const stored = new Map((await deps.store.list()).map((e) => [e.id, e]));
  const seen = new Set<string>();
  const plan: ImportPlan = { created: [], updated: [], unchanged: [] };
  const writes: Array<{ kind: 'create' | 'update'; exemption: Exemption }> = [];
  entries.forEach((entry, index) => {
    const where = `${options.where} entry ${index + 1}`;
    const id = (entry as { id?: unknown })?.id;
    const existing = typeof id === 'string' ? stored.get(id) : undefined;
    const candidate = validateExemption(
      entry,
      { now, checkIds: deps.checkIds, allowPastExpiry: existing !== undefined },
      where,
    );
    if (seen.has(candidate.id))
      throw new InputError(
        `${where} ${JSON.stringify(candidate.id)}: id is duplicated in the file`,
      );
    seen.add(candidate.id);
    if (existing && sameContent(existing, candidate)) {
      plan.unchanged.push(candidate.id);
      return;
    }
    if (existing?.revokedAt)
      throw new InputError(
        `${where} ${JSON.stringify(candidate.id)}: id was revoked; give the new exemption a new id`,
      );
    if (existing && new Date(candidate.expiresOn) <= now)
      throw new InputError(`${where} ${JSON.stringify(candidate.id)}: expiresOn is in the past`);
    (existing ? plan.updated : plan.created).push(candidate.id);
    writes.push({ kind: existing ? 'update' : 'create', exemption: candidate });
  });
  if (options.dryRun) return plan;
  const at = now.toISOString();
  for (const write of writes) {
    if (write.kind === 'create') {
      await deps.store.insert(
        { ...write.exemption, createdBy: options.by, createdAt: at },
        { action: 'created', by: options.by, at, detail: `imported from ${options.where}` },
      );
    } else {
      await deps.store.update(write.exemption.id, (current) => ({
        exemption: {
          ...write.exemption,
          createdBy: current.createdBy,
          createdAt: current.createdAt,
        },
        change: { action: 'updated', by: options.by, at, detail: `imported from ${options.where}` },
      }));
    }
  }
  return plan;
}

/** Records `expired` in the history of each exemption that passed its expiry (once each). */
export async function recordExpiries(
  deps: Pick<ExemptionDeps, 'store' | 'clock'>,
): Promise<string[]> {
  const now = deps.clock.now();
  const expired = (await deps.store.list()).filter(
    (e) => exemptionState(e, now) === 'expired' && !e.expiredRecordedAt,
  );
  for (const e of expired) {
    await deps.store.update(e.id, (current) =>
      current.expiredRecordedAt
        ? undefined
        : {
            exemption: { ...current, expiredRecordedAt: now.toISOString() },
            change: { action: 'expired', by: 'auditor', at: now.toISOString() },
          },
    );
  }
  return expired.map((e) => e.id);
}

/**
 * The nightly run's part after the audit: record the expiries, and send every channel the
 * accepted-risk digest — the findings active exemptions cover (as the clusters' latest
 * evaluations list them) and the exemptions expiring within 14 days, whose findings will count,
 * and page, again. Nothing is sent while no exemption is active.
 */
export async function nightlyExemptionDuties(
  deps: Pick<ExemptionDeps, 'store' | 'clock'> & {
    postures: PostureStore;
    notifiers?: Notifier[];
    log?: (line: string) => void;
  },
): Promise<Alert | undefined> {
  await recordExpiries(deps);
  const now = deps.clock.now();
  const active = (await deps.store.list()).filter((e) => exemptionState(e, now) === 'active');
  if (active.length === 0) return undefined;
  const digest = acceptedRiskDigest(
    active,
    exemptedFindings(await coveredPostures(deps.postures, active)),
    now,
  );
  if (!digest || !deps.notifiers?.length) return digest;
  for (const notifier of deps.notifiers) {
    await notifier
      .send([digest], { digest: true })
      .catch((error: unknown) =>
        deps.log?.(
          `exemptions: the ${notifier.channel} accepted-risk digest failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  }
  return digest;
}

/** The latest postures of the live clusters the exemptions cover (one read each). */
async function coveredPostures(
  store: PostureStore,
  exemptions: readonly Exemption[],
): Promise<ClusterPosture[]> {
  const ids: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listPostures({}, { pageSize: 1000, continuationToken });
    for (const summary of page.items)
      if (!summary.deleted && exemptions.some((e) => exemptionCovers(e, summary.id)))
        ids.push(summary.id);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  const postures = await Promise.all(ids.map((id) => store.getPosture(id)));
  return postures.filter((p): p is ClusterPosture => p !== undefined);
}
