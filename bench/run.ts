/**
 * `npm run bench`: the scale target (docs/architecture.md "Scale") measured on a generated estate of
 * 10,000 clusters, 500 subscriptions and 1,000,000 role assignments, and on half of it so that
 * the growth is visible. Targets: normalise + index + evaluate under 10 s, within 3 GB, and
 * doubling the input costs at most 2.3x the time.
 *
 * What is timed, per size, in a fresh Node process of its own (so that neither the heap nor
 * the peak memory of one size leaks into the other):
 *   - normalise: the `az` CLI-shaped JSON objects of clusters, role assignments and role
 *     definitions turned into the model (core/normalise);
 *   - index:     buildAccessIndex over the normalised estate (core/access);
 *   - evaluate:  for every cluster, its access (index.forCluster) and every check of the
 *     catalogue into a posture, the postures all kept, as evaluateEstate keeps them for the
 *     report (core/evaluate).
 * Not timed: generating the synthetic estate. Peak RSS is the process's high-water mark as the
 * kernel reports it (getrusage), so it includes the generated raw input, as a real run holds
 * the parsed export files.
 *
 * BENCH_SCALE=0.1 runs a tenth of both sizes (same spread; the 400 governance assignments stay).
 */
import { fork } from 'node:child_process';
import { buildAccessIndex } from '../src/core/access';
import { evaluateCluster } from '../src/core/evaluate';
import type { ClusterPosture, Estate } from '../src/core/model';
import {
  normaliseCluster,
  normaliseRoleAssignment,
  normaliseRoleDefinition,
} from '../src/core/normalise';
import { normaliseDenyAssignment, normaliseEligibility } from '../src/core/normaliseGrants';
import { generateEstate, type EstateSize } from './generateEstate';

interface Result {
  size: EstateSize;
  normaliseMs: number;
  indexMs: number;
  evaluateMs: number;
  totalMs: number;
  /** CPU time (user + system) of normalise + index + evaluate: what a loaded machine inflates least. */
  cpuMs: number;
  failing: number;
  /** Role assignments over a cluster (cluster, RG, subscription, management groups, root), on average. */
  assignmentsPerCluster: number;
  privilegedPerCluster: number;
  peakRssMb: number;
}

function time<T>(work: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = work();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

function run(size: EstateSize): Result {
  const raw = generateEstate(size);
  (global as { gc?: () => void }).gc?.();
  const cpuBefore = process.cpuUsage();
  const [estate, normaliseMs] = time((): Estate => ({
    source: 'snapshot',
    clusters: raw.clusters.map((c, i) => normaliseCluster(c, `clusters[${i}]`)),
    // PIM eligibilities count as assignments (marked eligible), as the sources add them.
    roleAssignments: raw.roleAssignments
      .map((a, i) => normaliseRoleAssignment(a, `role-assignments[${i}]`))
      .concat(raw.roleEligibility.map((e, i) => normaliseEligibility(e, `role-eligibility[${i}]`))),
    roleDefinitions: raw.roleDefinitions.map((d, i) =>
      normaliseRoleDefinition(d, `role-definitions[${i}]`),
    ),
    failures: [],
    denyAssignments: raw.denyAssignments.map((d, i) =>
      normaliseDenyAssignment(d, `deny-assignments[${i}]`),
    ),
  }));
  raw.clusters.length = 0;
  raw.roleAssignments.length = 0;
  raw.roleEligibility.length = 0;
  const [index, indexMs] = time(() => buildAccessIndex(estate));
  const now = new Date();
  let assignments = 0;
  let privileged = 0;
  const [postures, evaluateMs] = time(() => {
    const all: ClusterPosture[] = [];
    for (const cluster of estate.clusters) {
      const access = index.forCluster(cluster);
      assignments += access.assignments.length;
      privileged += access.privileged.length;
      all.push(evaluateCluster(cluster, access, index, now));
    }
    return all;
  });
  const cpu = process.cpuUsage(cpuBefore);
  const clusters = Math.max(1, estate.clusters.length);
  return {
    size,
    normaliseMs,
    indexMs,
    evaluateMs,
    totalMs: normaliseMs + indexMs + evaluateMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    failing: postures.filter((p) => p.status === 'fail').length,
    assignmentsPerCluster: Math.round(assignments / clusters),
    privilegedPerCluster: Math.round(privileged / clusters),
    // ru_maxrss is in kilobytes on Linux.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** One size in a child process (same flags as this one), so each measurement starts clean. */
function runIsolated(size: EstateSize): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      env: { ...process.env, BENCH_CHILD_SIZE: JSON.stringify(size) },
      execArgv: process.execArgv,
    });
    let result: Result | undefined;
    child.on('message', (message) => (result = message as Result));
    child.on('error', reject);
    child.on('exit', (code) =>
      result && code === 0
        ? resolve(result)
        : reject(new Error(`benchmark child exited with ${code}`)),
    );
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function line(r: Result): string {
  const perSecond = Math.round(r.size.clusters / ((r.indexMs + r.evaluateMs) / 1000));
  return [
    `${r.size.clusters.toLocaleString('en')} clusters / ${r.size.subscriptions} subscriptions / ${r.size.roleAssignments.toLocaleString('en')} role assignments` +
      ` (on average ${r.assignmentsPerCluster} assignments over each cluster, ${r.privilegedPerCluster} of them privileged)`,
    `  normalise ${seconds(r.normaliseMs)}, index ${seconds(r.indexMs)}, evaluate ${seconds(r.evaluateMs)}: total ${seconds(r.totalMs)} (CPU time ${seconds(r.cpuMs)})`,
    `  ${perSecond.toLocaleString('en')} clusters/s (index + evaluate), ${r.failing.toLocaleString('en')} failing, peak RSS ${r.peakRssMb} MB (whole process, generated input included)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const full: EstateSize = { subscriptions: 500, clusters: 10_000, roleAssignments: 1_000_000 };
  const half: EstateSize = { subscriptions: 250, clusters: 5_000, roleAssignments: 500_000 };
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  const shrink = (s: EstateSize): EstateSize => ({
    subscriptions: Math.max(1, Math.round(s.subscriptions * scale)),
    clusters: Math.max(1, Math.round(s.clusters * scale)),
    roleAssignments: Math.round(s.roleAssignments * scale),
  });
  if (!(global as { gc?: unknown }).gc)
    console.log('(run with --expose-gc so that each size starts from a collected heap)');
  console.log(
    `Timed: normalise (az JSON → model) + index (buildAccessIndex) + evaluate (per cluster: forCluster + every check + posture, postures kept); generation not timed.${scale !== 1 ? ` BENCH_SCALE=${scale}.` : ''}`,
  );
  const halfResult = await runIsolated(shrink(half));
  console.log(line(halfResult));
  const fullResult = await runIsolated(shrink(full));
  console.log(line(fullResult));
  const growth = fullResult.totalMs / halfResult.totalMs;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `growth: doubling the input took ${growth.toFixed(2)}x the time (target ≤ 2.3x: ${verdict(growth <= 2.3)}); ` +
      `${scale === 1 ? 'full size' : `scaled full size (${scale})`} ${seconds(fullResult.totalMs)} (target < 10 s: ${verdict(fullResult.totalMs < 10_000)}), ` +
      `peak RSS ${fullResult.peakRssMb} MB (target < 3072 MB: ${verdict(fullResult.peakRssMb < 3072)})`,
  );
}

const childSize = process.env.BENCH_CHILD_SIZE;
if (childSize) {
  process.send!(run(JSON.parse(childSize) as EstateSize));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
