import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoEventLog, EventLogEntry } from "../api/stream/createDynamoEventLog.js";
import type { Chain, PipelineEvent } from "../shared/events.js";
import { StreamMetric } from "../shared/metricNames.js";
import type { Sink, SinkRecord } from "../sink/Sink.js";

/**
 * The sink, with every record it made durable appended to the stream's event log afterwards (the
 * processor's log stage). A decorator, like withClaimCheckedPayloads, so the per-record isolation
 * path appends exactly the records it wrote. Rows first, then the log: a crash between the two fails
 * the record, its retry rewrites the rows (idempotent) and appends it then — once, because the log
 * refuses an observation id it holds. A failed append throws the log's retryable error, so the
 * record is retried, never acknowledged unlogged.
 */
export function withEventLog(
  sink: Sink,
  log: Pick<DynamoEventLog, "append"> | undefined,
  metrics?: Pick<Metrics, "addMetric">,
): Sink {
  if (log === undefined) return sink;
  return {
    ...sink,
    write: async (records) => {
      await sink.write(records);
      const added = await log.append(records.map(toLogEntry));
      // Counted even when 0: "nothing logged while blocks are ingested" is the stream's silent failure.
      metrics?.addMetric(StreamMetric.EventsLogged, "Count", added);
    },
  };
}

/** The log entry of one applied record: its type, chain, key and the event itself as payload. */
export function toLogEntry(record: SinkRecord): EventLogEntry {
  const chain = chainOf(record.event);
  return {
    observationId: record.observationId,
    type: record.event.type,
    ...(chain ? { chain } : {}),
    key: record.key,
    payload: record.event,
  };
}

/** Headers and reorgs name their chain; inbox events happen on L1; an L2 block's proposal link on L2; API events on none. */
function chainOf(event: PipelineEvent): Chain | undefined {
  if (event.type === "l1_header") return "l1";
  if (event.type === "l2_header" || event.type === "shasta_proposal_block" || event.type === "l2_block_fees")
    return "l2";
  if (event.type === "reorg") return event.chain;
  if ("l1" in event || event.type === "preconf_epoch") return "l1";
  return undefined;
}
