/**
 * `npm run bench`: normalisation, indexing and evaluation timed separately, at full size
 * (10,000 clusters, 500 subscriptions, 1,000,000 role assignments) and at half size so the
 * growth is visible. Prints clusters/second and peak RSS. Run with --expose-gc.
 */
import { buildAccessIndex } from '../src/core/access';
import { evaluateCluster } from '../src/core/evaluate';
import type { Estate } from '../src/core/model';
import { normaliseCluster, normaliseRoleAssignment, normaliseRoleDefinition } from '../src/core/normalise';
import { generateEstate, type EstateSize } from './generateEstate';

interface Result {
  size: EstateSize;
  normaliseMs: number;
  indexMs: number;
  evaluateMs: number;
  totalMs: number;
  failing: number;
  peakRssMb: number;
}

let peakRss = 0;
function sampleRss(): void {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}

function time<T>(work: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = work();
  sampleRss();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

function run(size: EstateSize): Result {
  (global as { gc?: () => void }).gc?.();
  peakRss = process.memoryUsage().rss;
  const sampler = setInterval(sampleRss, 20);
  const raw = generateEstate(size);
  sampleRss();
  const [estate, normaliseMs] = time((): Estate => ({
    source: 'snapshot',
    clusters: raw.clusters.map((c, i) => normaliseCluster(c, `clusters[${i}]`)),
    roleAssignments: raw.roleAssignments.map((a, i) => normaliseRoleAssignment(a, `role-assignments[${i}]`)),
    roleDefinitions: raw.roleDefinitions.map((d, i) => normaliseRoleDefinition(d, `role-definitions[${i}]`)),
    failures: [],
  }));
  raw.clusters.length = 0;
  raw.roleAssignments.length = 0;
  const [index, indexMs] = time(() => buildAccessIndex(estate));
  const now = new Date();
  const [failing, evaluateMs] = time(() => {
    let failingClusters = 0;
    for (const cluster of estate.clusters) {
      const posture = evaluateCluster(cluster, index.forCluster(cluster), index, now);
      if (posture.status === 'fail') failingClusters++;
    }
    return failingClusters;
  });
  clearInterval(sampler);
  return { size, normaliseMs, indexMs, evaluateMs, totalMs: normaliseMs + indexMs + evaluateMs, failing, peakRssMb: Math.round(peakRss / 1048576) };
}

function line(r: Result): string {
  const perSecond = Math.round(r.size.clusters / ((r.indexMs + r.evaluateMs) / 1000));
  return [
    `${r.size.clusters.toLocaleString('en')} clusters / ${r.size.subscriptions} subscriptions / ${r.size.roleAssignments.toLocaleString('en')} role assignments`,
    `  normalise ${(r.normaliseMs / 1000).toFixed(2)} s, index ${(r.indexMs / 1000).toFixed(2)} s, evaluate ${(r.evaluateMs / 1000).toFixed(2)} s, total ${(r.totalMs / 1000).toFixed(2)} s`,
    `  ${perSecond.toLocaleString('en')} clusters/s (index + evaluate), ${r.failing.toLocaleString('en')} failing, peak RSS ${r.peakRssMb} MB`,
  ].join('\n');
}

function main(): void {
  const full: EstateSize = { subscriptions: 500, clusters: 10_000, roleAssignments: 1_000_000 };
  const half: EstateSize = { subscriptions: 250, clusters: 5_000, roleAssignments: 500_000 };
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  const shrink = (s: EstateSize): EstateSize => ({ subscriptions: Math.max(1, Math.round(s.subscriptions * scale)), clusters: Math.max(1, Math.round(s.clusters * scale)), roleAssignments: Math.round(s.roleAssignments * scale) });
  const halfResult = run(shrink(half));
  console.log(line(halfResult));
  const fullResult = run(shrink(full));
  console.log(line(fullResult));
  console.log(`growth: doubling the input took ${(fullResult.totalMs / halfResult.totalMs).toFixed(2)}x the time (target ≤ 2.3x); full size ${(fullResult.totalMs / 1000).toFixed(2)} s (target < 10 s), peak RSS ${fullResult.peakRssMb} MB (target < 3072 MB)`);
}

main();
