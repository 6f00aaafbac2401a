export interface ProgressBar {
  /** Set the work done (and the total, when it is learnt late). */
  update(done: number, total?: number): void;
  /** Print the final state and end the line. */
  finish(): void;
}

export interface ProgressBarOptions {
  readonly label: string;
  readonly total: number;
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** False for --json runs and when nothing should be drawn. @default true */
  readonly enabled?: boolean;
  /** @default "items" */
  readonly unit?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * A one-line bar with rate and ETA, redrawn in place on a terminal, and a line every 5 s otherwise
 * (logs in CI). Small on purpose: cli-progress would do, but is not a dependency yet.
 */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const now = options.now ?? Date.now;
  const tty = options.stream.isTTY === true;
  const unit = options.unit ?? "items";
  const started = now();
  let total = options.total;
  let done = 0;
  // Off a terminal the first line waits one interval: a short job prints only its final line.
  let lastDraw = tty ? 0 : started;
  const render = (): string => {
    const elapsedS = Math.max((now() - started) / 1000, 0.001);
    const rate = done / elapsedS;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 && total > done ? formatSeconds((total - done) / rate) : done >= total ? "0s" : "?";
    return `${options.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${done}/${total} ${unit} ${rate.toFixed(1)}/s ETA ${eta}`;
  };
  const draw = (final: boolean) => {
    if (options.enabled === false) return;
    const t = now();
    if (!final && t - lastDraw < (tty ? 100 : 5_000)) return;
    lastDraw = t;
    options.stream.write(tty ? `\r\x1b[2K${render()}${final ? "\n" : ""}` : `${render()}\n`);
  };
  return {
    update(value, newTotal) {
      done = value;
      if (newTotal !== undefined) total = newTotal;
      draw(false);
    },
    finish() {
      draw(true);
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
