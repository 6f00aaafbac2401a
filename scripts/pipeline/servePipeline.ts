import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { ApiClock } from "../../lambdas/api/createApiApp.js";
import type { DependencyCheck } from "../../lambdas/api/runHealthChecks.js";
import { type ServedApi, serveApi } from "../../lambdas/api/serveLocal.js";
import type { IngestRoutesDependencies } from "../../lambdas/ingestApi/createIngestRoutes.js";
import type { Chain } from "../../lambdas/shared/events.js";
import type { LocalPipeline } from "./createLocalPipeline.js";

export interface ServePipelineOptions {
  /** 0 (default) picks a free loopback port. */
  readonly port?: number;
  /** Reported by /health. @default npm_package_version or "dev" */
  readonly version?: string;
  /** Mount the ingest API (POST /v1/events, receipts, proofs, keys) on these dependencies. */
  readonly ingest?: IngestRoutesDependencies;
}

/**
 * Serve the API, the dashboard and the stream over the pipeline's own sink (the same instance the
 * processor writes: DuckDB allows one writer per file), with /health and /ready checking each part the
 * pipeline runs on — the same app the API Lambda runs.
 */
export async function servePipeline(
  pipeline: LocalPipeline,
  options: ServePipelineOptions = {},
): Promise<ServedApi> {
  const clock = followChainTime(pipeline.nodeUrls.l2);
  const api = await serveApi({
    db: pipeline.sink,
    version: options.version ?? process.env.npm_package_version ?? "dev",
    port: options.port ?? 0,
    checks: pipelineChecks(pipeline),
    clock,
    ...(pipeline.eventLog ? { eventLog: pipeline.eventLog } : {}),
    ...(options.ingest ? { ingest: options.ingest } : {}),
  });
  return {
    url: api.url,
    close: async () => {
      clock.stop();
      await api.close();
    },
  };
}

/** One check per dependency: the state and idempotency tables, the queue, each chain's node. */
export function pipelineChecks(pipeline: LocalPipeline): Record<string, DependencyCheck> {
  const { ddb, sqs } = pipeline.harness;
  const { stateTable, idempotencyTable } = pipeline.parts.resources;
  const node =
    (chain: Chain): DependencyCheck =>
    () =>
      rpc<string>(pipeline.nodeUrls[chain], "eth_blockNumber", []);
  return {
    dynamodb: () => ddb.send(new DescribeTableCommand({ TableName: stateTable })),
    idempotency: () => ddb.send(new DescribeTableCommand({ TableName: idempotencyTable })),
    queue: () =>
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: pipeline.queueUrl, AttributeNames: ["QueueArn"] })),
    rpc_l1: node("l1"),
    rpc_l2: node("l2"),
  };
}

/**
 * The API's default window ends at the wall clock, or at the L2's latest block time when that is ahead:
 * the devnet mints 2-second blocks every 150 ms, so its chain time runs ahead of the wall clock and a
 * wall-clock window would leave its newest blocks out of the dashboard. Uptimes and response times
 * stay on the wall clock.
 */
function followChainTime(l2Url: string): ApiClock & { stop(): void } {
  let chainMs = 0;
  const read = () =>
    rpc<{ timestamp: string } | null>(l2Url, "eth_getBlockByNumber", ["latest", false])
      .then((block) => {
        if (block) chainMs = Number(BigInt(block.timestamp)) * 1000;
      })
      .catch(() => undefined); // a node that does not answer leaves the wall clock in charge
  void read();
  const timer = setInterval(read, 1_000);
  timer.unref();
  return {
    nowMs: Date.now,
    windowEndMs: () => Math.max(Date.now(), chainMs + 1_000),
    stop: () => clearInterval(timer),
  };
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(2_000),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = (await response.json()) as { result?: T; error?: { message?: string } };
  if (!("result" in body)) throw new Error(body.error?.message ?? "no result");
  return body.result as T;
}
