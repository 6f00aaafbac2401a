/** A figure measured over several runs: the median, with the spread the runs showed. */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly number[];
}

export function figure(runs: readonly number[]): Figure {
  if (runs.length === 0) throw new Error("a figure needs at least one run");
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    median: percentile(sorted, 50),
    min: sorted[0] as number,
    max: sorted.at(-1) as number,
    runs: [...runs],
  };
}

/** Nearest-rank percentile of already sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p === 50 && sorted.length % 2 === 0) {
    const mid = sorted.length / 2;
    return ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** "1,234 (1,100–1,300)": median with min–max. */
export function showFigure(f: Figure | undefined, digits = 0): string {
  if (f === undefined) return "—";
  const n = (v: number) => formatNumber(v, digits);
  return f.min === f.max ? n(f.median) : `${n(f.median)} (${n(f.min)}–${n(f.max)})`;
}

export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "3.2×" — a over b, or "—" when either is missing. */
export function ratio(a: number | undefined, b: number | undefined, digits = 2): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "—";
  return `${formatNumber(a / b, digits)}×`;
}

/** A plain-text table: first row is the header; columns padded, numbers right-aligned. */
export function renderTable(title: string, rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const numeric = (s: string) => /^[-0-9.,—×% ()–]+[×%]?$/.test(s) && /[0-9—]/.test(s);
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) =>
        numeric(cell) && i > 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join("  ");
  const [header, ...body] = rows;
  const out = [title, ""];
  if (header) {
    out.push(line(header));
    out.push(widths.map((w) => "-".repeat(w)).join("  "));
  }
  for (const row of body) out.push(line(row));
  return out.join("\n");
}

/** Process CPU (user + system, all threads) in seconds since `since`. */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}
