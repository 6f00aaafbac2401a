import { beforeAll, describe, expect, it } from "vitest";
import { type LocalPipelineResult, runLocalPipeline } from "../../../scripts/pipeline/runLocalPipeline.js";

// The whole pipeline on real local parts: devnet with L1 and L2 reorgs (L1 ones re-including the same
// transactions), duplicate publishes past SQS's dedup window, poison messages, overlapping ingestors.
describe("runLocalPipeline (end to end on the local parts)", () => {
  let result: LocalPipelineResult;
  // What `npm start -- --serve` serves, read while the verified run is still up.
  let served:
    | {
        url: string;
        ready: number;
        readyBody: { checks: Record<string, unknown> };
        l1Head: { blockNumber: number };
        l2Head: { blockNumber: number };
      }
    | undefined;
  const getJson = async <T>(url: string) => {
    const response = await fetch(url);
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    let url: string | undefined;
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    result = await runLocalPipeline({
      l2Blocks: 150,
      seed: 7,
      knobs: { l2ReorgProbability: 0.2, l1ReorgProbability: 0.3, pacingMsPerL2Block: 60 },
      duplicateProbability: 0.2,
      poisonMessages: 4,
      ingestorBudgetMs: 4_000,
      scheduleEveryMs: 3_000,
      serve: {
        holdAfterVerify: async () => {
          if (!url) return;
          const ready = await getJson<{ checks: Record<string, unknown> }>(`${url}/ready`);
          served = {
            url,
            ready: ready.status,
            readyBody: ready.body,
            l1Head: (await getJson<{ blockNumber: number }>(`${url}/v1/l1-head`)).body,
            l2Head: (await getJson<{ blockNumber: number }>(`${url}/v1/l2-head`)).body,
          };
        },
        onListening: (u) => {
          url = u;
        },
      },
    });
  }, 240_000);

  it("holds every canonical header and inbox event exactly once", () => {
    expect(result.problems).toEqual([]);
    for (const table of result.verification.tables) {
      expect({
        table: table.table,
        missing: table.missing,
        unexpected: table.unexpected,
        duplicates: table.duplicates,
      }).toEqual({
        table: table.table,
        missing: [],
        unexpected: [],
        duplicates: [],
      });
      expect(table.expected).toBeGreaterThan(0);
    }
    expect(result.ok).toBe(true);
  });

  it("detects reorgs on both chains and marks every orphaned block it had ingested", () => {
    expect(result.devnet?.reorgs.l1.total).toBeGreaterThan(0);
    expect(result.devnet?.reorgs.l2.total).toBeGreaterThan(0);
    expect(result.devnet?.reincludedTxs.l1).toBeGreaterThan(0);
    expect(result.counters.publishedReorgs).toBeGreaterThan(0);
    expect(result.verification.orphans.l2.offChain).toBeGreaterThan(0);
    expect(result.verification.orphans.l1.unmarked).toEqual([]);
    expect(result.verification.orphans.l2.unmarked).toEqual([]);
  });

  it("drops every duplicate published past SQS's window through DynamoDB idempotency", () => {
    expect(result.counters.duplicatesPublished).toBeGreaterThan(0);
    expect(result.counters.duplicatesDropped).toBeGreaterThanOrEqual(result.counters.duplicatesPublished);
  });

  it("dead-letters each poison message once, with its reason, and nothing else", () => {
    expect(result.dlq.count).toBe(4);
    expect(result.dlq.byErrorType).toEqual({
      InvalidMessageError: 2,
      UnknownEventTypeError: 1,
      MessageTooLargeError: 1,
    });
    expect(result.counters.deadLettered).toBe(4);
  });

  it("reports chain metrics from the canonical rows", () => {
    expect(result.metrics.l2Blocks).toBe(result.ranges.l2.to - result.ranges.l2.from + 1);
    expect(result.metrics.l2BlockCadence.avg).toBeGreaterThan(0);
    expect(result.metrics.proveTime.samples).toBeGreaterThan(0);
    expect(result.metrics.sequencers.length).toBeGreaterThanOrEqual(3);
  });

  it("serves the verified run: /ready checks every part, the heads are the verified ranges' ends", () => {
    expect(served?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(served?.ready).toBe(200);
    expect(Object.keys(served?.readyBody.checks ?? {}).sort()).toEqual(
      ["dynamodb", "idempotency", "queue", "rpc_l1", "rpc_l2", "sink"].sort(),
    );
    expect(served?.l1Head.blockNumber).toBe(result.ranges.l1.to);
    expect(served?.l2Head.blockNumber).toBe(result.ranges.l2.to);
  });
});
