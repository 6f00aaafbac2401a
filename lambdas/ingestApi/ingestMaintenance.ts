import type { AnchorCommitmentParameters } from "./anchorCommitment.js";
import { anchorCommitment } from "./anchorCommitment.js";
import type { IngestRoutesDependencies } from "./createIngestRoutes.js";
import type { IngestSettings } from "./ingestSettings.js";
import { drainOutbox } from "./outbox.js";

/** Where commitments are anchored: the L2 client, the signing wallet and the registry. */
export type AnchorTarget = Omit<AnchorCommitmentParameters, "commitments">;

export interface IngestMaintenanceParameters {
  readonly deps: IngestRoutesDependencies;
  readonly settings: IngestSettings;
  /** Without one, commitments are made but not anchored (anchoring not configured, or not yet started). */
  readonly anchor?: AnchorTarget;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface StreamMaintenance {
  readonly stream: string;
  /** The last sequence assigned. */
  readonly head: number;
  /** The highest sequence covered by an anchored commitment (0 when none). */
  readonly anchoredThrough: number;
  /** Seconds since the oldest event not yet covered by an anchored commitment was accepted (0 when none). */
  readonly anchoringLagSeconds: number;
  /** What anchorCommitment did, per commitment it looked at. */
  readonly anchorActions: Readonly<Record<string, number>>;
}

export interface IngestMaintenanceReport {
  /** Records the outbox sweeper sent (their request crashed or SQS refused), and those still refused. */
  readonly outbox: { readonly sent: number; readonly unsent: number };
  readonly streams: readonly StreamMaintenance[];
}

/**
 * One round of what runs beside the ingest API, the same locally (a timer) and on AWS (a scheduled
 * function): sweep the outbox; per stream with events, commit what is due, then anchor every commitment
 * not yet anchored or whose anchoring tx a reorg dropped. Reports what the metrics and alarms need:
 * each stream's head and how far anchoring lags behind it.
 */
export async function runIngestMaintenance(p: IngestMaintenanceParameters): Promise<IngestMaintenanceReport> {
  const { deps, settings } = p;
  const now = p.now ?? Date.now;
  const drained = await drainOutbox({
    ...deps,
    partitions: settings.partitions,
    graceSeconds: settings.outboxGraceSeconds,
    now,
  });
  const streams: StreamMaintenance[] = [];
  for (const stream of await deps.events.streams()) {
    await deps.commitments.commitDue(stream);
    const anchorActions: Record<string, number> = {};
    let anchoredThrough = 0;
    for (const commitment of await deps.commitments.listCommitments(stream)) {
      let current = commitment;
      if (p.anchor) {
        const done = await anchorCommitment({ ...p.anchor, commitments: deps.commitments }, commitment);
        anchorActions[done.action] = (anchorActions[done.action] ?? 0) + 1;
        current = done.commitment;
      }
      // Commitments are listed in sequence order: anchoring is contiguous up to the first gap.
      if (current.anchor && current.fromSequence === anchoredThrough + 1)
        anchoredThrough = current.toSequence;
    }
    const head = await deps.events.head(stream);
    streams.push({
      stream,
      head,
      anchoredThrough,
      anchoringLagSeconds: await lagSeconds(deps, stream, anchoredThrough, head, now()),
      anchorActions,
    });
  }
  return { outbox: { sent: drained.sent, unsent: drained.unsent }, streams };
}

async function lagSeconds(
  deps: IngestRoutesDependencies,
  stream: string,
  anchoredThrough: number,
  head: number,
  nowMs: number,
): Promise<number> {
  if (head <= anchoredThrough) return 0;
  const [oldest] = await deps.events.readEvents(stream, anchoredThrough, 1);
  if (!oldest) return 0;
  return Math.max(0, Math.round((nowMs - Date.parse(oldest.receipt.acceptedAt)) / 1000));
}
