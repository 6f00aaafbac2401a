import { PassThrough } from "node:stream";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BackfillRangeParameters } from "../../scripts/ops/backfillRange.js";

// The operation both callers must reach, recorded instead of run: no chain, queue or table is needed.
vi.mock("../../scripts/ops/backfillRange.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../scripts/ops/backfillRange.js")>();
  return {
    ...actual,
    backfillRange: vi.fn(async (p: BackfillRangeParameters) => ({
      cursorKey: actual.backfillCursorKey(p.chain, p.from, p.to),
      resumedFrom: p.from,
      blocks: p.to - p.from + 1,
      inboxEvents: 0,
      reorgs: 0,
      complete: true,
      next: p.to + 1,
    })),
  };
});

const { benchBackfill } = await import("../../bench/ingestBench.js");
const { backfillCommand } = await import("../../scripts/cli/commands/backfillCommand.js");
const { backfillRange } = await import("../../scripts/ops/backfillRange.js");

const INBOX = "0x00000000000000000000000000000000000a11ce";
const LOCAL = "http://127.0.0.1:9";

/** What `tidemark backfill` is given when the local stack's variables are exported (no env file). */
const cliIo = () => ({
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  cwd: process.cwd(),
  env: {
    TIDEMARK_ENV_FILE: "/nonexistent/tidemark-local.env",
    QUEUE_URL: `${LOCAL}/000000000000/tidemark-events.fifo`,
    DLQ_URL: `${LOCAL}/000000000000/tidemark-events-dlq.fifo`,
    STATE_TABLE: "tidemark-state",
    AWS_ENDPOINT_URL_SQS: LOCAL,
    AWS_ENDPOINT_URL_DYNAMODB: LOCAL,
    L1_RPC_URLS: LOCAL,
    INBOX_ADDRESS: INBOX,
  },
});

describe("the bench's backfill and `tidemark backfill`", () => {
  afterEach(() => vi.mocked(backfillRange).mockClear());

  it("run the same operation, with the same defaults and a chain client that carries its batch path", async () => {
    // Prepare
    const sqs = new SQSClient({ region: "us-east-1", endpoint: LOCAL });
    const ddb = new DynamoDBClient({ region: "us-east-1", endpoint: LOCAL });

    // Act: the CLI's command, then the bench's measured variant
    const exit = await backfillCommand.run(
      ["--chain", "l1", "--from", "1", "--to", "500", "--json"],
      cliIo(),
    );
    await benchBackfill({
      rpcUrl: LOCAL,
      head: 500,
      inboxAddress: INBOX,
      sqs,
      ddb,
      queueUrl: `${LOCAL}/000000000000/bench.fifo`,
      stateTable: "bench-state",
    });

    // Assess: both reached the one backfillRange; a sibling on either side leaves a call missing
    expect(exit).toBe(0);
    const calls = vi.mocked(backfillRange).mock.calls.map(([p]) => p);
    expect(calls).toHaveLength(2);
    const [cli, bench] = calls as [BackfillRangeParameters, BackfillRangeParameters];
    for (const p of [cli, bench]) {
      expect(p).toMatchObject({ chain: "l1", from: 1, to: 500, inboxAddresses: [INBOX], partitions: 16 });
      // The knobs the bench could tune away from the command's defaults are left to them.
      expect(p.blocksPerRange).toBeUndefined();
      expect(p.publishLanes).toBeUndefined();
      expect(typeof p.client.headers).toBe("function");
    }
    expect(Object.keys(bench.client).sort()).toEqual(Object.keys(cli.client).sort());
    expect(bench.client.retry).toEqual(cli.client.retry);
    sqs.destroy();
    ddb.destroy();
  });
});
