import { beforeAll, describe, expect, it } from "vitest";
import { type Json, type SynthesizedStage, synthStage } from "../synthStage.js";
import { envReadsOf, HANDLER_ENTRIES } from "./envReads.js";

/** Set by Lambda itself in every function: the code may read them, no construct sets them. */
const SET_BY_LAMBDA = new Set([
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
]);

/** Set by the constructs for the runtime, not for Tidemark's code: node and Powertools read them. */
const READ_BY_THE_RUNTIME = new Set([
  "NODE_OPTIONS",
  "POWERTOOLS_SERVICE_NAME",
  "POWERTOOLS_METRICS_NAMESPACE",
]);

/**
 * Reviewed: settings the code reads that no construct sets, each with why unset is right on AWS
 * (and, where it applies to some functions only, which).
 */
const READ_BUT_UNSET: Readonly<
  Record<string, { readonly reason: string; readonly only?: readonly string[] }>
> = {
  CHAINS: { reason: "both chains by default (lambdas/ingestor/config.ts)", only: ["ingestor"] },
  CONFIRMATIONS: { reason: "tuning with a default in the ingestor's config", only: ["ingestor"] },
  MAX_BLOCKS_PER_RANGE: { reason: "tuning with a default in the ingestor's config", only: ["ingestor"] },
  POLL_INTERVAL_MS: { reason: "tuning with a default in the ingestor's config", only: ["ingestor"] },
  PUBLISH_LANES: { reason: "tuning with a default in the ingestor's config", only: ["ingestor"] },
  RECENT_HASHES: { reason: "tuning with a default in the ingestor's config", only: ["ingestor"] },
  TIME_RESERVE_MS: { reason: "tuning with a default in the ingestor's config", only: ["ingestor"] },
  MAX_REORG_DEPTH: {
    reason: "how deep the ingestor walks a reorg back by itself; a default in its config",
    only: ["ingestor"],
  },
  PUBLISH_BUNDLE_BYTES: { reason: "bundle size with a default (0 turns bundles off)", only: ["ingestor"] },
  READ_FEES: { reason: "fee reads are on by default with a network preset", only: ["ingestor"] },
  READ_PRECONF: {
    reason: "whitelist reads are on by default where the network names a PreconfWhitelist",
    only: ["ingestor"],
  },
  L1_RPC_URLS: { reason: "local runs pass URLs; on AWS they are in RPC_URLS_SECRET_ID", only: ["ingestor"] },
  L2_RPC_URLS: { reason: "local runs pass URLs; on AWS they are in RPC_URLS_SECRET_ID", only: ["ingestor"] },
  INBOX_ADDRESS: {
    reason: "a Pacaya-only inbox instead of TAIKO_NETWORK; stages use the preset",
    only: ["ingestor"],
  },
  INBOX_WRAPPER_ADDRESS: { reason: "as INBOX_ADDRESS", only: ["ingestor"] },
  L1_START_BLOCK: { reason: "set only with -c l1StartBlock", only: ["ingestor"] },
  L2_START_BLOCK: { reason: "set only with -c l2StartBlock", only: ["ingestor"] },
  IDEMPOTENCY_TTL_DAYS: { reason: "default in lambdas/processor/config.ts", only: ["processor"] },
  DUCKDB_PATH: { reason: "the local DuckDB sink's; read only when SINK selects it" },
  CLICKHOUSE_URL: { reason: "the ClickHouse sink's; read only when SINK selects it" },
  CLICKHOUSE_DATABASE: { reason: "the ClickHouse sink's; read only when SINK selects it" },
  CLICKHOUSE_USER: { reason: "the ClickHouse sink's; read only when SINK selects it" },
  CLICKHOUSE_PASSWORD: { reason: "the ClickHouse sink's; read only when SINK selects it" },
  CLICKHOUSE_SECRET_ID: { reason: "the ClickHouse sink's; read only when SINK selects it" },
  FIREHOSE_STREAM_NAME: {
    reason:
      "the API's modules (the WebSocket functions share its settings reader) carry the processor's sink reader; they query Athena (SINK=athena) or nothing, never the stream",
    only: ["api", "apiStream", "apiWebSocketRoutes", "apiWebSocket"],
  },
  STATE_TABLE: {
    reason: "the API function bundles the stream's app; only the stream function reads the event log",
    only: ["api"],
  },
  EVENT_LOG_RETENTION_DAYS: {
    reason: "as STATE_TABLE: the event log is the stream function's",
    only: ["api"],
  },
  INGEST_PAYLOAD_BUCKET: {
    reason:
      "the maintenance shares the request function's loader (createLambdaIngest) but builds no S3 client: given the bucket, its cold start fails, so it is left unset",
    only: ["ingestMaintenance"],
  },
  ANCHOR_SECRET_ID: { reason: "set only with -c anchorSecretName", only: ["ingestApi", "ingestMaintenance"] },
  ANCHOR_REGISTRY_ADDRESS: {
    reason: "set only with -c anchorRegistry",
    only: ["ingestApi", "ingestMaintenance"],
  },
  INGEST_SIGNING_KEY: {
    reason: "local runs pass the key; on AWS INGEST_SIGNING_KEY_SECRET_ID names the secret",
    only: ["ingestApi", "ingestMaintenance"],
  },
};

let dev: SynthesizedStage;
const reads: Record<string, Set<string>> = {};

beforeAll(async () => {
  dev = synthStage("dev");
  for (const [service, entry] of Object.entries(HANDLER_ENTRIES)) reads[service] = await envReadsOf(entry);
}, 600_000);

/** The Environment of each function of the service stack, by POWERTOOLS_SERVICE_NAME. */
const templateEnvironments = (): Record<string, Record<string, Json>> =>
  Object.fromEntries(
    Object.values(dev.service.toJSON().Resources as Record<string, Json>)
      .filter((r) => r.Type === "AWS::Lambda::Function")
      .map((r) => r.Properties.Environment?.Variables ?? {})
      .map((vars) => [vars.POWERTOOLS_SERVICE_NAME, vars]),
  );

describe("settings contract: what each function reads is what its construct sets", () => {
  it("knows the handler of every function in the template", () => {
    // Assess
    expect(Object.keys(templateEnvironments()).sort()).toEqual(Object.keys(HANDLER_ENTRIES).sort());
  });

  it.each(Object.keys(HANDLER_ENTRIES))("sets every setting %s reads, and none it never reads", (service) => {
    // Prepare
    const set = new Set(Object.keys(templateEnvironments()[service] ?? {}));
    const read = reads[service] ?? new Set<string>();
    const excused = (name: string) => {
      const entry = READ_BUT_UNSET[name];
      return entry !== undefined && (entry.only === undefined || entry.only.includes(service));
    };

    // Assess
    const missing = [...read].filter((n) => !set.has(n) && !SET_BY_LAMBDA.has(n) && !excused(n)).sort();
    expect(missing, `${service} reads settings its construct does not set`).toEqual([]);
    const unread = [...set].filter((n) => !read.has(n) && !READ_BY_THE_RUNTIME.has(n)).sort();
    expect(unread, `${service}'s construct sets settings its code never reads`).toEqual([]);
    const setAnyway = [...set].filter(excused).sort();
    expect(setAnyway, `set although listed as read-but-unset for ${service}`).toEqual([]);
  });

  it("keeps the reviewed list honest: every entry is read by a function it names", () => {
    // Assess
    const stale = Object.entries(READ_BUT_UNSET)
      .filter(([name, e]) => !(e.only ?? Object.keys(reads)).some((s) => reads[s]?.has(name)))
      .map(([name]) => name);
    expect(stale).toEqual([]);
  });
});
