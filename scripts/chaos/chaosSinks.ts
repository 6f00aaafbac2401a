import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import type { DuckDbSink } from "../../lambdas/sink/duckdbSink.js";
import { createFirehoseRowWriter, createFirehoseSink } from "../../lambdas/sink/firehoseSink.js";
import type { Sink } from "../../lambdas/sink/Sink.js";
import { type FirehoseStandIn, intoDuckDb, startFirehoseStandIn } from "../local/firehoseStandIn.js";
import { localAwsConfig } from "../local/localAwsConfig.js";
import { createDirErrorObjectStore, replayFirehoseErrors } from "../ops/replayFirehoseErrors.js";
import type { ClickHouseTarget } from "../pipeline/openLocalSink.js";

/** Which store a seed's processor writes to. */
export type ChaosSinkKind = "duckdb" | "firehose" | "clickhouse";

/** One seed in four writes through Firehose (the stand-in), one in four to ClickHouse, the rest to DuckDB. */
export function chaosSinkFor(seed: number): ChaosSinkKind {
  const slot = ((seed % 4) + 4) % 4;
  return slot === 1 ? "firehose" : slot === 3 ? "clickhouse" : "duckdb";
}

/** What createLocalPipeline needs for a ClickHouse seed (a throwaway local server). */
export const clickhouseFor = (kind: ChaosSinkKind): ClickHouseTarget | undefined =>
  kind === "clickhouse" ? {} : undefined;

/** The AWS default sink under chaos: Firehose accepts, then fails some deliveries into the error prefix. */
export interface FirehoseChaos {
  /** Replaces the pipeline's sink with the shipped Firehose sink, delivering into it through the stand-in. */
  wrap(sink: Sink): Sink;
  /** Failures off, buffers delivered, then `tidemark sink replay`'s function re-drives the error prefix. */
  settle(): Promise<{ readonly objects: number; readonly rows: number }>;
  readonly injected: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Starts the Firehose stand-in for one seed. Each delivered buffer fails with `failProbability`
 * while failures are on; the rows it held land under `firehose-errors/` and are only in the tables
 * after the replay, so the checker (which reads the tables) proves the replay recovered them.
 */
export async function startFirehoseChaos(p: {
  readonly random: () => number;
  readonly failProbability: number;
}): Promise<FirehoseChaos> {
  const errorsDir = await mkdtemp(join(tmpdir(), "tidemark-chaos-firehose-"));
  let destination: DuckDbSink | undefined;
  let failing = true;
  const standIn: FirehoseStandIn = await startFirehoseStandIn({
    errorsDir,
    bufferIntervalMs: 250,
    failDelivery: () => failing && p.random() < p.failProbability,
    deliver: intoDuckDb(() => destination),
  });
  const client = new FirehoseClient(localAwsConfig(standIn.url));
  const injected: Record<string, number> = {};
  return {
    wrap(sink) {
      if (!("writeRows" in sink)) throw new Error("a Firehose chaos seed delivers into DuckDB");
      destination = sink as DuckDbSink;
      return createFirehoseSink({ client, deliveryStreamName: standIn.deliveryStreamName });
    },
    async settle() {
      failing = false;
      await standIn.flush();
      const replay = await replayFirehoseErrors({
        store: createDirErrorObjectStore(errorsDir),
        writeRows: createFirehoseRowWriter({ client, deliveryStreamName: standIn.deliveryStreamName }),
      });
      await standIn.flush();
      injected["firehose:deliveryFailed"] = standIn.stats.failedBuffers;
      if (replay.keptBack.length > 0)
        throw new Error(`replay kept back ${replay.keptBack.length} lines: ${replay.keptBack[0]?.reason}`);
      return replay;
    },
    injected,
    async stop() {
      await standIn.stop();
      client.destroy();
      await rm(errorsDir, { recursive: true, force: true });
    },
  };
}
