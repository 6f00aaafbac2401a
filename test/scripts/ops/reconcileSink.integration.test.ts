import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../../lambdas/ingestor/chainReader.js";
import type { Chain } from "../../../lambdas/shared/events.js";
import { ProcessorMetric } from "../../../lambdas/shared/metricNames.js";
import type { DuckDbSink } from "../../../lambdas/sink/duckdbSink.js";
import { createFirehoseSink } from "../../../lambdas/sink/firehoseSink.js";
import { runTidemark } from "../../../scripts/cli/tidemark.js";
import {
  type FirehoseStandIn,
  intoDuckDb,
  startFirehoseStandIn,
} from "../../../scripts/local/firehoseStandIn.js";
import { localAwsConfig } from "../../../scripts/local/localAwsConfig.js";
import { type ReconcileSinkReturnType, reconcileSink } from "../../../scripts/ops/reconcileSink.js";
import { createLocalPipeline, type LocalPipeline } from "../../../scripts/pipeline/createLocalPipeline.js";
import { type SinkQueryServer, startSinkQueryServer } from "../../../scripts/pipeline/sinkQueryServer.js";
import { captureIo } from "../cli/helpers.js";

/**
 * The AWS default sink's gap, end to end on the local pipeline: the processor writes through the
 * shipped Firehose sink to the stand-in, which accepts every record and then fails one delivered
 * buffer in three (the rows land under firehose-errors/, nobody replays them). The processor has
 * marked those records done, so neither a redelivery nor a backfill would bring them back; and one
 * proposal loses its batch_blocks rows after it was stored (a half-written ClickHouse record, a lost
 * write). `tidemark sink reconcile` must find every one from the chain and make it whole, once.
 */
let pipeline: LocalPipeline;
let standIn: FirehoseStandIn;
let firehose: FirehoseClient;
let errorsDir: string;
let query: SinkQueryServer;
let failing = true;
let buffers = 0;

beforeAll(async () => {
  errorsDir = await mkdtemp(join(tmpdir(), "tidemark-reconcile-"));
  let destination: DuckDbSink | undefined;
  standIn = await startFirehoseStandIn({
    errorsDir,
    bufferIntervalMs: 150,
    failDelivery: () => failing && ++buffers % 3 === 0,
    deliver: intoDuckDb(() => destination),
  });
  firehose = new FirehoseClient(localAwsConfig(standIn.url));
  pipeline = await createLocalPipeline({
    devnet: { seed: 5, knobs: { l2ReorgProbability: 0, l1ReorgProbability: 0 } },
    hooks: {
      wrapSink: (sink) => {
        destination = sink as DuckDbSink;
        return createFirehoseSink({ client: firehose, deliveryStreamName: standIn.deliveryStreamName });
      },
    },
  });
  pipeline.startSchedule(400, 1_200);
  await pipeline.devnet?.run({ l2Blocks: 60 });
  await pipeline.stopSchedule();
  expect(await pipeline.catchUp({ maxRounds: 20 })).toBe(true);
  await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
  await standIn.flush();
  failing = false;
  query = await startSinkQueryServer(pipeline.sink);
}, 240_000);

afterAll(async () => {
  await query?.stop();
  await pipeline?.stop();
  await standIn?.stop();
  firehose?.destroy();
  await rm(errorsDir, { recursive: true, force: true });
});

const reconcile = (chain: Chain, dryRun = false) =>
  reconcileSink({
    chain,
    from: pipeline.from[chain],
    client: createChainClient({ urls: [pipeline.nodeUrls[chain]] }),
    sink: pipeline.sink,
    sqs: pipeline.harness.sqs,
    ddb: pipeline.harness.ddb,
    queueUrl: pipeline.queueUrl,
    dlqUrl: pipeline.dlqUrl,
    stateTable: pipeline.env.STATE_TABLE as string,
    idempotencyTable: pipeline.env.IDEMPOTENCY_TABLE as string,
    inboxAddresses: pipeline.inboxAddresses,
    ...(pipeline.network ? { network: pipeline.network } : {}),
    readFees: pipeline.env.READ_FEES !== "false",
    blocksPerRange: 50,
    dryRun,
  });
const found = (r: ReconcileSinkReturnType) => r.incomplete.acknowledged + r.incomplete.unapplied;
const rows = async (sql: string) => Number((await pipeline.sink.query<{ n: bigint }>(sql))[0]?.n);

