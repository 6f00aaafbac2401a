/// <reference lib="dom" />
import uPlot from "uplot";

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly unit: string;
  readonly color: string;
  readonly kind: "line" | "bars";
}

const AXIS = { stroke: "#8b96a5", grid: { stroke: "#1c2430", width: 1 }, ticks: { stroke: "#1c2430" } };

/** One uPlot chart in a card; `update` replaces its data, the chart follows its container's width. */
export function createChart(container: HTMLElement, spec: ChartSpec) {
  const bars = uPlot.paths.bars?.({ size: [0.7, 24] });
  const opts: uPlot.Options = {
    width: Math.max(container.clientWidth, 200),
    height: 190,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    // Bars and durations read from zero; a floating baseline exaggerates small differences.
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      {
        ...AXIS,
        label: spec.xLabel,
        labelSize: 18,
        font: "11px system-ui",
        labelFont: "11px system-ui",
        size: 36,
      },
      {
        ...AXIS,
        font: "11px system-ui",
        size: 56,
        values: (_u, ticks) => ticks.map((t) => compact(t) + spec.unit),
      },
    ],
    series: [
      {},
      {
        label: spec.title,
        stroke: spec.color,
        width: spec.kind === "line" ? 1.5 : 0,
        fill: `${spec.color}${spec.kind === "line" ? "22" : "cc"}`,
        paths: spec.kind === "bars" ? bars : undefined,
        points: { show: false },
      },
    ],
  };
  const chart = new uPlot(opts, [[], []], container);
  new ResizeObserver(() =>
    chart.setSize({ width: Math.max(container.clientWidth, 200), height: 190 }),
  ).observe(container);
  return {
    update(xs: number[], ys: (number | null)[]) {
      chart.setData([xs, ys]);
    },
  };
}

function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(2)}`;
}
