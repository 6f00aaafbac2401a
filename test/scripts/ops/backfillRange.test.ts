import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createTestClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../../lambdas/ingestor/chainReader.js";
import { startLocalParts } from "../../../scripts/local/localParts.js";
import { BackfillError, backfillRange } from "../../../scripts/ops/backfillRange.js";

type Parts = Awaited<ReturnType<typeof startLocalParts<{ l1: false }>>>;
let parts: Parts;

beforeAll(async () => {
  parts = await startLocalParts({ l1: false });
  await createTestClient({ mode: "anvil", transport: http(parts.l2.url) }).mine({ blocks: 60 });
});
afterAll(async () => {
  await parts?.stop();
});

const params = () => ({
  chain: "l2" as const,
  client: createChainClient({ urls: [parts.l2.url] }),
  sqs: parts.sqs.client,
  ddb: parts.dynamodb.client,
  queueUrl: parts.resources.queueUrl,
  stateTable: parts.resources.stateTable,
  inboxAddresses: [],
  blocksPerRange: 10,
});

async function queuedHeaders(): Promise<number[]> {
  const numbers: number[] = [];
  for (let empty = 0; empty < 2; ) {
    const out = await parts.sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: parts.resources.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
      }),
    );
    empty = (out.Messages ?? []).length === 0 ? empty + 1 : 0;
    for (const m of out.Messages ?? []) {
      numbers.push(JSON.parse(m.Body ?? "{}").number);
      // Deleted as read: FIFO hands out no more of a group while some of it is held.
      await parts.sqs.client.send(
        new DeleteMessageCommand({
          QueueUrl: parts.resources.queueUrl,
          ReceiptHandle: m.ReceiptHandle as string,
        }),
      );
    }
  }
  return numbers.sort((a, b) => a - b);
}

describe("backfillRange", () => {
  it("publishes exactly the range, resumes after an interruption, and republishes nothing when run again", async () => {
    // Prepare
    const abort = new AbortController();
    // Act: stop after the first range, as Ctrl-C would; then the same command twice.
    const first = await backfillRange({
      ...params(),
      from: 5,
      to: 34,
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    const resumed = await backfillRange({ ...params(), from: 5, to: 34 });
    const again = await backfillRange({ ...params(), from: 5, to: 34 });
    const queued = await queuedHeaders();
    // Assess
    expect(first).toMatchObject({ complete: false, next: 15, cursorKey: "cursor#l2#backfill-5-34" });
    expect(resumed).toMatchObject({ complete: true, resumedFrom: 15, blocks: 20 });
    expect(again).toMatchObject({ complete: true, blocks: 0 });
    expect(queued).toEqual(Array.from({ length: 30 }, (_, i) => i + 5));
  });

  it("refuses a range that ends past the chain's head", async () => {
    // Act
    const beyond = backfillRange({ ...params(), from: 50, to: 500 });
    // Assess
    await expect(beyond).rejects.toThrow(BackfillError);
    await expect(beyond).rejects.toThrow(/below block 62|head is 6\d/);
  });
});
