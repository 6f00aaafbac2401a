/**
 * Why the server ended a stream connection (sent to the client, counted per reason). `gone`: on AWS,
 * API Gateway answered 410 for a client that left without its `$disconnect` reaching the stream.
 */
export type DropReason = "slow_client" | "position_expired" | "no_pong" | "server_closing" | "gone";

/** What /health reports about the stream, and what the stream metrics are emitted from. */
export interface StreamStatsSnapshot {
  readonly connections: number;
  readonly messagesSent: number;
  readonly clientsDropped: number;
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** Delivery lag (appended to the log → written to the client) of the recent deliveries, ms. */
  readonly lagP99Ms: number | null;
  readonly lagMaxMs: number | null;
}

/** The stream's counters, shared by the SSE route and the WebSocket server of one instance. */
export interface StreamStats {
  connections: number;
  messagesSent: number;
  clientsDropped: number;
  drop(reason: DropReason): void;
  recordLag(ms: number): void;
  snapshot(): StreamStatsSnapshot;
  /** Lag samples since the last call, then forgotten (the metrics emitter's window). */
  takeLags(): number[];
}

const RECENT = 2048;

export function createStreamStats(): StreamStats {
  const dropped: Partial<Record<DropReason, number>> = {};
  // A ring of the latest lags for /health; a window list for the metrics emitter.
  const recent: number[] = [];
  let windowLags: number[] = [];
  let next = 0;
  const stats: StreamStats = {
    connections: 0,
    messagesSent: 0,
    clientsDropped: 0,
    drop(reason) {
      stats.clientsDropped++;
      dropped[reason] = (dropped[reason] ?? 0) + 1;
    },
    recordLag(ms) {
      if (recent.length < RECENT) recent.push(ms);
      else recent[next++ % RECENT] = ms;
      if (windowLags.length < 100_000) windowLags.push(ms);
    },
    snapshot: () => ({
      connections: stats.connections,
      messagesSent: stats.messagesSent,
      clientsDropped: stats.clientsDropped,
      dropped: { ...dropped },
      lagP99Ms: percentile(recent, 0.99),
      lagMaxMs: recent.length === 0 ? null : Math.max(...recent),
    }),
    takeLags() {
      const taken = windowLags;
      windowLags = [];
      return taken;
    },
  };
  return stats;
}

/** Nearest-rank percentile; null for no samples. */
export function percentile(samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}
