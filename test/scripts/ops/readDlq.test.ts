import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalParts } from "../../../scripts/local/localParts.js";
import { readDlq } from "../../../scripts/ops/readDlq.js";

type Parts = Awaited<ReturnType<typeof startLocalParts<{ l1: false; l2: false; dynamodb: false }>>>;
let parts: Parts;
beforeAll(async () => {
  parts = await startLocalParts({ l1: false, l2: false, dynamodb: false });
});
afterAll(async () => {
  await parts?.stop();
});

describe("readDlq", () => {
  it("peeks at the head of each FIFO group and counts the rest; take reads every message and empties the queue", async () => {
    // Prepare: 12 dead letters in one group, more than one receive returns.
    const { dlqUrl } = parts.resources;
    for (let i = 0; i < 12; i++) {
      await parts.sqs.client.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: `poison ${i}`,
          MessageGroupId: "l2:3",
          MessageDeduplicationId: `read-dlq-${i}`,
          MessageAttributes: { errorType: { DataType: "String", StringValue: "InvalidMessageError" } },
        }),
      );
    }
    // Act
    const peeked = await readDlq(parts.sqs.client, dlqUrl);
    const taken = await readDlq(parts.sqs.client, dlqUrl, 1000, "take");
    const after = await readDlq(parts.sqs.client, dlqUrl);
    // Assess
    expect(peeked.approximateTotal).toBe(12);
    expect(peeked.entries.length).toBeLessThan(12);
    expect(taken.entries.map((e) => e.body)).toEqual(Array.from({ length: 12 }, (_, i) => `poison ${i}`));
    expect(taken.approximateTotal).toBe(12);
    expect(after).toEqual({ entries: [], approximateTotal: 0 });
  });
});
