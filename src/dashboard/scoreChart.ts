/**
 * Layout of the score history chart on the cluster page: the score (0–100) of each stored
 * evaluation over time, with the evaluations that found regressions marked. Pure: positions
 * and labels; the template draws the SVG.
 */
import type { HistoryEntry } from '../core/ports';

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 200;
const LEFT = 40;
const RIGHT = 16;
const TOP = 12;
const BOTTOM = 30;

export interface ChartPoint {
  x: number;
  y: number;
  evaluatedAt: string;
  score: number;
  status: string;
  /** Regressions this evaluation found, in words (`check-failed local-accounts-disabled: pass → fail`). */
  regressions: string[];
  deleted: boolean;
}

export interface ScoreChart {
  width: number;
  height: number;
  /** The plot area's left and right edges. */
  left: number;
  right: number;
  /** `x,y x,y …` for a polyline (numbers only). */
  line: string;
  points: ChartPoint[];
  /** Horizontal grid lines with their score labels. */
  grid: Array<{ y: number; label: string }>;
  /** The first and last times under the x axis. */
  axis: Array<{ x: number; label: string; anchor: 'start' | 'end' | 'middle' }>;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function dayLabel(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

/**
 * `history` newest first (as the store and API return it). A single evaluation is drawn in the
 * middle; times that are all equal are spread evenly so no point hides another.
 */
export function layoutScoreChart(history: readonly HistoryEntry[]): ScoreChart {
  const entries = [...history].sort((a, b) => a.evaluatedAt.localeCompare(b.evaluatedAt));
  const plotWidth = CHART_WIDTH - LEFT - RIGHT;
  const plotHeight = CHART_HEIGHT - TOP - BOTTOM;
  const times = entries.map((e) => Date.parse(e.evaluatedAt));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const byTime =
    entries.length > 1 && Number.isFinite(first) && Number.isFinite(last) && last > first;
  const xOf = (index: number): number => {
    if (entries.length === 1) return LEFT + plotWidth / 2;
    if (byTime && Number.isFinite(times[index]))
      return LEFT + ((times[index] - first) / (last - first)) * plotWidth;
    return LEFT + (index / (entries.length - 1)) * plotWidth;
  };
  const yOf = (score: number): number =>
    TOP + (1 - Math.max(0, Math.min(100, score)) / 100) * plotHeight;
  const points: ChartPoint[] = entries.map((entry, index) => ({
    x: round(xOf(index)),
    y: round(yOf(entry.score)),
    evaluatedAt: entry.evaluatedAt,
    score: entry.score,
    status: entry.status,
    regressions: (entry.regressions ?? []).map(
      (r) =>
        `${r.kind} ${r.checkId}${r.principalId ? ` (${r.principalId})` : ''}: ${r.before} → ${r.after}`,
    ),
    deleted: entry.deleted === true,
  }));
  const axis: ScoreChart['axis'] = [];
  if (points.length === 1)
    axis.push({ x: points[0].x, label: dayLabel(points[0].evaluatedAt), anchor: 'middle' });
  if (points.length > 1) {
    axis.push({ x: LEFT, label: dayLabel(points[0].evaluatedAt), anchor: 'start' });
    axis.push({
      x: CHART_WIDTH - RIGHT,
      label: dayLabel(points[points.length - 1].evaluatedAt),
      anchor: 'end',
    });
  }
  return {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    left: LEFT,
    right: CHART_WIDTH - RIGHT,
    line: points.map((p) => `${p.x},${p.y}`).join(' '),
    points,
    grid: [100, 50, 0].map((score) => ({ y: round(yOf(score)), label: String(score) })),
    axis,
  };
}