describe("tidemark sink reconcile (reconcileSink) on the local pipeline behind the Firehose stand-in", () => {
  it("finds what Firehose accepted and then failed to deliver, re-drives it whole once, and a second run finds nothing", async () => {
    // Prepare: the failed buffers, and one proposal's batch_blocks rows lost after they were stored
    expect(standIn.stats.failedRows).toBeGreaterThan(0);
    const [batch] = await pipeline.sink.query<{ id: string; n: bigint }>(
      "SELECT observation_id AS id, count(*) AS n FROM batch_blocks GROUP BY observation_id ORDER BY n DESC LIMIT 1",
    );
    expect(batch).toBeDefined();
    await pipeline.sink.query(`DELETE FROM batch_blocks WHERE observation_id = '${batch?.id}'`);
    // And one record's rows from every other table the chain fills, so each kind of event is proven
    // found and re-driven, not only those a failed buffer happened to hold.
    const chainTables = (await pipeline.verify()).tables.filter((t) => t.expected > 0).map((t) => t.table);
    const lost = chainTables.filter((t) => t !== "batch_blocks");
    for (const table of lost) {
      const [one] = await pipeline.sink.query<{ id: string }>(
        `SELECT observation_id AS id FROM ${table} LIMIT 1`,
      );
      await pipeline.sink.query(`DELETE FROM ${table} WHERE observation_id = '${one?.id}'`);
    }
    const before = await pipeline.verify();
    expect(before.ok).toBe(false);
    const dryRun = { l1: await reconcile("l1", true), l2: await reconcile("l2", true) };
    const queuedBefore = pipeline.processorMetrics.total(ProcessorMetric.RecordsProcessed);

    // Act
    const first = { l1: await reconcile("l1"), l2: await reconcile("l2") };
    await pipeline.poller.drain({ idleMs: 1_000, timeoutMs: 120_000 });
    await standIn.flush();
    const after = await pipeline.verify();

    // Assess: the dry run changed nothing and found what the run re-drove
    expect(dryRun.l1.redriven + dryRun.l2.redriven).toBe(0);
    expect(found(first.l1) + found(first.l2)).toBe(found(dryRun.l1) + found(dryRun.l2));
    // The processor had acknowledged them: only reopening lets the re-drive through
    expect(first.l1.incomplete.acknowledged + first.l2.incomplete.acknowledged).toBeGreaterThan(0);
    expect(first.l1.incomplete.unapplied + first.l2.incomplete.unapplied).toBe(0);
    expect(first.l1.missingRows.batch_blocks).toBeGreaterThanOrEqual(Number(batch?.n));
    expect(lost).toEqual(
      expect.arrayContaining(["l1_head_events", "l2_head_events", "batches", "preconf_epochs"]),
    );
    const missingIn = new Set(Object.keys({ ...first.l1.missingRows, ...first.l2.missingRows }));
    expect(lost.filter((t) => !missingIn.has(t))).toEqual([]);
    expect(first.l1.redriven + first.l2.redriven).toBe(found(first.l1) + found(first.l2));
    expect(pipeline.processorMetrics.total(ProcessorMetric.RecordsProcessed) - queuedBefore).toBe(
      first.l1.redriven + first.l2.redriven,
    );
    // Whole, and once: the verifier compares every table with the chain, duplicates included
    expect(after.ok ? "ok" : JSON.stringify(after.tables.filter((t) => t.missing.length > 0))).toBe("ok");
    expect(await rows(`SELECT count(*) AS n FROM batch_blocks WHERE observation_id = '${batch?.id}'`)).toBe(
      Number(batch?.n),
    );
  }, 240_000);

  it("finds nothing on a second run, through the runbook's command against the local environment", async () => {
    // Prepare: what `tidemark local` writes to its env file, with the sink's query server
    const env = { ...pipeline.env, SINK_QUERY_URL: query.url };
    const results: unknown[] = [];
    for (const chain of ["l1", "l2"] as const) {
      const io = captureIo(env);
      // Act
      const code = await runTidemark(
        ["sink", "reconcile", "--chain", chain, "--from", String(pipeline.from[chain]), "--json"],
        io,
      );
      // Assess
      expect({ chain, code, err: code === 0 ? "" : io.err() }).toEqual({ chain, code: 0, err: "" });
      results.push(JSON.parse(io.out()));
    }
    for (const r of results) {
      expect(r).toMatchObject({ incomplete: { acknowledged: 0, unapplied: 0, "in-flight": 0 }, redriven: 0 });
      expect((r as ReconcileSinkReturnType).checked).toBeGreaterThan(0);
    }
  }, 120_000);
});
