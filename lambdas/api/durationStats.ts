import type { DurationStats } from "../queries/chainMetrics.js";

/** Count, mean and linearly interpolated p50/p95 (DuckDB quantile_cont), as the sink's metrics define them. */
export function durationStats(values: readonly number[]): DurationStats {
  if (values.length === 0) return { samples: 0, avg: null, p50: null, p95: null };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => {
    const h = (s.length - 1) * p;
    const lo = Math.floor(h);
    const a = s[lo] as number;
    const b = s[Math.min(lo + 1, s.length - 1)] as number;
    return a + (h - lo) * (b - a);
  };
  return { samples: s.length, avg: s.reduce((x, y) => x + y, 0) / s.length, p50: q(0.5), p95: q(0.95) };
}
