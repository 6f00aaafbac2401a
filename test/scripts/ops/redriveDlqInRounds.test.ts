import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalParts } from "../../../scripts/local/localParts.js";
import { readDlq } from "../../../scripts/ops/readDlq.js";
import { redriveDlqInRounds } from "../../../scripts/ops/redriveDlqInRounds.js";

type Parts = Awaited<ReturnType<typeof startLocalParts<{ l1: false; l2: false; dynamodb: false }>>>;
let parts: Parts;
let sqs: SQSClient;

beforeAll(async () => {
  parts = await startLocalParts({ l1: false, l2: false, dynamodb: false });
  sqs = parts.sqs.client;
});
afterAll(async () => {
  await parts?.stop();
});

const header = (n: number) =>
  JSON.stringify({
    v: 1,
    type: "l2_header",
    number: n,
    hash: `0x${n.toString(16).padStart(64, "0")}`,
    parentHash: `0x${(n - 1).toString(16).padStart(64, "0")}`,
    timestamp: 1_700_000_000 + n,
    gasUsed: "0",
    gasLimit: "30000000",
    baseFeePerGas: "1",
    txCount: 0,
    miner: `0x${"1".repeat(40)}`,
  });

/** Dead-letter as the processor does: same group, dedup id of its own, the reason as attributes. */
async function deadLetter(body: string, group: string, errorType: string, i: number) {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: parts.resources.dlqUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: `dl-${group}-${i}`,
      MessageAttributes: {
        errorType: { DataType: "String", StringValue: errorType },
        errorMessage: { DataType: "String", StringValue: "x" },
      },
    }),
  );
}

async function drainQueue(): Promise<string[]> {
  const bodies: string[] = [];
  for (let empty = 0; empty < 2; ) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: parts.resources.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = out.Messages ?? [];
    empty = messages.length === 0 ? empty + 1 : 0;
    for (const m of messages) {
      bodies.push(m.Body ?? "");
      await sqs.send(
        new DeleteMessageCommand({
          QueueUrl: parts.resources.queueUrl,
          ReceiptHandle: m.ReceiptHandle as string,
        }),
      );
    }
  }
  return bodies;
}

describe("redriveDlqInRounds", () => {
  it("moves only what the filter takes, in group order, once, past poison at the head of a group", async () => {
    // Prepare: group A starts with poison, then 14 valid headers (more than one receive holds); group B 3 valid.
    await deadLetter("not json {", "l2:0", "InvalidMessageError", 0);
    for (let n = 1; n <= 14; n++) await deadLetter(header(n), "l2:0", "SinkUnavailableError", n);
    for (let n = 101; n <= 103; n++) await deadLetter(header(n), "l2:1", "SinkUnavailableError", n);

    // Act
    const result = await redriveDlqInRounds(sqs, {
      dlqUrl: parts.resources.dlqUrl,
      queueUrl: parts.resources.queueUrl,
      filter: { validOnly: true },
    });
    const again = await redriveDlqInRounds(sqs, {
      dlqUrl: parts.resources.dlqUrl,
      queueUrl: parts.resources.queueUrl,
      filter: { validOnly: true },
    });
    const requeued = (await drainQueue()).map((b) => JSON.parse(b).number as number);
    const left = await readDlq(sqs, parts.resources.dlqUrl);

    // Assess
    expect(result).toMatchObject({ moved: 17, skipped: 1 });
    expect(again.moved).toBe(0);
    expect(requeued.filter((n) => n < 100)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(requeued.filter((n) => n > 100)).toEqual([101, 102, 103]);
    expect(left.entries.map((e) => e.errorType)).toEqual(["InvalidMessageError"]);
    expect(left.approximateTotal).toBe(1);
  });
});
