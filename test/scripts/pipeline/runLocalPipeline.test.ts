import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHASTA_TABLE_NAMES } from "../../../lambdas/sink/shastaRows.js";
import { SHASTA_TABLES } from "../../../scripts/chaos/checkShasta.js";
import { runTidemark } from "../../../scripts/cli/tidemark.js";
import {
  type LocalPipelineResult,
  runLocalPipeline,
  type ServedIngest,
} from "../../../scripts/pipeline/runLocalPipeline.js";
import { captureIo } from "../cli/helpers.js";

interface EventAnswer {
  status: string;
  eventId: string;
  sequence: number;
  idempotentHit?: boolean;
}

interface ReadmeFlow {
  first: { status: number; results: EventAnswer[] };
  again: { status: number; results: EventAnswer[] };
  receiptVerify: { code: number; out: string };
  anchorVerify: { code: number; out: string };
  /** `.commitment.anchor` of GET /v1/proofs/{eventId}, as the README's jq shows it. */
  anchor: unknown;
  /** L2_RPC_URLS from local.env. */
  l2: string;
  rows: { n: number }[];
}

/**
 * The README's "Recording your own events", step by step as its curl block does it: the EVENT body read
 * from README.md itself (so the two cannot drift), post, post again, the public key from GET /v1/keys
 * saved as keys.json, the receipt saved and verified with `--keys keys.json`, the proof's anchor, and
 * `anchor verify` with the key from keys.json and the L2 URL from the run's local.env.
 */
async function runReadmeFlow(url: string, ingest: ServedIngest, dir: string): Promise<ReadmeFlow> {
  const readme = await readFile(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
  const body = /^EVENT='(.+)'/m.exec(readme)?.[1];
  if (!body) throw new Error("README.md has no EVENT='…' line in its curl block");
  const headers = { authorization: `Bearer ${ingest.apiKey}`, "content-type": "application/json" };
  const post = async () => {
    const res = await fetch(`${url}/v1/events`, { method: "POST", headers, body });
    return { status: res.status, results: ((await res.json()) as { results: EventAnswer[] }).results };
  };
  const first = await post();
  const again = await post();
  const eventId = (await post()).results[0]?.eventId ?? "";
  const keysFile = join(dir, "keys.json");
  const keys = await fetch(`${url}/v1/keys`).then((r) => r.text());
  await writeFile(keysFile, keys);
  const receiptFile = join(dir, "receipt.json");
  await writeFile(
    receiptFile,
    await fetch(`${url}/v1/receipts/${eventId}`, { headers }).then((r) => r.text()),
  );
  const cli = async (argv: string[]) => {
    const io = captureIo();
    const code = await runTidemark(argv, io);
    return { code, out: io.out() + io.err() };
  };
  const receiptVerify = await cli(["receipt", "verify", receiptFile, "--keys", keysFile]);
  const publicKey = (JSON.parse(keys) as { keys: { publicKey: string }[] }).keys[0]?.publicKey ?? "";
  const l2 = /^L2_RPC_URLS=(.*)$/m.exec(await readFile(join(dir, "local.env"), "utf8"))?.[1] ?? "";
  const anchorArgs = ["anchor", "verify", eventId, "--rpc", l2, "--public-key", publicKey];
  let anchorVerify = { code: -1, out: "" };
  let anchor: unknown;
  // The commitment is due after commitEverySeconds, then anchored by the loop: poll as a client would.
  for (let i = 0; i < 60 && anchorVerify.code !== 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    anchorVerify = await cli([...anchorArgs, "--api", url, "--api-key", ingest.apiKey]);
    // Read after the verify: read before it, an anchor landing in between left the proof without one.
    const proof = await fetch(`${url}/v1/proofs/${eventId}`, { headers });
    anchor = proof.ok
      ? ((await proof.json()) as { commitment?: { anchor?: unknown } }).commitment?.anchor
      : undefined;
  }
  let rows: { n: number }[] = [];
  for (let i = 0; i < 40 && rows[0]?.n !== 1; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250));
    rows = await ingest.sink.query<{ n: number }>(
      "SELECT CAST(count(*) AS INTEGER) AS n FROM api_events WHERE event_id = $1",
      [eventId],
    );
  }
  return { first, again, receiptVerify, anchorVerify, anchor, l2, rows };
}

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
  let flow: ReadmeFlow | undefined;
  let stateDir: string;
  const getJson = async <T>(url: string) => {
    const response = await fetch(url);
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    let url: string | undefined;
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    stateDir = await mkdtemp(join(tmpdir(), "tidemark-serve-"));
    result = await runLocalPipeline({
      l2Blocks: 150,
      seed: 7,
      // Shasta activates a third of the way in, so both forks are exercised.
      knobs: {
        l2ReorgProbability: 0.2,
        l1ReorgProbability: 0.3,
        pacingMsPerL2Block: 60,
        shastaActivationDelaySec: 100,
      },
      duplicateProbability: 0.2,
      poisonMessages: 4,
      ingestorBudgetMs: 4_000,
      scheduleEveryMs: 3_000,
      serve: {
        stateDir,
        // The commit period at its minimum, so the anchored proof comes within the test's wait.
        ingestSettings: { commitEverySeconds: 1 },
        holdAfterVerify: async (_verified, ingest) => {
          if (!url) return;
          flow = await runReadmeFlow(url, ingest, stateDir);
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
  afterAll(async () => {
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

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
      // Every table the story always fills holds rows; the once-a-run Shasta events (StateRecovered,
      // ForcedInclusionsVoided) may fall after this short run's end.
      const occasional =
        (SHASTA_TABLE_NAMES as readonly string[]).includes(table.table) &&
        !(SHASTA_TABLES as readonly string[]).includes(table.table);
      if (!occasional)
        expect({ table: table.table, expected: table.expected > 0 }).toEqual({
          table: table.table,
          expected: true,
        });
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
      ["dynamodb", "idempotency", "ingestTable", "queue", "rpc_l1", "rpc_l2", "sink"].sort(),
    );
    expect(served?.l1Head.blockNumber).toBe(result.ranges.l1.to);
    expect(served?.l2Head.blockNumber).toBe(result.ranges.l2.to);
  });

  it("runs the README's ingest flow: accepted, the repeat is the same ack, the receipt and the anchored root verify, one row", () => {
    expect(flow?.first.status).toBe(200);
    const [accepted] = flow?.first.results ?? [];
    expect(accepted).toMatchObject({ status: "accepted", sequence: 1 });
    expect(flow?.again.results[0]).toMatchObject({
      status: "duplicate",
      eventId: accepted?.eventId,
      sequence: 1,
      idempotentHit: true,
    });
    expect(flow?.receiptVerify).toMatchObject({ code: 0 });
    expect(flow?.receiptVerify.out).toContain("receipt valid");
    expect(flow?.anchorVerify.out).toContain("anchored:");
    expect(flow?.anchorVerify.code).toBe(0);
    expect(flow?.anchor).toMatchObject({ txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect(flow?.l2).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(flow?.rows).toEqual([{ n: 1 }]);
  });
});
