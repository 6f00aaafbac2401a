import { SingleBar } from "cli-progress";

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
}

/**
 * The CLI's progress bar for long work (backfill, redrive, verify): cli-progress, redrawn in place
 * on a terminal and a line every 5 s otherwise (logs in CI), with rate and ETA; nothing with --json.
 */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  if (options.enabled === false) return { update: () => undefined, finish: () => undefined };
  const started = Date.now();
  const rate = (done: number) => (done / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(1);
  const bar = new SingleBar({
    format: `${options.label} [{bar}] {percentage}% {value}/{total} ${options.unit ?? "items"} {rate}/s ETA {eta_formatted}`,
    stream: options.stream as NodeJS.WriteStream,
    barsize: 24,
    barCompleteChar: "#",
    barIncompleteChar: "-",
    noTTYOutput: true,
    notTTYSchedule: 5_000,
    etaBuffer: 50,
  });
  let done = 0;
  bar.start(options.total, 0, { rate: "0.0" });
  return {
    update(value, total) {
      done = value;
      if (total !== undefined) bar.setTotal(total);
      bar.update(done, { rate: rate(done) });
    },
    finish() {
      bar.update(done, { rate: rate(done) });
      bar.stop();
    },
  };
}
